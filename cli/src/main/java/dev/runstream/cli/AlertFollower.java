package dev.runstream.cli;

import dev.runstream.query.AlertRecord;
import dev.runstream.schemas.AvroDeserializer;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.config.KafkaClients;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Tails the alerts topic: every alert from a point in time on, as the processor commits it. Reads
 * with {@code read_committed} (the processor writes in transactions) and without a consumer group:
 * a person watching alerts must not take partitions away from anyone, and has no position to keep.
 *
 * <p>Not thread-safe, except {@link #wakeup()}; {@link #follow} blocks until the thread is
 * interrupted or {@link #wakeup()} is called.
 */
final class AlertFollower implements AutoCloseable {
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration TOPIC_RECHECK = Duration.ofSeconds(2);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final AvroDeserializer<Alert> deserializer;
  private final String topic;

  AlertFollower(KafkaClients kafka, String registryUrl, Topics topics) {
    // Read committed (KafkaClients.consumer): alerts of an aborted transaction never happened.
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "runstream-cli-alerts");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    // Watching must not create the topic: the processor creates it with its settings.
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    this.consumer =
        new KafkaConsumer<>(
            kafka.consumer(props), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.deserializer = new AvroDeserializer<>(Alert.class, SerdeConfig.registry(registryUrl));
    this.topic = topics.alerts.name();
  }

  /**
   * Hands every alert committed at or after {@code from} to {@code sink}, in each partition's
   * order, until interrupted or woken up; records that do not decode go to {@code problems}. Waits
   * for the topic when it does not exist yet.
   */
  void follow(Instant from, Consumer<AlertRecord> sink, Consumer<String> problems) {
    try {
      List<TopicPartition> partitions = awaitPartitions();
      consumer.assign(partitions);
      Map<TopicPartition, Long> times = new HashMap<>();
      partitions.forEach(p -> times.put(p, from.toEpochMilli()));
      Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(times);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      for (TopicPartition partition : partitions) {
        OffsetAndTimestamp at = offsets.get(partition);
        consumer.seek(partition, at != null ? at.offset() : ends.get(partition));
      }
      while (!Thread.currentThread().isInterrupted()) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
          Alert alert;
          try {
            alert = deserializer.deserialize(record.topic(), record.value());
          } catch (KafkaException | IllegalArgumentException e) {
            problems.accept(
                "skipped an alert that does not decode ("
                    + record.topic()
                    + "-"
                    + record.partition()
                    + "@"
                    + record.offset()
                    + "): "
                    + e.getMessage());
            continue;
          }
          if (alert != null) {
            sink.accept(record(alert));
          }
        }
      }
    } catch (InterruptException | WakeupException e) {
      // Stopped by the user (or a test): a normal end of following.
      Thread.interrupted();
    }
  }

  private List<TopicPartition> awaitPartitions() {
    while (true) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
      if (infos != null && !infos.isEmpty()) {
        return infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      }
      // No alert was ever raised: the topic appears with the first one.
      try {
        Thread.sleep(TOPIC_RECHECK.toMillis()); // polling interval of a condition without deadline
      } catch (InterruptedException e) {
        throw new InterruptException(e);
      }
    }
  }

  /** The alert as the sink would store it. */
  static AlertRecord record(Alert a) {
    return new AlertRecord(
        a.getRunId(),
        a.getEntity(),
        a.getProject(),
        a.getEpisodeId(),
        a.getResolved(),
        Instant.ofEpochMilli(a.getTimestampMs()),
        a.getRule(),
        a.getSeverity().name(),
        a.getTitle(),
        a.getMessage(),
        a.getMetric(),
        a.getStep(),
        a.getValue(),
        a.getBaseline());
  }

  /** Makes {@link #follow} return soon; callable from any thread. */
  void wakeup() {
    consumer.wakeup();
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
