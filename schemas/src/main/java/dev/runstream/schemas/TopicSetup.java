package dev.runstream.schemas;

import dev.runstream.schemas.config.KafkaAccessErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates runstream's topics when they are missing, with the configuration each needs: the
 * summaries compacted, the rest deleted by time. Every topic gets the same partition count so the
 * processor can join them by run id.
 */
public final class TopicSetup {
  /** Partitions of each topic unless configured: {@value}. */
  public static final int DEFAULT_PARTITIONS = 4;

  private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

  /**
   * A replication factor that leaves it to the broker ({@code default.replication.factor}), so one
   * configuration serves a single development broker and a production cluster.
   */
  public static final short BROKER_DEFAULT_REPLICATION = -1;

  private TopicSetup() {}

  /**
   * Creates the missing topics of {@code topics}; existing ones are left as they are. Blocks until
   * the broker confirms, at most 60 seconds.
   *
   * @param replicationFactor replicas of each new topic, or {@link #BROKER_DEFAULT_REPLICATION} for
   *     the broker's {@code default.replication.factor}
   */
  public static void ensure(Admin admin, Topics topics, int partitions, short replicationFactor) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be at least 1: " + partitions);
    }
    if (replicationFactor < 1 && replicationFactor != BROKER_DEFAULT_REPLICATION) {
      throw new IllegalArgumentException(
          "replicationFactor must be at least 1, or -1 for the broker's default: "
              + replicationFactor);
    }
    Optional<Short> replicas =
        replicationFactor == BROKER_DEFAULT_REPLICATION
            ? Optional.empty()
            : Optional.of(replicationFactor);
    try {
      Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (Topic<?> topic : topics.all()) {
        if (!existing.contains(topic.name())) {
          Map<String, String> config =
              topic.compacted()
                  ? Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)
                  : Map.of();
          missing.add(
              new NewTopic(topic.name(), Optional.of(partitions), replicas).configs(config));
        }
      }
      if (!existing.contains(topics.deadLetters)) {
        missing.add(new NewTopic(topics.deadLetters, Optional.of(partitions), replicas));
      }
      if (missing.isEmpty()) {
        return;
      }
      for (var entry : admin.createTopics(missing).values().entrySet()) {
        try {
          entry.getValue().get(60, TimeUnit.SECONDS);
          log.info("created topic {}", entry.getKey());
        } catch (ExecutionException e) {
          if (e.getCause() instanceof TopicAuthorizationException denied
              && denied.unauthorizedTopics().isEmpty()) {
            // The admin client's per-topic error does not name its topic; the message should.
            throw new ExecutionException(
                new TopicAuthorizationException(denied.getMessage(), Set.of(entry.getKey())));
          }
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
    } catch (ExecutionException | TimeoutException e) {
      // Kafka's own message names neither the permission nor where the credentials came from.
      String why = KafkaAccessErrors.explain(e, "CREATE").orElse(e.getMessage());
      throw new IllegalStateException("cannot create runstream topics: " + why, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }
}
