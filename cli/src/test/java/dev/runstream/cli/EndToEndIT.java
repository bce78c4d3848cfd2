package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.cli.demo.TutorialRuns;
import dev.runstream.cli.demo.TutorialRuns.SimulatedRun;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.MetricSummaryRow;
import dev.runstream.query.RunComparison;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRecord;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sink.SinkConfig;
import dev.runstream.testing.LocalStackExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tutorial program as 10 runs through the whole pipeline on the real stack: SDK, Kafka, stream
 * processor, sink, ClickHouse. Everything is asserted by querying ClickHouse.
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class EndToEndIT {
  private static final int RUNS = 10;
  private RunQueries queries;
  private List<SimulatedRun> simulated;
  private Map<String, SimulatedRun> byId;

  @BeforeAll
  void runTheTutorial(LocalStack stack, @TempDir Path runsDir) {
    DemoSweep.pipeline(stack); // shared by the test classes of this JVM, closed with the stack
    queries =
        RunQueries.connect(
            stack.clickhouseUrl(),
            SinkConfig.DEFAULT_CLICKHOUSE_USER,
            SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD,
            SinkConfig.DEFAULT_DATABASE);
    simulated =
        TutorialRuns.run(
            RUNS,
            name ->
                RunOptions.builder(TutorialRuns.PROJECT, Map.of())
                    .directory(runsDir)
                    .kafkaBootstrap(stack.kafkaBootstrap())
                    .schemaRegistryUrl(stack.schemaRegistryUrl()));
    byId = simulated.stream().collect(Collectors.toMap(SimulatedRun::runId, Function.identity()));
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              for (SimulatedRun run : simulated) {
                assertThat(queries.points(run.runId())).isEqualTo(run.points());
                Map<String, MetricSummaryRow> summaries = queries.summaries(run.runId());
                assertThat(summaries).containsKeys("acc", "loss");
                assertThat(summaries.get("loss").count()).isEqualTo(8);
                assertThat(summaries.get("acc").count()).isEqualTo(8);
              }
              assertThat(queries.runs(TutorialRuns.PROJECT))
                  .filteredOn(r -> byId.containsKey(r.id()))
                  .hasSize(RUNS)
                  .allSatisfy(r -> assertThat(r.state()).isEqualTo("FINISHED"));
            });
  }

  @AfterAll
  void stop() {
    if (queries != null) {
      queries.close();
    }
  }

  @Test
  void everyLoggedValueOfEveryRunIsInClickHouse() {
    for (SimulatedRun run : simulated) {
      Map<String, NavigableMap<Long, Double>> points = queries.points(run.runId());
      assertThat(points.keySet()).containsExactlyInAnyOrder("acc", "loss");
      assertThat(points.get("loss")).isEqualTo(run.points().get("loss"));
      assertThat(points.get("acc")).isEqualTo(run.points().get("acc"));
      assertThat(points.get("loss").keySet()).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
    }
  }

  @Test
  void everyRunsMetadataIsInClickHouse() throws Exception {
    List<RunRecord> runs =
        queries.runs(TutorialRuns.PROJECT).stream().filter(r -> byId.containsKey(r.id())).toList();
    assertThat(runs).hasSize(RUNS);
    ObjectMapper json = new ObjectMapper();
    for (RunRecord record : runs) {
      SimulatedRun run = byId.get(record.id());
      assertThat(record.name()).isEqualTo(run.name());
      assertThat(record.notes()).isEqualTo("training test");
      assertThat(record.tags()).containsExactly("tag1", "tag2");
      assertThat(record.project()).isEqualTo("tinyllm");
      assertThat(record.config())
          .containsEntry("learning_rate", "0.02")
          .containsEntry("architecture", "CNN")
          .containsEntry("dataset", "CIFAR-100")
          .containsEntry("epochs", "10")
          .containsEntry("seed", Long.toString(run.seed()));
      assertThat(json.readValue(record.configJson(), Map.class))
          .isEqualTo(json.readValue(json.writeValueAsString(run.config()), Map.class));
    }
    assertThat(runs).extracting(RunRecord::name).doesNotHaveDuplicates();
  }

  @Test
  void theProcessorsAggregatesAreInClickHouse() {
    for (SimulatedRun run : simulated) {
      Map<String, MetricSummaryRow> summaries = queries.summaries(run.runId());
      for (String metric : List.of("acc", "loss")) {
        TreeMap<Long, Double> logged = run.points().get(metric);
        MetricSummaryRow row = summaries.get(metric);
        double min = logged.values().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double max = logged.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        double sum = logged.values().stream().mapToDouble(Double::doubleValue).sum();
        assertThat(row.count()).isEqualTo(8);
        assertThat(row.finiteCount()).isEqualTo(8);
        assertThat(row.min()).isEqualTo(min);
        assertThat(row.max()).isEqualTo(max);
        assertThat(row.minStep()).isEqualTo(stepOf(logged, min));
        assertThat(row.maxStep()).isEqualTo(stepOf(logged, max));
        assertThat(row.first()).isEqualTo(logged.firstEntry().getValue());
        assertThat(row.firstStep()).isEqualTo(0);
        assertThat(row.last()).isEqualTo(logged.lastEntry().getValue());
        assertThat(row.lastStep()).isEqualTo(7);
        assertThat(row.sum()).isCloseTo(sum, within(1e-9));
        assertThat(row.nanCount()).isZero();
      }
    }
  }

  @Test
  void theRunsCompareSideBySideWithFinalAndBestValues() {
    List<RunComparison> compared =
        queries.compare(TutorialRuns.PROJECT, List.of("acc", "loss")).stream()
            .filter(r -> byId.containsKey(r.runId()))
            .toList();
    assertThat(compared).hasSize(RUNS);
    for (RunComparison row : compared) {
      SimulatedRun run = byId.get(row.runId());
      TreeMap<Long, Double> acc = run.points().get("acc");
      TreeMap<Long, Double> loss = run.points().get("loss");
      assertThat(row.name()).isEqualTo(run.name());
      assertThat(row.tags()).containsExactly("tag1", "tag2");
      assertThat(row.config()).containsEntry("dataset", "CIFAR-100");
      assertThat(row.metrics().get("acc").finalValue()).isEqualTo(acc.lastEntry().getValue());
      assertThat(row.metrics().get("acc").best()).isEqualTo(max(acc));
      assertThat(row.metrics().get("loss").finalValue()).isEqualTo(loss.lastEntry().getValue());
      assertThat(row.metrics().get("loss").best()).isEqualTo(min(loss));
    }
  }

  private static long stepOf(TreeMap<Long, Double> points, double value) {
    return points.entrySet().stream()
        .filter(e -> e.getValue() == value)
        .findFirst()
        .orElseThrow()
        .getKey();
  }

  private static double max(TreeMap<Long, Double> points) {
    return points.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
  }

  private static double min(TreeMap<Long, Double> points) {
    return points.values().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
  }
}
