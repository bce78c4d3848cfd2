package dev.runstream.processor;

import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.Heartbeat;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.RunSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/** The topology on a {@link TopologyTestDriver} with helpers that read like a training run. */
final class TopologyHarness implements AutoCloseable {
  final Topics topics = Topics.defaults();
  final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  final TopologyTestDriver driver;
  final TestInputTopic<String, RunEvent> runs;
  final TestInputTopic<String, MetricBatch> metrics;
  final TestInputTopic<byte[], byte[]> rawMetrics;
  final TestOutputTopic<String, RunSummary> summaries;
  final TestOutputTopic<String, Alert> alerts;
  final TestOutputTopic<byte[], byte[]> deadLetters;
  private final Map<String, Long> sequences = new HashMap<>();
  private final Path stateDir;
  private long eventTimeMs = 1_000_000;

  TopologyHarness(MonitorSettings settings) {
    this(settings, UnaryOperator.identity());
  }

  /**
   * @param forTopology the registry the topology's serdes use, made from the one the test's input
   *     serializers use (to make it fail, for example)
   */
  TopologyHarness(MonitorSettings settings, UnaryOperator<SchemaRegistry> forTopology) {
    try {
      stateDir = Files.createTempDirectory("runstream-ttd");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.putAll(
        StreamProcessor.streamsProperties(
            ProcessorConfig.of("unused:9092", "http://unused", stateDir)
                .withApplicationId("test")));
    driver =
        new TopologyTestDriver(
            RunstreamTopology.build(topics, forTopology.apply(registry), settings),
            props,
            Instant.ofEpochMilli(0));
    runs =
        driver.createInputTopic(
            topics.runs.name(), new StringSerializer(), topics.runs.serde(registry).serializer());
    metrics =
        driver.createInputTopic(
            topics.metrics.name(),
            new StringSerializer(),
            topics.metrics.serde(registry).serializer());
    rawMetrics =
        driver.createInputTopic(
            topics.metrics.name(), new ByteArraySerializer(), new ByteArraySerializer());
    summaries =
        driver.createOutputTopic(
            topics.runSummaries.name(),
            new StringDeserializer(),
            topics.runSummaries.serde(registry).deserializer());
    alerts =
        driver.createOutputTopic(
            topics.alerts.name(),
            new StringDeserializer(),
            topics.alerts.serde(registry).deserializer());
    deadLetters =
        driver.createOutputTopic(
            topics.deadLetters, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  static MonitorSettings.Builder settings() {
    return MonitorSettings.builder();
  }

  void event(String runId, SpecificRecord payload) {
    event(runId, payload, sequences.merge(runId, 1L, Long::sum) - 1);
  }

  /** An event with its own sequence, as a process that numbers its records differently sends. */
  void event(String runId, SpecificRecord payload, long seq) {
    runs.pipeInput(
        runId,
        RunEvent.newBuilder()
            .setRunId(runId)
            .setEntity("team")
            .setProject("tinyllm")
            .setTimestampMs(eventTimeMs)
            .setSequence(seq)
            .setPayload(payload)
            .build(),
        Instant.ofEpochMilli(eventTimeMs));
  }

  void start(String runId) {
    event(runId, RunStarted.newBuilder().setName("name-" + runId).build());
  }

  void heartbeat(String runId) {
    event(runId, Heartbeat.newBuilder().setLastStep(-1).build());
  }

  void finish(String runId, int exitCode) {
    event(runId, RunFinished.newBuilder().setExitCode(exitCode).build());
  }

  /** Logs one batch with the next sequence of the run and returns it, for replay tests. */
  MetricBatch log(String runId, long step, Map<String, Double> values) {
    MetricBatch batch = batch(runId, step, values);
    pipe(batch);
    return batch;
  }

  /**
   * One batch with the next sequence of the run, sent {@code late} after it was logged (its Kafka
   * timestamp is that much after its own), as an upload of a run directory sends it.
   */
  void upload(String runId, long step, String metric, double value, Duration late) {
    MetricBatch batch = batch(runId, step, Map.of(metric, value));
    metrics.pipeInput(
        batch.getRunId(), batch, Instant.ofEpochMilli(batch.getTimestampMs()).plus(late));
  }

  private MetricBatch batch(String runId, long step, Map<String, Double> values) {
    long seq = sequences.merge(runId, 1L, Long::sum) - 1;
    return MetricBatch.newBuilder()
        .setRunId(runId)
        .setEntity("team")
        .setProject("tinyllm")
        .setStep(step)
        .setTimestampMs(eventTimeMs + step)
        .setSequence(seq)
        .setNames(new ArrayList<>(values.keySet()))
        .setValues(new ArrayList<>(values.values()))
        .build();
  }

  void log(String runId, long step, String metric, double value) {
    log(runId, step, Map.of(metric, value));
  }

  void pipe(MetricBatch batch) {
    metrics.pipeInput(batch.getRunId(), batch, Instant.ofEpochMilli(batch.getTimestampMs()));
  }

  void advance(Duration d) {
    driver.advanceWallClockTime(d);
  }

  List<Alert> alerts() {
    return alerts.readValuesToList();
  }

  /** The last published summary of {@code runId} among what is waiting, after publishing. */
  RunSummary latestSummary(String runId) {
    driver.advanceWallClockTime(MonitorSettings.DEFAULT_PUBLISH_INTERVAL);
    RunSummary last = null;
    for (var kv : summaries.readKeyValuesToList()) {
      if (kv.key.equals(runId)) {
        last = kv.value;
      }
    }
    return last;
  }

  RunSummary stored(String runId) {
    return driver.<String, RunSummary>getKeyValueStore(RunstreamTopology.SUMMARY_STORE).get(runId);
  }

  @Override
  public void close() {
    driver.close();
    try (var files = Files.walk(stateDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      // a temp directory left behind is harmless
    }
  }
}
