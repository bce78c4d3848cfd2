package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runstream.deploy.LocalStack;
import dev.runstream.query.CurvePoint;
import dev.runstream.query.MetricCurve;
import dev.runstream.query.MetricSummaryRow;
import dev.runstream.query.MetricValue;
import dev.runstream.query.RunFilter;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRow;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.sink.SinkConfig;
import dev.runstream.testing.LocalStackExtension;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SDK's durability promise under SIGKILL: a training job in a JVM of its own ({@link
 * FlatOutTrainingJob}) logs {@value FlatOutTrainingJob#METRICS} metrics per step as fast as it can
 * and reports each step on its stdout once {@code log()} returned for it; the test kills it with
 * SIGKILL at a random step, uploads its run directory with {@code runstream sync}, and finds in
 * ClickHouse every point of every reported step, each once. Three rounds on one run id, each a new
 * job resuming the run ({@code RUNSTREAM_RESUME=allow}) and killed again.
 *
 * <p>The kill threshold is random, from a seed the test logs; {@code -Dsigkill.seed=N} repeats a
 * run.
 *
 * <p>Fails while {@code log()} only queues in memory (issue 12): flat out, the points of the
 * reported steps were still in the SDK's queue when the kill came, and neither the run directory
 * nor Kafka had them. At one step per millisecond ({@code PAUSE_MICROS = 1000}) it passes with that
 * SDK, which shows the test's own logic holds.
 */
@ExtendWith(LocalStackExtension.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class SigkillDurabilityIT {
  private static final Logger log = LoggerFactory.getLogger(SigkillDurabilityIT.class);
  private static final String PROJECT = "sigkill-durability";
  private static final int ROUNDS = 3;
  // The job's pause between steps: 0 is as fast as it can. (At 1,000 µs the SDK of issue 12's
  // time lost nothing; flat out it lost the queue.)
  private static final long PAUSE_MICROS = 0;
  // Steps a round's job reports before it is killed: uniform in [MIN_STEPS, MAX_STEPS).
  private static final int MIN_STEPS = 20_000;
  private static final int MAX_STEPS = 80_000;
  private static final Duration DEADLINE = Duration.ofMinutes(3);

  @Test
  void everyPointLogReturnedForIsInClickHouseAfterSigkillAndSync(
      LocalStack stack, @TempDir Path dir) throws Exception {
    DemoSweep.pipeline(stack); // the processor and the sink of this JVM, closed with the stack
    SinkConfig sink = Pipeline.sinkConfig(stack, ConfigProperties.of(Map.of()));
    long seed = Long.getLong("sigkill.seed", System.nanoTime());
    log.info("seed {} (-Dsigkill.seed={} repeats this run)", seed, seed);
    Random random = new Random(seed);
    String runId = "sigkill-" + Long.toHexString(random.nextLong());
    Path runs = dir.resolve("runs");
    Path runDir = runs.resolve("run-" + runId);
    Map<String, String> jobEnv = new HashMap<>();
    jobEnv.put("KAFKA_BOOTSTRAP", stack.kafkaBootstrap());
    jobEnv.put("SCHEMA_REGISTRY_URL", stack.schemaRegistryUrl());
    jobEnv.put("RUNSTREAM_RUN_ID", runId);
    jobEnv.put("RUNSTREAM_RESUME", "allow");
    jobEnv.put("RUNSTREAM_DIR", runs.toString());
    jobEnv.put("RUNSTREAM_SYSTEM_METRICS_INTERVAL", "0");
    Map<String, String> cliEnv = new HashMap<>(System.getenv());
    cliEnv.put("RUNSTREAM_HOME", dir.resolve("home").toString());
    cliEnv.put("KAFKA_BOOTSTRAP", stack.kafkaBootstrap());
    cliEnv.put("SCHEMA_REGISTRY_URL", stack.schemaRegistryUrl());
    cliEnv.put("CLICKHOUSE_URL", stack.clickhouseUrl());
    Path logs = Files.createDirectories(Paths.get("target", "sigkill-durability-" + runId));

    // Every step some job reported, as inclusive ranges, one per round.
    List<long[]> reported = new ArrayList<>();
    try (RunQueries queries =
            RunQueries.connect(
                stack.clickhouseUrl(),
                SinkConfig.DEFAULT_CLICKHOUSE_USER,
                SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD,
                SinkConfig.DEFAULT_DATABASE);
        Admin admin = ConsumerGroups.admin(stack.kafkaBootstrap())) {
      for (int round = 1; round <= ROUNDS; round++) {
        int threshold = MIN_STEPS + random.nextInt(MAX_STEPS - MIN_STEPS);
        StepReport report;
        try (ChildJvm job =
            ChildJvm.start(
                "training job " + round,
                FlatOutTrainingJob.class,
                "512m",
                jobEnv,
                logs.resolve("job-" + round + ".log"),
                true,
                Long.toString(PAUSE_MICROS))) {
          report = new StepReport(job.stdout());
          await()
              .atMost(DEADLINE)
              .pollInterval(Duration.ofMillis(5))
              .until(
                  () -> {
                    if (report.start() >= 0 && report.last() - report.start() + 1 >= threshold) {
                      return true;
                    }
                    job.requireAlive();
                    return false;
                  });
          job.kill();
          report.awaitEnd();
        }
        long start = report.start();
        long last = report.last();
        log.info(
            "round {}: killed the job after it reported steps {}..{} ({} points), threshold {}",
            round,
            start,
            last,
            (last - start + 1) * FlatOutTrainingJob.METRICS,
            threshold);
        assertThat(last - start + 1)
            .as("steps reported in round %d", round)
            .isGreaterThanOrEqualTo(threshold);
        if (!reported.isEmpty()) {
          assertThat(start)
              .as("round %d's job resumed the run after every step reported before", round)
              .isGreaterThan(reported.get(reported.size() - 1)[1]);
        }
        reported.add(new long[] {start, last});

        CliRunner.Result sync = CliRunner.run(cliEnv, "sync", runDir.toString());
        log.info("round {}: runstream sync: {}", round, sync.out().strip());
        assertThat(sync.exit()).as("%s", sync).isZero();
        // Kafka now holds everything the run directory held; once the sink committed it all,
        // ClickHouse holds it too, and nothing more will come.
        await()
            .atMost(DEADLINE)
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> ConsumerGroups.caughtUp(admin, sink.groupId(), sink.topics().metrics.name()));

        Map<String, NavigableMap<Long, Double>> stored = queries.points(runId);
        long reportedPoints = 0;
        Map<String, Long> missing = new TreeMap<>();
        Map<String, Long> firstMissing = new TreeMap<>();
        for (int m = 0; m < FlatOutTrainingJob.METRICS; m++) {
          String metric = FlatOutTrainingJob.metric(m);
          NavigableMap<Long, Double> points = stored.getOrDefault(metric, new TreeMap<>());
          long lost = 0;
          for (long[] range : reported) {
            for (long step = range[0]; step <= range[1]; step++) {
              reportedPoints++;
              Double value = points.get(step);
              if (value == null || value != FlatOutTrainingJob.value(m, step)) {
                if (lost++ == 0) {
                  firstMissing.put(metric, step);
                }
              }
            }
          }
          missing.put(metric, lost);
        }
        long lostPoints = missing.values().stream().mapToLong(Long::longValue).sum();
        log.info(
            "round {}: log() returned for {} points of steps {}; ClickHouse lacks {} of them"
                + " (per metric {}, first missing step {})",
            round,
            reportedPoints,
            describe(reported),
            lostPoints,
            missing,
            firstMissing);
        assertThat(lostPoints)
            .as(
                "points of reported steps %s missing from ClickHouse (or with another value) after"
                    + " SIGKILL and sync, of %d; per metric %s, first missing step %s",
                describe(reported), reportedPoints, missing, firstMissing)
            .isZero();

        assertNothingTwice(queries, runId, stored);
      }
    }
  }

  /**
   * Each stored step counts once in the query module's answers made from the stored points: the
   * curves, the runs table's rows and (once the processor caught up) the processor's summaries.
   */
  private static void assertNothingTwice(
      RunQueries queries, String runId, Map<String, NavigableMap<Long, Double>> stored) {
    List<String> metrics = new ArrayList<>();
    for (int m = 0; m < FlatOutTrainingJob.METRICS; m++) {
      metrics.add(FlatOutTrainingJob.metric(m));
    }
    assertThat(stored).containsOnlyKeys(metrics);
    RunRow row =
        queries
            .runs(RunFilter.builder(PROJECT).metrics(metrics.toArray(String[]::new)).build())
            .runs()
            .stream()
            .filter(r -> r.run().id().equals(runId))
            .findFirst()
            .orElseThrow(() -> new AssertionError("run " + runId + " is not in the runs table"));
    for (String metric : metrics) {
      long distinct = stored.get(metric).size();
      List<MetricCurve> curves = queries.curves(PROJECT, metric, List.of(runId), 200);
      assertThat(curves).hasSize(1);
      assertThat(curves.get(0).points().stream().mapToLong(CurvePoint::points).sum())
          .as("points of %s in its curve's buckets", metric)
          .isEqualTo(distinct);
      MetricValue value = row.metrics().get(metric);
      assertThat(value).as("%s in the runs table", metric).isNotNull();
      assertThat(value.points()).as("points of %s in the runs table", metric).isEqualTo(distinct);
      assertThat(value.finalStep()).isEqualTo(stored.get(metric).lastKey());
    }
    await()
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              Map<String, MetricSummaryRow> summaries = queries.summaries(runId);
              for (String metric : metrics) {
                assertThat(summaries.get(metric))
                    .as("the processor's summary of %s", metric)
                    .isNotNull()
                    .extracting(MetricSummaryRow::count)
                    .isEqualTo((long) stored.get(metric).size());
              }
            });
  }

  private static String describe(List<long[]> ranges) {
    List<String> out = new ArrayList<>();
    ranges.forEach(r -> out.add(r[0] + ".." + r[1]));
    return String.join(", ", out);
  }

  /**
   * Reads a {@link FlatOutTrainingJob}'s report on its own thread: the step it started at and the
   * last step of a complete line (a line cut by the kill is not a report).
   */
  private static final class StepReport {
    private final Thread reader;
    private volatile long start = -1;
    private volatile long last = -1;
    private volatile Exception failure;

    StepReport(InputStream in) {
      reader = new Thread(() -> read(in), "step-report");
      reader.setDaemon(true);
      reader.start();
    }

    private void read(InputStream in) {
      byte[] buffer = new byte[1 << 16];
      StringBuilder line = new StringBuilder();
      try (in) {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          for (int i = 0; i < n; i++) {
            char c = (char) buffer[i];
            if (c != '\n') {
              line.append(c);
              continue;
            }
            String text = line.toString();
            line.setLength(0);
            if (text.startsWith("start ")) {
              start = Long.parseLong(text.substring("start ".length()));
            } else {
              long step = Long.parseLong(text);
              if (step != (last < 0 ? start : last + 1)) {
                throw new IllegalStateException("step " + step + " reported after " + last);
              }
              last = step;
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        failure = e;
      }
    }

    /** The step the job started at, -1 before it said. */
    long start() {
      return start;
    }

    /** The last step reported, -1 before the first. */
    long last() {
      return last;
    }

    /** Waits until the job's stdout ended (it is dead) and everything on it was read. */
    void awaitEnd() throws InterruptedException {
      reader.join(TimeUnit.SECONDS.toMillis(60));
      if (reader.isAlive()) {
        throw new IllegalStateException("the job's stdout did not end within 60 s of its death");
      }
      if (failure != null) {
        throw new IllegalStateException("reading the job's report failed", failure);
      }
    }
  }
}
