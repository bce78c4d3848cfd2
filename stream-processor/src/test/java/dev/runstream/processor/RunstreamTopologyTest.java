package dev.runstream.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.MetricAggregate;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.RunSummary;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RunstreamTopologyTest {
  private static final Duration INTERVAL = Duration.ofSeconds(1);
  private final Topics topics = Topics.defaults();
  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private TopologyTestDriver driver;
  private TestInputTopic<String, RunEvent> runs;
  private TestInputTopic<String, MetricBatch> metrics;
  private TestOutputTopic<String, RunSummary> summaries;
  private long sequence;

  @BeforeEach
  void start() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            RunstreamTopology.build(topics, registry, INTERVAL), props, Instant.ofEpochMilli(0));
    runs =
        driver.createInputTopic(
            topics.runs.name(), new StringSerializer(), topics.runs.serde(registry).serializer());
    metrics =
        driver.createInputTopic(
            topics.metrics.name(),
            new StringSerializer(),
            topics.metrics.serde(registry).serializer());
    summaries =
        driver.createOutputTopic(
            topics.runSummaries.name(),
            new StringDeserializer(),
            topics.runSummaries.serde(registry).deserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private void event(String runId, SpecificRecord payload) {
    runs.pipeInput(
        runId,
        RunEvent.newBuilder()
            .setRunId(runId)
            .setEntity("team")
            .setProject("tinyllm")
            .setTimestampMs(1_000)
            .setSequence(sequence++)
            .setPayload(payload)
            .build());
  }

  private void log(String runId, long step, Map<String, Double> values) {
    metrics.pipeInput(
        runId,
        MetricBatch.newBuilder()
            .setRunId(runId)
            .setEntity("team")
            .setProject("tinyllm")
            .setStep(step)
            .setTimestampMs(2_000 + step)
            .setSequence(sequence++)
            .setNames(List.copyOf(values.keySet()))
            .setValues(List.copyOf(values.values()))
            .build());
  }

  private static RunStarted started() {
    return RunStarted.newBuilder().setName("test1").build();
  }

  @Test
  void shouldPublishARunningSummaryAsSoonAsARunStarts() {
    event("r1", started());

    RunSummary summary = summaries.readValue();
    assertThat(summary.getState()).isEqualTo(RunState.RUNNING);
    assertThat(summary.getProject()).isEqualTo("tinyllm");
    assertThat(summary.getStartedMs()).isEqualTo(1_000L);
    assertThat(summaries.isEmpty()).isTrue();
  }

  @Test
  void shouldAggregateEveryMetricOfARun() {
    event("r1", started());
    summaries.readValue();
    log("r1", 2, Map.of("loss", 0.9));
    log("r1", 3, Map.of("loss", 0.4));
    log("r1", 5, Map.of("loss", Double.NaN));
    log("r1", 4, Map.of("loss", 0.6)); // late: lands by its step
    log("r1", 6, Map.of("loss", Double.POSITIVE_INFINITY));
    assertThat(summaries.isEmpty()).as("published by the punctuator, not per batch").isTrue();

    driver.advanceWallClockTime(INTERVAL);

    List<RunSummary> published = summaries.readValuesToList();
    assertThat(published).hasSize(1);
    MetricAggregate loss = published.get(0).getMetrics().get("loss");
    assertThat(loss.getCount()).isEqualTo(5);
    assertThat(loss.getFiniteCount()).isEqualTo(3);
    assertThat(loss.getNanCount()).isEqualTo(1);
    assertThat(loss.getInfCount()).isEqualTo(1);
    assertThat(loss.getMin()).isEqualTo(0.4);
    assertThat(loss.getMinStep()).isEqualTo(3);
    assertThat(loss.getMax()).isEqualTo(0.9);
    assertThat(loss.getMaxStep()).isEqualTo(2);
    assertThat(loss.getFirst()).isEqualTo(0.9);
    assertThat(loss.getFirstStep()).isEqualTo(2);
    assertThat(loss.getLast()).isInfinite();
    assertThat(loss.getLastStep()).isEqualTo(6);
    assertThat(loss.getSum()).isCloseTo(1.9, org.assertj.core.data.Offset.offset(1e-12));
  }

  @Test
  void shouldPublishOnlyRunsThatChangedSinceTheLastInterval() {
    event("r1", started());
    event("r2", started());
    summaries.readValuesToList();
    log("r1", 0, Map.of("acc", 0.5));
    driver.advanceWallClockTime(INTERVAL);
    assertThat(summaries.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("r1");

    driver.advanceWallClockTime(INTERVAL);
    assertThat(summaries.isEmpty()).isTrue();
  }

  @Test
  void shouldMarkRunsFinishedOrFailedByExitCode() {
    event("ok", started());
    event("bad", started());
    summaries.readValuesToList();
    event("ok", RunFinished.newBuilder().setExitCode(0).build());
    event("bad", RunFinished.newBuilder().setExitCode(137).build());

    List<RunSummary> published = summaries.readValuesToList();
    assertThat(published)
        .extracting(RunSummary::getRunId, RunSummary::getState, RunSummary::getExitCode)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("ok", RunState.FINISHED, 0),
            org.assertj.core.groups.Tuple.tuple("bad", RunState.FAILED, 137));
  }

  @Test
  void shouldStillAggregateMetricsThatArriveAfterTheFinish() {
    event("r1", started());
    event("r1", RunFinished.newBuilder().setExitCode(0).build());
    log("r1", 9, Map.of("loss", 0.1));
    driver.advanceWallClockTime(INTERVAL);

    List<RunSummary> published = summaries.readValuesToList();
    RunSummary last = published.get(published.size() - 1);
    assertThat(last.getState()).isEqualTo(RunState.FINISHED);
    assertThat(last.getMetrics().get("loss").getLast()).isEqualTo(0.1);
    KeyValueStore<String, RunSummary> store =
        driver.getKeyValueStore(RunstreamTopology.SUMMARY_STORE);
    assertThat(store.get("r1").getMetrics()).containsKey("loss");
  }
}
