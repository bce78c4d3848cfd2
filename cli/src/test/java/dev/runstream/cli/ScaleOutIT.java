package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.StreamProcessor;
import dev.runstream.query.CurvePoint;
import dev.runstream.query.MetricCurve;
import dev.runstream.query.MetricSummaryRow;
import dev.runstream.query.RunFilter;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRecord;
import dev.runstream.query.RunRow;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.sdk.Resume;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import dev.runstream.sink.SinkConfig;
import dev.runstream.sink.SinkMain;
import dev.runstream.testing.LocalStackExtension;
import java.io.IOException;
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
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scaling out: two stream processors and two sinks, each a JVM of its own in one consumer group
 * (one application id), share the partitions of one team's topics while training jobs log; one
 * processor and one sink are killed with SIGKILL under load and restarted. Afterwards ClickHouse
 * holds every point logged exactly once in every answer, and the processor's run summaries and run
 * states equal those of the same workload through one processor and one sink never killed (the
 * reference pass, on a topic prefix and a database of its own).
 *
 * <p>The kill comes when the sinks have stored a random fraction of the points, from a seed the
 * test logs; {@code -Dscaleout.seed=N} repeats a run.
 */
@ExtendWith(LocalStackExtension.class)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class ScaleOutIT {
  private static final Logger log = LoggerFactory.getLogger(ScaleOutIT.class);
  private static final int RUNS = 20;
  private static final int STEPS = 2_000;
  private static final int METRICS = 5;
  private static final long POINTS = (long) RUNS * STEPS * METRICS;
  // The pace of the simulated training jobs of the scaled-out pass, not synchronisation: the kill
  // should come while they log, about ten seconds at this pace.
  private static final Duration STEP_PAUSE = Duration.ofMillis(5);
  private static final Duration DEADLINE = Duration.ofMinutes(3);
  private static final String PROJECT = "scale-out";
  private static final String[] METRIC_NAMES = {"loss", "acc", "lr", "grad_norm", "val_loss"};

  private final String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private final Pass reference = new Pass("ref");
  private final Pass scaled = new Pass("out");
  private ClickHouseHttp http;

  /** One pass of the workload: its own topics, processor application, sink group and database. */
  private final class Pass {
    final String name;
    final Topics topics;
    final String database;
    final String applicationId;
    final String sinkGroup;

    Pass(String name) {
      this.name = name;
      this.topics = Topics.withPrefix("scale" + id + name + ".runstream.");
      this.database = "scale_" + id + "_" + name;
      this.applicationId = "scale-" + id + "-" + name;
      this.sinkGroup = "scale-sink-" + id + "-" + name;
    }

    /** The settings the processor and the sink read from their environment. */
    Map<String, String> env(LocalStack stack) {
      Map<String, String> env = new HashMap<>();
      env.put("KAFKA_BOOTSTRAP", stack.kafkaBootstrap());
      env.put("SCHEMA_REGISTRY_URL", stack.schemaRegistryUrl());
      env.put("CLICKHOUSE_URL", stack.clickhouseUrl());
      env.put("RUNSTREAM_TOPIC_PREFIX", topics.prefix());
      env.put("CLICKHOUSE_DATABASE", database);
      env.put("RUNSTREAM_PROCESSOR_APPLICATION_ID", applicationId);
      env.put("RUNSTREAM_SINK_GROUP_ID", sinkGroup);
      return env;
    }

    RunQueries queries(LocalStack stack) {
      return RunQueries.connect(
          stack.clickhouseUrl(),
          SinkConfig.DEFAULT_CLICKHOUSE_USER,
          SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD,
          database);
    }
  }

  /** A run's processor summary of one metric, without the times that differ between passes. */
  private record Summary(
      long count,
      long finiteCount,
      double sum,
      double min,
      long minStep,
      double max,
      long maxStep,
      double first,
      long firstStep,
      double last,
      long lastStep,
      long nanCount,
      long infCount) {
    static Summary of(MetricSummaryRow r) {
      return new Summary(
          r.count(),
          r.finiteCount(),
          r.sum(),
          r.min(),
          r.minStep(),
          r.max(),
          r.maxStep(),
          r.first(),
          r.firstStep(),
          r.last(),
          r.lastStep(),
          r.nanCount(),
          r.infCount());
    }
  }

  @BeforeEach
  void setUp(LocalStack stack) {
    http = new ClickHouseHttp(ClickHouseHttp.newClient(stack.clickhouseUrl(), "default", ""), true);
  }

  @AfterEach
  void tearDown() {
    for (Pass pass : List.of(reference, scaled)) {
      http.execute("DROP DATABASE IF EXISTS " + pass.database);
    }
    http.close();
  }

  private static String runId(int run) {
    return String.format("scale-run-%02d", run);
  }

  /** What every pass logs: exact, the same in every JVM, a NaN now and then for the counters. */
  private static double value(int run, int metric, long step) {
    if (metric == 4 && step % 500 == 499) {
      return Double.NaN;
    }
    return StrictMath.sin(step * 0.01 * (metric + 1)) + run;
  }

  @Test
  void twoProcessorsAndTwoSinksOneOfEachKilledUnderLoadGiveTheAnswersOfOneUninterruptedPass(
      LocalStack stack, @TempDir Path dir) throws Exception {
    long seed = Long.getLong("scaleout.seed", System.nanoTime());
    log.info("seed {} (-Dscaleout.seed={} repeats this run)", seed, seed);
    Random random = new Random(seed);
    Path logs = Files.createDirectories(Paths.get("target", "scale-out-" + id));

    Map<String, ChildJvm> children = new TreeMap<>();
    try (Admin admin = ConsumerGroups.admin(stack.kafkaBootstrap())) {
      for (String instance : List.of("a", "b")) {
        children.put("processor-" + instance, startProcessor(stack, instance, dir, logs));
        children.put("sink-" + instance, startSink(stack, instance, logs));
      }

      // The reference, while the children start: one processor and one sink in this JVM, never
      // killed, the workload as fast as it goes.
      ConfigProperties referenceEnv = ConfigProperties.of(reference.env(stack));
      try (Pipeline pipeline =
          Pipeline.start(
              stack,
              Pipeline.processorConfig(stack, referenceEnv, dir.resolve("ref-state")),
              Pipeline.sinkConfig(stack, referenceEnv))) {
        load(stack, reference, dir.resolve("ref-runs"), Duration.ZERO);
        awaitComplete(stack, reference);
        assertThat(pipeline.sink().stats().deadLettered()).isZero();
      }

      String metricsTopic = scaled.topics.metrics.name();
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                children.values().forEach(ChildJvm::requireAlive);
                return sharing(admin, scaled.applicationId, metricsTopic)
                    && sharing(admin, scaled.sinkGroup, metricsTopic);
              });
      logAssignment(admin, "before the load", metricsTopic);

      CompletableFuture<Void> load =
          CompletableFuture.runAsync(
              () -> {
                try {
                  load(stack, scaled, dir.resolve("out-runs"), STEP_PAUSE);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  throw new IllegalStateException(e);
                }
              });
      // Early enough that the jobs usually still log when it comes: the sinks lag on a busy
      // machine.
      double fraction = 0.1 + 0.4 * random.nextDouble();
      String victim = random.nextBoolean() ? "a" : "b";
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                children.values().forEach(ChildJvm::requireAlive);
                return rawRows() >= fraction * POINTS;
              });
      children.get("processor-" + victim).kill();
      children.get("sink-" + victim).kill();
      long rowsAtKill = rawRows();
      log.info(
          "killed processor-{} and sink-{} (SIGKILL) at {} metric rows in ClickHouse ({}% of {}"
              + " points, threshold {}%); the load was {}",
          victim,
          victim,
          rowsAtKill,
          rowsAtKill * 100 / POINTS,
          POINTS,
          Math.round(fraction * 100),
          load.isDone() ? "over" : "still logging");
      children.put("processor-" + victim, startProcessor(stack, victim, dir, logs));
      children.put("sink-" + victim, startSink(stack, victim, logs));

      load.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      awaitComplete(stack, scaled);
      children.values().forEach(ChildJvm::requireAlive);
      // The restarted instances took their share again once the dead members' sessions expired.
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  sharing(admin, scaled.applicationId, metricsTopic)
                      && sharing(admin, scaled.sinkGroup, metricsTopic));
      logAssignment(admin, "after the restart", metricsTopic);

      assertSameAnswers(stack);
    } finally {
      for (ChildJvm child : children.values()) {
        child.close();
      }
    }
  }

  /** Each pass's answers: every point once, and the summaries and states of the reference. */
  private void assertSameAnswers(LocalStack stack) {
    long raw =
        http.queryJson("SELECT count() AS n FROM " + scaled.database + ".metrics")
            .get(0)
            .get("n")
            .asLong();
    long distinct =
        http.queryJson("SELECT count() AS n FROM " + scaled.database + ".metrics FINAL")
            .get(0)
            .get("n")
            .asLong();
    log.info(
        "metric rows in ClickHouse: {} stored (of which {} written twice and not merged away yet,"
            + " invisible to queries), {} distinct, {} logged",
        raw,
        raw - distinct,
        distinct,
        POINTS);
    assertThat(distinct).as("distinct metric rows").isEqualTo(POINTS);
    try (RunQueries expected = reference.queries(stack);
        RunQueries actual = scaled.queries(stack)) {
      assertThat(states(actual)).isEqualTo(states(expected));
      assertThat(states(actual).values()).containsOnly("FINISHED");
      Map<String, Map<String, Summary>> expectedSummaries = summaries(expected);
      assertThat(expectedSummaries).hasSize(RUNS);
      assertThat(summaries(actual)).isEqualTo(expectedSummaries);
      for (int run = 0; run < RUNS; run++) {
        Map<String, NavigableMap<Long, Double>> points = actual.points(runId(run));
        assertThat(points.keySet()).containsExactlyInAnyOrder(METRIC_NAMES);
        for (int m = 0; m < METRICS; m++) {
          NavigableMap<Long, Double> series = points.get(METRIC_NAMES[m]);
          assertThat(series).as("%s of %s", METRIC_NAMES[m], runId(run)).hasSize(STEPS);
          NavigableMap<Long, Double> logged = new TreeMap<>();
          for (long step = 0; step < STEPS; step++) {
            logged.put(step, value(run, m, step));
          }
          assertThat(series).as("%s of %s", METRIC_NAMES[m], runId(run)).isEqualTo(logged);
        }
      }
      List<RunRow> rows =
          actual.runs(RunFilter.builder(PROJECT).metrics(METRIC_NAMES).build()).runs();
      assertThat(rows).hasSize(RUNS);
      for (RunRow row : rows) {
        for (String metric : METRIC_NAMES) {
          assertThat(row.metrics().get(metric).points())
              .as("points of %s of %s in the runs table", metric, row.run().id())
              .isEqualTo(STEPS);
        }
      }
      for (String metric : METRIC_NAMES) {
        List<MetricCurve> curves = actual.curves(PROJECT, metric, 200);
        assertThat(curves).hasSize(RUNS);
        for (MetricCurve curve : curves) {
          assertThat(curve.points().stream().mapToLong(CurvePoint::points).sum())
              .as("points of %s of %s in its curve", metric, curve.runId())
              .isEqualTo(STEPS);
        }
      }
    }
  }

  /**
   * Logs the workload through the SDK into {@code pass}'s topics, each run on a thread of its own
   * with {@code pause} between steps, and finishes the runs.
   */
  private static void load(LocalStack stack, Pass pass, Path runsDir, Duration pause)
      throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(RUNS);
    try {
      List<CompletableFuture<Void>> runs = new ArrayList<>();
      for (int r = 0; r < RUNS; r++) {
        int run = r;
        runs.add(
            CompletableFuture.runAsync(
                () -> {
                  try (Run sdk =
                      Runstream.init(
                          RunOptions.builder(PROJECT, Map.of())
                              .runId(runId(run))
                              .name("run " + run)
                              .resume(Resume.NEVER)
                              .resumeLookupTimeout(Duration.ZERO)
                              .directory(runsDir)
                              .kafkaBootstrap(stack.kafkaBootstrap())
                              .schemaRegistryUrl(stack.schemaRegistryUrl())
                              .topicPrefix(pass.topics.prefix())
                              .systemMetricsInterval(Duration.ZERO)
                              .build())) {
                    for (long step = 0; step < STEPS; step++) {
                      Map<String, Double> metrics = new HashMap<>();
                      for (int m = 0; m < METRICS; m++) {
                        metrics.put(METRIC_NAMES[m], value(run, m, step));
                      }
                      sdk.log(metrics, step);
                      if (!pause.isZero()) {
                        LockSupport.parkNanos(pause.toNanos());
                      }
                    }
                    sdk.finish();
                    assertThat(sdk.counters().rejected()).isZero();
                  }
                },
                pool));
      }
      CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new))
          .get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the workload failed", e);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Waits until {@code pass}'s ClickHouse holds the whole workload: every run finished, and every
   * metric summarised over all its steps.
   */
  private static void awaitComplete(LocalStack stack, Pass pass) {
    try (RunQueries queries = pass.queries(stack)) {
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(
              () -> {
                assertThat(states(queries)).hasSize(RUNS).containsValue("FINISHED");
                assertThat(states(queries).values()).containsOnly("FINISHED");
                Map<String, Map<String, Summary>> summaries = summaries(queries);
                assertThat(summaries).hasSize(RUNS);
                for (Map<String, Summary> run : summaries.values()) {
                  assertThat(run).hasSize(METRICS);
                  run.values().forEach(s -> assertThat(s.count()).isEqualTo(STEPS));
                }
              });
    }
  }

  private static Map<String, String> states(RunQueries queries) {
    Map<String, String> states = new TreeMap<>();
    for (RunRecord run : queries.runs(PROJECT)) {
      states.put(run.id(), run.state());
    }
    return states;
  }

  private static Map<String, Map<String, Summary>> summaries(RunQueries queries) {
    Map<String, Map<String, Summary>> out = new TreeMap<>();
    for (int run = 0; run < RUNS; run++) {
      Map<String, Summary> metrics = new TreeMap<>();
      queries.summaries(runId(run)).forEach((metric, row) -> metrics.put(metric, Summary.of(row)));
      if (!metrics.isEmpty()) {
        out.put(runId(run), metrics);
      }
    }
    return out;
  }

  /** Metric rows the sinks wrote so far, a replayed row counted again. */
  private long rawRows() {
    List<JsonNode> rows =
        http.queryJson(
            "SELECT count() AS n FROM system.tables WHERE database = '"
                + scaled.database
                + "' AND name = 'metrics'");
    if (rows.get(0).get("n").asLong() == 0) {
      return 0;
    }
    return http.queryJson("SELECT count() AS n FROM " + scaled.database + ".metrics")
        .get(0)
        .get("n")
        .asLong();
  }

  /** Whether {@code group} has two members and each holds partitions of {@code topic}. */
  /**
   * Whether both instances hold partitions of {@code topic}. An instance may be several members (a
   * processor runs a consumer per stream thread, client ids {@code
   * processor-a-StreamThread-N-...}), so members are counted by the instance their client id names.
   */
  private static boolean sharing(Admin admin, String group, String topic) throws Exception {
    Map<String, Set<Integer>> byInstance = new TreeMap<>();
    ConsumerGroups.assignment(admin, group, topic)
        .forEach(
            (member, partitions) ->
                byInstance
                    .computeIfAbsent(instanceOf(member), k -> new TreeSet<>())
                    .addAll(partitions));
    return byInstance.size() == 2 && byInstance.values().stream().noneMatch(Set::isEmpty);
  }

  private static String instanceOf(String member) {
    Matcher m = INSTANCE.matcher(member);
    return m.find() ? m.group(1) : member;
  }

  private static final Pattern INSTANCE = Pattern.compile("^((?:processor|sink)-[ab])\\b");

  private void logAssignment(Admin admin, String when, String topic) throws Exception {
    log.info(
        "{}: partitions of {} held by the processors {}, by the sinks {}",
        when,
        topic,
        ConsumerGroups.assignment(admin, scaled.applicationId, topic),
        ConsumerGroups.assignment(admin, scaled.sinkGroup, topic));
  }

  // Sessions of 10 s, not 45: the dead instance's partitions move on sooner. Client ids name the
  // instance in the group's description.
  private ChildJvm startProcessor(LocalStack stack, String instance, Path dir, Path logs)
      throws IOException {
    Map<String, String> env = scaled.env(stack);
    env.put("RUNSTREAM_STATE_DIR", dir.resolve("out-state-" + instance).toString());
    env.put(
        "RUNSTREAM_KAFKA_PROPERTIES",
        "client.id=processor-" + instance + ",session.timeout.ms=10000");
    return ChildJvm.start(
        "processor-" + instance,
        StreamProcessor.class,
        "256m",
        env,
        logs.resolve("processor-" + instance + ".log"),
        false);
  }

  private ChildJvm startSink(LocalStack stack, String instance, Path logs) throws IOException {
    Map<String, String> env = scaled.env(stack);
    env.put(
        "RUNSTREAM_KAFKA_PROPERTIES", "client.id=sink-" + instance + ",session.timeout.ms=10000");
    return ChildJvm.start(
        "sink-" + instance,
        SinkMain.class,
        "256m",
        env,
        logs.resolve("sink-" + instance + ".log"),
        false);
  }
}
