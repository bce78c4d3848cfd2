package dev.runstream.processor;

import dev.runstream.processor.internal.WebhookSender;
import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.config.KafkaClients;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts every alert on the alerts topic to the configured webhooks: the detectors' alerts and the
 * ones programs raise with {@code run.alert()} alike, since both live on that topic. This is what
 * "user alerts pass through" means: the topology never re-publishes them; the notifier reads the
 * one topic everything is on.
 *
 * <p>Reads with {@code read_committed}, so alerts of an aborted exactly-once transaction are never
 * posted, and commits its offsets after posting: delivery is at least once (a restart between
 * posting and committing posts again; receivers can deduplicate by {@code episodeId} and {@code
 * resolved}). An alert that a webhook still refuses after the configured attempts is logged and
 * skipped, so one broken receiver cannot stop the others; so is a record of the topic that is not
 * an alert at all (see {@link #skipped()}).
 *
 * <p>One daemon thread; {@link #close()} is idempotent and waits for it. Thread-safe.
 */
public final class AlertNotifier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AlertNotifier.class);

  private final KafkaConsumer<String, Alert> consumer;
  private final WebhookSender sender;
  private final Thread worker;
  private final AtomicLong posted = new AtomicLong();
  private final AtomicLong filtered = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private final Optional<String> team;
  private volatile boolean closed;

  private AlertNotifier(
      KafkaConsumer<String, Alert> consumer, WebhookSender sender, Optional<String> team) {
    this.consumer = consumer;
    this.sender = sender;
    this.team = team;
    this.worker = new Thread(this::run, "runstream-alert-notifier");
    this.worker.setDaemon(true);
  }

  /**
   * Starts posting the alerts of {@code topics} that arrive from now on (a new consumer group
   * starts at the end of the topic, so an old backlog is not flooded into a chat channel).
   *
   * @param kafka the cluster and the user's client properties; the consumer reads committed alerts
   * @param groupId the consumer group; its committed offsets survive restarts
   * @param team the team that owns the topics, if set: every notification names it, also for alerts
   *     that {@code run.alert()} published with another (see {@link MonitorSettings#team()})
   */
  public static AlertNotifier start(
      NotifierConfig config,
      KafkaClients kafka,
      SchemaRegistry registry,
      Topics topics,
      String groupId,
      Optional<String> team) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(team, "team");
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100);
    KafkaConsumer<String, Alert> consumer =
        new KafkaConsumer<>(
            kafka.consumer(props),
            new StringDeserializer(),
            topics.alerts.serde(registry).deserializer());
    consumer.subscribe(List.of(topics.alerts.name()));
    AlertNotifier notifier = new AlertNotifier(consumer, new WebhookSender(config), team);
    notifier.worker.start();
    return notifier;
  }

  /** Alerts posted to at least one webhook so far. */
  public long posted() {
    return posted.get();
  }

  /** Alerts skipped as below the minimum severity so far. */
  public long filtered() {
    return filtered.get();
  }

  /** Records of the alerts topic skipped because they could not be read as alerts. */
  public long skipped() {
    return skipped.get();
  }

  private void run() {
    try {
      while (!closed) {
        ConsumerRecords<String, Alert> records;
        try {
          records = consumer.poll(Duration.ofMillis(500));
        } catch (RecordDeserializationException e) {
          skip(e);
          continue;
        }
        for (ConsumerRecord<String, Alert> record : records) {
          Alert alert = record.value();
          if (alert == null) {
            continue;
          }
          team.ifPresent(alert::setEntity);
          if (!sender.wanted(alert)) {
            filtered.incrementAndGet();
            continue;
          }
          if (sender.send(alert) > 0) {
            posted.incrementAndGet();
          }
        }
        if (!records.isEmpty()) {
          consumer.commitSync();
        }
      }
    } catch (WakeupException e) {
      if (!closed) {
        log.error("alert notifier woken unexpectedly", e);
      }
    } catch (RuntimeException e) {
      log.error("alert notifier stopped", e);
    } finally {
      try {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        log.warn("closing the alert notifier's consumer failed", e);
      }
    }
  }

  /**
   * Steps over a record that is not an alert, so one bad record does not stop every notification
   * after it. The alerts topic is not the processor's input, so it has no dead-letter copy; the log
   * names its place.
   */
  private void skip(RecordDeserializationException e) {
    TopicPartition partition = e.topicPartition();
    log.error(
        "skipping record {} of {}: not an alert ({})",
        e.offset(),
        partition,
        e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
    skipped.incrementAndGet();
    consumer.seek(partition, e.offset() + 1);
    consumer.commitSync(Map.of(partition, new OffsetAndMetadata(e.offset() + 1)));
  }

  /** Stops posting and waits up to 10 seconds for the worker. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    consumer.wakeup();
    try {
      worker.join(Duration.ofSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
