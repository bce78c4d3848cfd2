package dev.runstream.sdk.internal;

import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.config.KafkaClients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks Kafka what it holds of a run: whether it exists, its last step and highest sequence, and its
 * display name, by reading the run's partition of each of the team's topics backwards from the end
 * ({@link BackwardScan} has the rules), within a time budget.
 *
 * <p>Records are keyed by run id, so each topic holds a run in one partition: the one the
 * producer's default partitioner picks for the key. With a custom {@code partitioner.class} (or
 * {@code partitioner.ignore.keys}) among the producer properties every partition is read instead.
 *
 * <p>Blocks the calling thread for at most the budget (plus the consumer's close). Thread-safe:
 * each call uses its own consumer.
 */
final class KafkaRunLookup implements RunLookup {
  private static final Logger log = LoggerFactory.getLogger(KafkaRunLookup.class);
  private static final Duration POLL = Duration.ofMillis(100);

  private final Map<String, Object> consumerConfig;
  private final Topics topics;
  private final SchemaRegistry registry;
  private final Duration budget;
  private final boolean keyedPartitions;
  private final String bootstrap;

  /**
   * @param producerProperties the run's producer property overrides: the client settings among them
   *     (security, SASL, SSL) are used by the lookup's consumer too
   */
  KafkaRunLookup(
      String bootstrap,
      Map<String, Object> producerProperties,
      Topics topics,
      SchemaRegistry registry,
      Duration budget) {
    this.bootstrap = bootstrap;
    this.consumerConfig = consumerConfig(bootstrap, producerProperties, budget);
    this.topics = topics;
    this.registry = registry;
    this.budget = budget;
    this.keyedPartitions =
        !producerProperties.containsKey(ProducerConfig.PARTITIONER_CLASS_CONFIG)
            && !"true"
                .equalsIgnoreCase(
                    String.valueOf(
                        producerProperties.get(ProducerConfig.PARTITIONER_IGNORE_KEYS_CONFIG)));
  }

  /**
   * The consumer settings: the client settings among the producer properties (so a cluster that
   * needs SASL or SSL is read as it is written), then what a bounded, side-effect-free read needs:
   * no group, no commits, no topic creation.
   */
  static Map<String, Object> consumerConfig(
      String bootstrap, Map<String, Object> producerProperties, Duration budget) {
    // The producer's overrides win over the defaults, as they do for the producer itself.
    Map<String, Object> props =
        KafkaClients.of(bootstrap, producerProperties)
            .consumer(Map.of(ConsumerConfig.CLIENT_ID_CONFIG, "runstream-sdk-resume"));
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"); // processor's EOS output
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    // Retention may delete the start of a window while it is read: go on from what is left.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
    // Windows are read whole: larger fetches mean fewer round trips per window.
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    long budgetMs = Math.max(1, budget.toMillis());
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.min(budgetMs, 60_000));
    props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(budgetMs, 30_000));
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return props;
  }

  @Override
  public RunHistory find(String runId, BackwardScan.Goal goal, boolean wantName) {
    long started = System.nanoTime();
    long deadline = started + budget.toNanos();
    BackwardScan scan = new BackwardScan(runId, goal, wantName, new WireDecoder(registry));
    Consumer<byte[], byte[]> consumer;
    try {
      consumer = new KafkaConsumer<>(consumerConfig);
    } catch (KafkaException e) {
      return RunHistory.unreachable("the consumer could not be created: " + e.getMessage());
    }
    boolean opened = false;
    try {
      open(consumer, scan, runId, goal, wantName, deadline);
      opened = true;
      read(consumer, scan, deadline);
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      if (!opened) {
        return RunHistory.unreachable(
            "Kafka at " + bootstrap + " did not answer within " + budget.toMillis() + " ms");
      }
      // Reading stopped at the deadline: what was read stands, marked incomplete.
    } catch (KafkaException e) {
      if (!opened) {
        return RunHistory.unreachable("Kafka at " + bootstrap + " refused: " + e.getMessage());
      }
      log.warn("reading run {} back from Kafka stopped: {}", runId, e.toString());
    } finally {
      try {
        consumer.close(Duration.ofSeconds(1));
      } catch (RuntimeException e) {
        log.debug("closing the resume lookup's consumer: {}", e.toString());
      }
    }
    RunHistory result = scan.result();
    log.info(
        "looked run {} up in Kafka at {} in {} ms: {}, last step {}, highest sequence {}{}; {}",
        runId,
        bootstrap,
        (System.nanoTime() - started) / 1_000_000,
        result.outcome().name().toLowerCase(Locale.ROOT),
        result.lastStep(),
        result.lastSequence(),
        result.complete() ? "" : " (not finished within " + budget + ")",
        result.detail());
    return result;
  }

  /** Finds the run's partitions and their offsets; every call bounded by the deadline. */
  private void open(
      Consumer<byte[], byte[]> consumer,
      BackwardScan scan,
      String runId,
      BackwardScan.Goal goal,
      boolean wantName,
      long deadline) {
    byte[] key = runId.getBytes(StandardCharsets.UTF_8);
    Map<TopicPartition, BackwardScan.Source> sources = new HashMap<>();
    for (BackwardScan.Source source : BackwardScan.sources(goal, wantName)) {
      String topic = topic(source);
      List<PartitionInfo> infos = consumer.partitionsFor(topic, remaining(deadline));
      if (infos == null || infos.isEmpty()) {
        continue; // no such topic: nothing of any run in it
      }
      if (keyedPartitions) {
        // The producer's own partitioner for a keyed record: murmur2 of the key bytes.
        int partition = BuiltInPartitioner.partitionForKey(key, infos.size());
        sources.put(new TopicPartition(topic, partition), source);
      } else {
        for (PartitionInfo info : infos) {
          sources.put(new TopicPartition(topic, info.partition()), source);
        }
      }
    }
    if (sources.isEmpty()) {
      return;
    }
    Map<TopicPartition, Long> begins =
        consumer.beginningOffsets(sources.keySet(), remaining(deadline));
    Map<TopicPartition, Long> ends = consumer.endOffsets(sources.keySet(), remaining(deadline));
    // Add in source order, so the scan's description reads runs, metrics, system, alerts.
    Map<BackwardScan.Source, List<TopicPartition>> bySource =
        new EnumMap<>(BackwardScan.Source.class);
    sources.forEach((tp, s) -> bySource.computeIfAbsent(s, k -> new ArrayList<>()).add(tp));
    bySource.forEach(
        (source, tps) -> {
          for (TopicPartition tp : tps) {
            scan.add(source, tp, begins.get(tp), ends.get(tp));
          }
        });
    consumer.assign(sources.keySet());
  }

  private void read(Consumer<byte[], byte[]> consumer, BackwardScan scan, long deadline) {
    Set<TopicPartition> paused = new HashSet<>();
    while (!scan.done() && System.nanoTime() < deadline) {
      scan.takeSeeks().forEach(consumer::seek);
      Set<TopicPartition> reading = scan.reading();
      Set<TopicPartition> toPause = new HashSet<>(consumer.assignment());
      toPause.removeAll(reading);
      toPause.removeAll(paused);
      if (!toPause.isEmpty()) {
        consumer.pause(toPause);
        paused.addAll(toPause);
      }
      if (reading.isEmpty()) {
        break;
      }
      Duration wait = remaining(deadline);
      for (ConsumerRecord<byte[], byte[]> r :
          consumer.poll(wait.compareTo(POLL) < 0 ? wait : POLL)) {
        scan.record(
            new TopicPartition(r.topic(), r.partition()),
            r.offset(),
            r.timestamp(),
            r.key(),
            r.value());
      }
      for (TopicPartition tp : reading) {
        scan.position(tp, consumer.position(tp, remaining(deadline)));
      }
      Map<TopicPartition, Long> floors = scan.takeTimeFloors();
      if (!floors.isEmpty()) {
        Map<TopicPartition, OffsetAndTimestamp> offsets =
            consumer.offsetsForTimes(floors, remaining(deadline));
        floors
            .keySet()
            .forEach(
                tp -> {
                  OffsetAndTimestamp at = offsets.get(tp);
                  scan.floor(tp, at == null ? Long.MAX_VALUE : at.offset());
                });
      }
    }
  }

  private String topic(BackwardScan.Source source) {
    return switch (source) {
      case RUNS -> topics.runs.name();
      case METRICS -> topics.metrics.name();
      case SYSTEM -> topics.system.name();
      case ALERTS -> topics.alerts.name();
      case SUMMARIES -> topics.runSummaries.name();
    };
  }

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
  }
}
