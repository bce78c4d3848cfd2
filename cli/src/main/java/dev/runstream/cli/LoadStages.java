package dev.runstream.cli;

import dev.runstream.cli.load.StageCounts;
import dev.runstream.query.IngestProgress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Counts the points of a load at each stage: accepted by the SDK, appended to the metrics topic
 * (records since the start times metrics per record, as one {@code log()} is one record), counted
 * by the processor and written by the sink (both read from ClickHouse through the query module).
 *
 * <p>The topic's count includes other producers' records on a shared stack; the load's own project
 * keeps the ClickHouse counts exact. Not thread-safe; one sampling thread.
 */
final class LoadStages {
  private static final long KAFKA_TIMEOUT_S = 10;

  private final Admin admin;
  private final String topic;
  private final IngestProgress ingest;
  private final String project;
  private final int metrics;
  private final LongSupplier accepted;
  private final Map<TopicPartition, Long> startOffsets = new HashMap<>();

  LoadStages(
      Admin admin,
      String topic,
      IngestProgress ingest,
      String project,
      int metrics,
      LongSupplier accepted) {
    this.admin = admin;
    this.topic = topic;
    this.ingest = ingest;
    this.project = project;
    this.metrics = metrics;
    this.accepted = accepted;
  }

  /** Remembers where the metrics topic ends now: records after this are the load's. */
  void begin() {
    startOffsets.clear();
    startOffsets.putAll(endOffsets());
  }

  /** The points at each stage now. Blocks for a few round trips. */
  StageCounts sample() {
    long accepted = this.accepted.getAsLong();
    long records = 0;
    for (Map.Entry<TopicPartition, Long> e : endOffsets().entrySet()) {
      records += e.getValue() - startOffsets.getOrDefault(e.getKey(), 0L);
    }
    return new StageCounts(
        accepted, records * metrics, ingest.summarisedPoints(project), ingest.points(project));
  }

  private Map<TopicPartition, Long> endOffsets() {
    try {
      TopicDescription description =
          admin
              .describeTopics(List.of(topic))
              .allTopicNames()
              .get(KAFKA_TIMEOUT_S, TimeUnit.SECONDS)
              .get(topic);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      description
          .partitions()
          .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
      Map<TopicPartition, Long> out = new HashMap<>();
      for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e :
          admin.listOffsets(latest).all().get(KAFKA_TIMEOUT_S, TimeUnit.SECONDS).entrySet()) {
        out.put(e.getKey(), e.getValue().offset());
      }
      return out;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return Map.of(); // created by the first record
      }
      throw new CliException("cannot read the end offsets of " + topic + ": " + e.getCause(), e);
    } catch (TimeoutException e) {
      throw new CliException("Kafka did not list the offsets of " + topic + " in time", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted while reading the offsets of " + topic, e);
    }
  }
}
