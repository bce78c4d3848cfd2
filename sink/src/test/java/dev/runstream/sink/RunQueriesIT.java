package dev.runstream.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import com.clickhouse.client.api.Client;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.AlertRecord;
import dev.runstream.query.ConfigEffect;
import dev.runstream.query.CurvePoint;
import dev.runstream.query.FoundRun;
import dev.runstream.query.LeaderboardEntry;
import dev.runstream.query.MetricCurve;
import dev.runstream.query.MetricGoal;
import dev.runstream.query.MetricValue;
import dev.runstream.query.RunComparison;
import dev.runstream.query.RunFilter;
import dev.runstream.query.RunFinder;
import dev.runstream.query.RunNotFoundException;
import dev.runstream.query.RunPage;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRecord;
import dev.runstream.query.RunRow;
import dev.runstream.query.RunSort;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.Tables;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.ConfigUpdated;
import dev.runstream.schemas.avro.Goal;
import dev.runstream.schemas.avro.MetricAggregate;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.RunSummary;
import dev.runstream.schemas.avro.Severity;
import dev.runstream.schemas.avro.TagsUpdated;
import dev.runstream.sink.internal.EncodedRows;
import dev.runstream.sink.internal.RecordMapper;
import dev.runstream.sink.internal.Rollups;
import dev.runstream.sink.internal.TableWriter;
import dev.runstream.testing.LocalStackExtension;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every query of the comparison API on seeded data with known answers, on the real ClickHouse
 * 18.16. The data is written the way the sink writes it (the sink's row mapping, RowBinary inserts
 * and rollup refreshes) twice over, so every answer is also checked to be unchanged by duplicates.
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RunQueriesIT {
  private static final long T0 = 1_700_000_000_000L;
  private static final String P = "vision";
  private static final String G = "goals";
  private static final String TRICKY = "it's ' tricky\\'); DROP TABLE runs; --";

  private final LocalStack stack;
  private final String database =
      "itq_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private Client client;
  private ClickHouseHttp http;
  private RunQueries queries;

  /** The deduplicated loss points of each run: what every answer is computed from. */
  private final Map<String, TreeMap<Long, Double>> loss = new TreeMap<>();

  RunQueriesIT(LocalStack stack) {
    this.stack = stack;
  }

  @BeforeAll
  void seed() throws Exception {
    client = ClickHouseHttp.newClient(stack.clickhouseUrl(), "default", "");
    http = new ClickHouseHttp(client, false);
    assertThat(ClickHouseSchema.migrate(client, database)).containsExactly(1, 2, 3, 4);
    queries = new RunQueries(client, database);
    write(records());
  }

  @AfterAll
  void drop() {
    http.execute("DROP DATABASE IF EXISTS " + database);
    queries.close();
    client.close();
  }

  /** Runs r1..r4 of project vision, and one run of a project named like an injection. */
  private List<Object> records() {
    List<Object> out = new ArrayList<>();
    out.add(
        started("r1", P, "alpha", T0, List.of("baseline", "o'brien"), lr("0.001", "CIFAR-100")));
    out.add(started("r2", P, "beta", T0 + 1000, List.of("baseline"), lr("0.01", "CIFAR-100")));
    out.add(started("r3", P, "gamma", T0 + 2000, List.of("sweep"), lr("0.0001", "ImageNet")));
    out.add(started("r4", P, TRICKY, T0 + 3000, List.of(), lr("0.001", "CIFAR-100'); DROP")));
    out.add(started("x1", TRICKY, "x", T0, List.of(TRICKY), "{\"k\": \"" + "a'b" + "\"}"));
    out.add(event("r2", P, T0 + 5000, 500, new ConfigUpdated(lr("0.005", "CIFAR-100"))));
    out.add(event("r3", P, T0 + 6000, 600, new TagsUpdated(List.of("sweep", "best"))));
    for (long step = 0; step < 100; step++) {
      point("r1", step, step + 1, 1.0 / (step + 1), out);
      point("r2", step, step + 1, step == 50 ? 100.0 : 2.0 / (step + 1), out);
      if (step < 50) {
        point("r3", step, step + 1, step == 10 ? Double.NaN : 0.5 + step * 0.01, out);
      }
    }
    // Step 0 of r1 logged again: the higher sequence replaces the value.
    point("r1", 0, 1000, 0.95, out);
    point("x1", 0, 1, 7.0, out);
    // Project "shared" is used by two teams.
    out.add(started("s1", "shared", "acme's", T0, List.of(), "{}"));
    out.add(
        RunEvent.newBuilder(started("s2", "shared", "other's", T0, List.of(), "{}"))
            .setEntity("other")
            .build());
    for (String run : List.of("s1", "s2")) {
      out.add(
          MetricBatch.newBuilder()
              .setRunId(run)
              .setEntity(run.equals("s1") ? "acme" : "other")
              .setProject("shared")
              .setStep(0)
              .setTimestampMs(T0)
              .setNames(List.of("loss"))
              .setValues(List.of(run.equals("s1") ? 1.0 : 2.0))
              .build());
    }
    declaredGoals(out);
    out.add(summary("r1", RunState.FINISHED, T0 + 9000));
    out.add(summary("r2", RunState.RUNNING, T0 + 9000));
    out.add(summary("r3", RunState.CRASHED, T0 + 9000));
    out.add(alert("r3", T0 + 7000, "ep-1", "loss is NaN"));
    out.add(alert("r2", T0 + 8000, "ep-2", "loss spiked"));
    // The processor sent ep-1 again after a restart, with a later time: still one alert.
    out.add(alert("r3", T0 + 8500, "ep-1", "loss is NaN"));
    out.add(
        Alert.newBuilder(alert("r2", T0 + 9000, "ep-2", "loss is back")).setResolved(true).build());
    return out;
  }

  /**
   * Project {@value #G}: runs whose goals contradict their metrics' names. {@code loss_scale} reads
   * as a loss but was declared to be maximised, {@code perplexity} has no goal by its name but was
   * declared to be minimised; the processor stores declarations with the metric summaries.
   */
  private static void declaredGoals(List<Object> out) {
    Map<String, double[]> lossScale =
        Map.of(
            "g1",
            new double[] {1, 3, 2},
            "g2",
            new double[] {0.5, 5, 4},
            "g3",
            new double[] {0.1, 4, 3});
    Map<String, double[]> perplexity =
        Map.of(
            "g1",
            new double[] {40, 10, 12},
            "g2",
            new double[] {50, 30, 35},
            "g3",
            new double[] {60, 20, 25});
    for (String run : List.of("g1", "g2", "g3")) {
      out.add(started(run, G, run + "-name", T0, List.of(), "{}"));
      for (int step = 0; step < 3; step++) {
        out.add(
            MetricBatch.newBuilder()
                .setRunId(run)
                .setEntity("acme")
                .setProject(G)
                .setStep(step)
                .setTimestampMs(T0 + step)
                .setSequence(step)
                .setNames(List.of("loss_scale", "perplexity"))
                .setValues(List.of(lossScale.get(run)[step], perplexity.get(run)[step]))
                .build());
      }
      out.add(
          RunSummary.newBuilder(summary(run, RunState.FINISHED, T0 + 9000))
              .setProject(G)
              .setMetrics(
                  Map.of(
                      "loss_scale", aggregate(lossScale.get(run), Goal.MAXIMIZE),
                      "perplexity", aggregate(perplexity.get(run), Goal.MINIMIZE)))
              .build());
    }
  }

  /** The aggregate of points at steps 0, 1, 2 as the processor keeps it, with a declared goal. */
  private static MetricAggregate aggregate(double[] values, Goal goal) {
    int min = 0;
    int max = 0;
    double sum = 0;
    for (int i = 0; i < values.length; i++) {
      min = values[i] < values[min] ? i : min;
      max = values[i] > values[max] ? i : max;
      sum += values[i];
    }
    int best = goal == Goal.MINIMIZE ? min : max;
    return MetricAggregate.newBuilder()
        .setCount(values.length)
        .setFiniteCount(values.length)
        .setSum(sum)
        .setMin(values[min])
        .setMinStep(min)
        .setMax(values[max])
        .setMaxStep(max)
        .setFirst(values[0])
        .setFirstStep(0)
        .setLast(values[values.length - 1])
        .setLastStep(values.length - 1)
        .setLastTimestampMs(T0 + values.length - 1)
        .setBest(values[best])
        .setBestStep(best)
        .setGoal(goal)
        .build();
  }

  private static String lr(String lr, String dataset) {
    return "{\"lr\": " + lr + ", \"dataset\": \"" + dataset.replace("\"", "\\\"") + "\"}";
  }

  private static RunEvent started(
      String id, String project, String name, long t, List<String> tags, String config) {
    return event(
        id,
        project,
        t,
        0,
        RunStarted.newBuilder().setName(name).setTags(tags).setConfigJson(config).build());
  }

  private static RunEvent event(String id, String project, long t, long seq, Object payload) {
    return RunEvent.newBuilder()
        .setRunId(id)
        .setEntity("acme")
        .setProject(project)
        .setTimestampMs(t)
        .setSequence(seq)
        .setPayload(payload)
        .build();
  }

  private void point(String run, long step, long seq, double value, List<Object> out) {
    out.add(
        MetricBatch.newBuilder()
            .setRunId(run)
            .setEntity("acme")
            .setProject(run.equals("x1") ? TRICKY : P)
            .setStep(step)
            .setTimestampMs(T0 + 10_000 + step)
            .setSequence(seq)
            .setNames(List.of("loss"))
            .setValues(List.of(value))
            .build());
    if (!run.equals("x1")) {
      loss.computeIfAbsent(run, r -> new TreeMap<>()).put(step, value);
    }
  }

  private static RunSummary summary(String id, RunState state, long t) {
    return RunSummary.newBuilder()
        .setRunId(id)
        .setEntity("acme")
        .setProject(P)
        .setState(state)
        .setUpdatedMs(t)
        .setName(id)
        .setLastMetricMs(t - 10)
        .setSummaryJson("{\"final\": 1}")
        .build();
  }

  private static Alert alert(String run, long t, String episode, String title) {
    return Alert.newBuilder()
        .setRunId(run)
        .setEntity("acme")
        .setProject(P)
        .setTimestampMs(t)
        .setRule("divergence")
        .setSeverity(Severity.WARNING)
        .setTitle(title)
        .setMessage(title + " at some step")
        .setMetric("loss")
        .setStep(50L)
        .setValue(100.0)
        .setEpisodeId(episode)
        .build();
  }

  /** Writes the records as the sink does: rows per table, one insert each, then the rollups. */
  private void write(List<Object> records) throws Exception {
    write(records, database);
  }

  private void write(List<Object> records, String database) throws Exception {
    Map<String, ByteArrayOutputStream> bytes = new LinkedHashMap<>();
    Map<String, Integer> rows = new HashMap<>();
    Map<Rollups.Series, Rollups.StepRange> touched = new HashMap<>();
    for (Object r : records) {
      List<EncodedRows> encoded;
      if (r instanceof RunEvent e) {
        encoded = RecordMapper.runEvent(e);
      } else if (r instanceof MetricBatch b) {
        encoded = List.of(RecordMapper.metricBatch(Tables.METRICS, b));
      } else if (r instanceof RunSummary s) {
        encoded = RecordMapper.runSummary(s);
      } else {
        encoded = List.of(RecordMapper.alert((Alert) r));
      }
      for (EncodedRows e : encoded) {
        bytes.computeIfAbsent(e.table(), t -> new ByteArrayOutputStream()).write(e.bytes());
        rows.merge(e.table(), e.rows(), Integer::sum);
        e.touched().forEach((s, range) -> Rollups.touch(touched, s, range));
      }
    }
    TableWriter writer = TableWriter.clickHouse(http, database);
    for (Map.Entry<String, ByteArrayOutputStream> e : bytes.entrySet()) {
      writer.insert(e.getKey(), e.getValue().toByteArray(), rows.get(e.getKey()));
    }
    writer.refreshRollups(touched);
  }

  private List<String> ids(RunPage page) {
    return page.runs().stream().map(r -> r.run().id()).toList();
  }

  @Test
  void shouldFilterRunsByTagsStateTimeAndConfigAndPageThem() {
    assertThat(ids(queries.runs(RunFilter.builder(P).build())))
        .containsExactly("r4", "r3", "r2", "r1");
    assertThat(
            ids(
                queries.runs(
                    RunFilter.builder(P)
                        .where("lr < 0.01 and dataset = 'CIFAR-100'")
                        .sort(RunSort.started(false))
                        .build())))
        .as("r2's lr was updated from 0.01 to 0.005")
        .containsExactly("r1", "r2");
    assertThat(ids(queries.runs(RunFilter.builder(P).where("dataset in ('ImageNet')").build())))
        .containsExactly("r3");
    assertThat(ids(queries.runs(RunFilter.builder(P).where("not dataset = 'CIFAR-100'").build())))
        .containsExactly("r4", "r3");
    assertThat(ids(queries.runs(RunFilter.builder(P).where("missing exists").build()))).isEmpty();
    assertThat(ids(queries.runs(RunFilter.builder(P).tagsAll("baseline").build())))
        .containsExactly("r2", "r1");
    assertThat(ids(queries.runs(RunFilter.builder(P).tagsAny("best", "o'brien").build())))
        .as("r3's tags were updated to include best")
        .containsExactly("r3", "r1");
    assertThat(ids(queries.runs(RunFilter.builder(P).states("CRASHED", "UNKNOWN").build())))
        .containsExactly("r4", "r3");
    assertThat(
            ids(
                queries.runs(
                    RunFilter.builder(P)
                        .startedBetween(
                            Instant.ofEpochMilli(T0 + 500), Instant.ofEpochMilli(T0 + 2500))
                        .build())))
        .containsExactly("r3", "r2");

    RunPage page =
        queries.runs(
            RunFilter.builder(P)
                .metrics("loss")
                .sort(RunSort.best("loss", MetricGoal.MINIMIZE))
                .page(1, 2)
                .build());
    assertThat(ids(page)).containsExactly("r2", "r3");
    assertThat(page.total()).isEqualTo(4);
    assertThat(page.hasMore()).isTrue();
    MetricValue r2 = page.runs().get(0).metrics().get("loss");
    assertThat(r2).isEqualTo(new MetricValue(0.02, 99, 0.02, 99, MetricGoal.MINIMIZE, 100));
    MetricValue r3 = page.runs().get(1).metrics().get("loss");
    assertThat(r3.best()).isEqualTo(0.5);
    assertThat(r3.bestStep()).isZero();
    assertThat(r3.points()).isEqualTo(50);
    assertThat(ids(queries.runs(RunFilter.builder(P).sort(RunSort.name(false)).build())))
        .containsExactly("r1", "r2", "r3", "r4");

    RunRow first =
        queries
            .runs(RunFilter.builder(P).sort(RunSort.started(false)).page(0, 1).build())
            .runs()
            .get(0);
    assertThat(first.run().config())
        .containsExactly(Map.entry("dataset", "CIFAR-100"), Map.entry("lr", "0.001"));
    assertThat(first.run().tags()).containsExactly("baseline", "o'brien");
    assertThat(first.run().state()).isEqualTo("FINISHED");
    assertThat(first.metrics()).isEmpty();
  }

  @Test
  void shouldDownsampleEveryCurveToAtMostNBucketsWithMinMaxMean() {
    for (int maxPoints : List.of(10, 40, 500)) {
      List<MetricCurve> curves = queries.curves(P, "loss", maxPoints);
      assertThat(curves).extracting(MetricCurve::runId).containsExactly("r1", "r2", "r3");
      long width = curves.get(0).bucketWidth();
      for (MetricCurve curve : curves) {
        assertThat(curve.points().size()).isLessThanOrEqualTo(maxPoints);
        assertThat(curve.points())
            .usingRecursiveFieldByFieldElementComparator(
                org.assertj.core.api.recursive.comparison.RecursiveComparisonConfiguration.builder()
                    .withComparatorForType(
                        (a, b) -> a.equals(b) || Math.abs(a - b) < 1e-12 ? 0 : a.compareTo(b),
                        Double.class)
                    .build())
            .as("run %s at %d points", curve.runId(), maxPoints)
            .isEqualTo(expected(loss.get(curve.runId()), width));
      }
    }
    MetricCurve r2 = queries.curves(P, "loss", List.of("r2"), 10).get(0);
    assertThat(r2.bucketWidth()).isEqualTo(12);
    assertThat(r2.points()).hasSize(9);
    assertThat(r2.points().get(4).max()).as("the spike at step 50 stays visible").isEqualTo(100.0);
    // Alone, r3 (steps 0..49) gets its own grid of 8 steps; step 10 is NaN.
    MetricCurve r3 = queries.curves(P, "loss", List.of("r3"), 10).get(0);
    assertThat(r3.bucketWidth()).isEqualTo(8);
    CurvePoint nan = r3.points().get(1);
    assertThat(nan.points()).isEqualTo(8);
    assertThat(nan.finitePoints()).isEqualTo(7);
    assertThat(nan.min()).isEqualTo(0.58);
    assertThat(queries.curves(P, "no-such-metric", 10)).isEmpty();
    // Thousands of runs named: a query longer than the server's default 256 KiB.
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 30_000; i++) {
      many.add(String.format("no-such-run-%05d", i));
    }
    many.addAll(List.of("r1", "r3"));
    assertThat(queries.curves(P, "loss", many, 10))
        .extracting(MetricCurve::runId)
        .containsExactly("r1", "r3");
    assertThat(queries.curves(P, "loss", List.of("r1' OR '1'='1"), 10)).isEmpty();
  }

  @Test
  void shouldTimeEveryBucketFromItsRunsStartAndTellHowLongRunsRan() throws Exception {
    // A database of its own: the projects of the shared one are listed exactly elsewhere.
    String timedDb = database + "_timed";
    assertThat(ClickHouseSchema.migrate(client, timedDb)).containsExactly(1, 2, 3, 4);
    try (RunQueries timed = new RunQueries(client, timedDb)) {
      shouldTimeBuckets(timed, timedDb);
    } finally {
      http.execute("DROP DATABASE IF EXISTS " + timedDb);
    }
  }

  private void shouldTimeBuckets(RunQueries queries, String timedDb) throws Exception {
    String project = "timed";
    List<Object> out = new ArrayList<>();
    // Started 0.4 s into a second: times are kept to the second, the start too.
    out.add(started("t1", project, "one a second", T0 + 400, List.of(), "{}"));
    out.add(started("t2", project, "two a second", T0 + 400, List.of(), "{}"));
    for (long step = 0; step < 100; step++) {
      // t1 logs a step a second from 3 s after its start, t2 two a second from its start.
      out.add(timedPoint("t1", project, step, T0 + 3_000 + step * 1_000 + 700));
      out.add(timedPoint("t2", project, step, T0 + step * 500));
    }
    out.add(
        RunSummary.newBuilder(summary("t1", RunState.FINISHED, T0 + 110_000))
            .setProject(project)
            .setFinishedMs(T0 + 110_000)
            .setLastSeenMs(T0 + 110_000)
            .build());
    out.add(
        RunSummary.newBuilder(summary("t2", RunState.RUNNING, T0 + 60_000))
            .setProject(project)
            .setLastSeenMs(T0 + 60_000)
            .build());
    write(out, timedDb);

    // Buckets from the rollups (12 steps) and from the raw points (2 steps).
    for (int maxPoints : new int[] {10, 50}) {
      List<MetricCurve> timed = queries.curvesWithTimes(project, "loss", List.of(), maxPoints);
      assertThat(timed).extracting(MetricCurve::runId).containsExactly("t1", "t2");
      assertThat(timed.get(0).points())
          .as("t1 at %d points", maxPoints)
          .hasSizeGreaterThan(5)
          .allSatisfy(p -> assertThat(p.elapsedMs()).isEqualTo((3 + p.firstStep()) * 1_000));
      assertThat(timed.get(1).points())
          .as("t2 at %d points", maxPoints)
          .allSatisfy(p -> assertThat(p.elapsedMs()).isEqualTo(p.firstStep() / 2 * 1_000));
      // Otherwise the same buckets as without times, which carry none.
      List<MetricCurve> plain = queries.curves(project, "loss", List.of(), maxPoints);
      assertThat(plain)
          .flatExtracting(MetricCurve::points)
          .allSatisfy(p -> assertThat(p.elapsedMs()).isEqualTo(CurvePoint.NO_TIME));
      for (int i = 0; i < plain.size(); i++) {
        assertThat(
                timed.get(i).points().stream()
                    .map(p -> p.withElapsedMs(CurvePoint.NO_TIME))
                    .toList())
            .isEqualTo(plain.get(i).points());
      }
    }
    assertThat(queries.curvesWithTimes(project, "loss", List.of("t1' OR '1'='1"), 10)).isEmpty();

    // How long runs ran: to the end, or to now while running.
    Map<String, RunRecord> runs = new HashMap<>();
    queries.runs(project).forEach(r -> runs.put(r.id(), r));
    assertThat(runs.get("t1").endedAt()).isEqualTo(Instant.ofEpochMilli(T0 + 110_000));
    assertThat(runs.get("t1").duration(Instant.now())).hasSeconds(110);
    assertThat(runs.get("t2").endedAt()).isNull();
    Instant now = Instant.now();
    assertThat(runs.get("t2").duration(now))
        .isEqualTo(Duration.between(Instant.ofEpochMilli(T0), now));
    assertThat(ids(queries.runs(RunFilter.builder(project).sort(RunSort.duration(true)).build())))
        .containsExactly("t2", "t1");
    assertThat(ids(queries.runs(RunFilter.builder(project).sort(RunSort.duration(false)).build())))
        .containsExactly("t1", "t2");
  }

  private static MetricBatch timedPoint(String run, String project, long step, long timeMs) {
    return MetricBatch.newBuilder()
        .setRunId(run)
        .setEntity("acme")
        .setProject(project)
        .setStep(step)
        .setTimestampMs(timeMs)
        .setSequence(1)
        .setNames(List.of("loss"))
        .setValues(List.of(1.0 / (step + 1)))
        .build();
  }

  /** Buckets of {@code width} steps computed in Java from the deduplicated points. */
  private static List<CurvePoint> expected(TreeMap<Long, Double> points, long width) {
    Map<Long, List<Map.Entry<Long, Double>>> buckets =
        points.entrySet().stream()
            .collect(
                Collectors.groupingBy(e -> e.getKey() / width, TreeMap::new, Collectors.toList()));
    List<CurvePoint> out = new ArrayList<>();
    for (List<Map.Entry<Long, Double>> b : buckets.values()) {
      List<Double> finite = b.stream().map(Map.Entry::getValue).filter(Double::isFinite).toList();
      double sum = finite.stream().mapToDouble(Double::doubleValue).sum();
      out.add(
          new CurvePoint(
              b.get(0).getKey(),
              b.get(b.size() - 1).getKey(),
              finite.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
              finite.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN),
              finite.isEmpty() ? Double.NaN : sum / finite.size(),
              b.size(),
              finite.size()));
    }
    return out;
  }

  @Test
  void shouldRankRunsByTheirBestValueWithConfig() {
    List<LeaderboardEntry> top = queries.leaderboard(P, "loss", 2);
    assertThat(top).hasSize(2);
    assertThat(top.get(0))
        .isEqualTo(
            new LeaderboardEntry(
                1, "r1", "alpha", 0.01, 99, Map.of("dataset", "CIFAR-100", "lr", "0.001")));
    assertThat(top.get(1).runId()).isEqualTo("r2");
    assertThat(top.get(1).value()).isEqualTo(0.02);
    assertThat(top.get(1).config()).containsEntry("lr", "0.005");
    List<LeaderboardEntry> highest = queries.leaderboard(P, "loss", MetricGoal.MAXIMIZE, 1);
    assertThat(highest).extracting(LeaderboardEntry::runId).containsExactly("r2");
    assertThat(highest.get(0).value()).isEqualTo(100.0);
    assertThat(highest.get(0).step()).isEqualTo(50);
  }

  @Test
  void shouldRankByTheGoalTheRunsDeclaredOverTheOneTheirNamesSuggest() {
    assertThat(queries.goal(G, "loss_scale")).isEqualTo(MetricGoal.MAXIMIZE);
    assertThat(queries.goal(G, "perplexity")).isEqualTo(MetricGoal.MINIMIZE);
    assertThat(queries.goal(G, "val_loss"))
        .as("nothing declared: by name")
        .isEqualTo(MetricGoal.MINIMIZE);

    assertThat(queries.leaderboard(G, "loss_scale", 3))
        .extracting(LeaderboardEntry::runId, LeaderboardEntry::value, LeaderboardEntry::step)
        .containsExactly(tuple("g2", 5.0, 1L), tuple("g3", 4.0, 1L), tuple("g1", 3.0, 1L));
    assertThat(queries.leaderboard(G, "perplexity", 3))
        .extracting(LeaderboardEntry::runId, LeaderboardEntry::value)
        .containsExactly(tuple("g1", 10.0), tuple("g3", 20.0), tuple("g2", 30.0));

    Map<String, RunComparison> compared = new HashMap<>();
    queries
        .compare(G, List.of("loss_scale", "perplexity"))
        .forEach(c -> compared.put(c.runId(), c));
    assertThat(compared.get("g3").metrics().get("loss_scale"))
        .isEqualTo(new RunComparison.MetricResult(3.0, 2, 4.0, MetricGoal.MAXIMIZE));
    assertThat(compared.get("g3").metrics().get("perplexity"))
        .isEqualTo(new RunComparison.MetricResult(25.0, 2, 20.0, MetricGoal.MINIMIZE));

    RunPage byLossScale =
        queries.runs(
            RunFilter.builder(G)
                .metrics("loss_scale", "perplexity")
                .sort(RunSort.best("loss_scale", queries.goal(G, "loss_scale")))
                .build());
    assertThat(ids(byLossScale)).containsExactly("g2", "g3", "g1");
    assertThat(byLossScale.runs().get(0).metrics().get("loss_scale"))
        .isEqualTo(new MetricValue(4.0, 2, 5.0, 1, MetricGoal.MAXIMIZE, 3));
    assertThat(byLossScale.runs().get(0).metrics().get("perplexity"))
        .isEqualTo(new MetricValue(35.0, 2, 30.0, 1, MetricGoal.MINIMIZE, 3));
    assertThat(
            ids(
                queries.runs(
                    RunFilter.builder(G)
                        .sort(new RunSort(RunSort.By.BEST, "perplexity", false))
                        .build())))
        .as("best perplexity first: the lowest")
        .containsExactly("g1", "g3", "g2");
    Map<String, MetricValue> minimized = new HashMap<>();
    queries
        .runs(
            RunFilter.builder(G)
                .metrics("loss_scale")
                .goal("loss_scale", MetricGoal.MINIMIZE)
                .build())
        .runs()
        .forEach(r -> minimized.put(r.run().id(), r.metrics().get("loss_scale")));
    assertThat(minimized.get("g2"))
        .as("a goal set on the filter wins over the declared one")
        .isEqualTo(new MetricValue(4.0, 2, 0.5, 0, MetricGoal.MINIMIZE, 3));
  }

  @Test
  void shouldFindRunsByIdOrNameInAnyProject() {
    RunFinder finder = queries.finder();
    assertThat(finder.find(List.of("r2", "alpha", TRICKY, "nothing")))
        .extracting(FoundRun::runId, FoundRun::project, FoundRun::name)
        .containsExactly(tuple("r1", P, "alpha"), tuple("r2", P, "beta"), tuple("r4", P, TRICKY));
    assertThat(finder.resolve(List.of("gamma", "r1"), null))
        .extracting(FoundRun::runId)
        .containsExactly("r3", "r1");
    assertThat(finder.resolve(List.of("g1-name"), G))
        .extracting(FoundRun::runId)
        .containsExactly("g1");
    assertThatThrownBy(() -> finder.resolve(List.of("gamma"), G))
        .isInstanceOf(RunNotFoundException.class)
        .hasMessage("no run has the id or name 'gamma' in project " + G);
    assertThat(finder.projects()).containsExactly(G, TRICKY, "shared", P);
    assertThat(queries.forTeam("other").finder().projects()).containsExactly("shared");
    assertThat(queries.forTeam("other").finder().find(List.of("s1", "s2")))
        .extracting(FoundRun::runId, FoundRun::team)
        .containsExactly(tuple("s2", "other"));
  }

  @Test
  void shouldTellWhetherTheServerAnswersAndHoldsTheTables() {
    assertThat(queries.serverVersion()).matches("\\d+\\.\\d+.*");
    assertThat(queries.hasTables()).isTrue();
    try (RunQueries empty = new RunQueries(client, database + "_none")) {
      assertThat(empty.hasTables()).isFalse();
    }
  }

  @Test
  void shouldGroupBestValuesByAHyperparameter() {
    List<ConfigEffect> byDataset = queries.configEffect(P, "loss", "dataset");
    assertThat(byDataset).hasSize(2);
    ConfigEffect cifar = byDataset.get(0);
    assertThat(cifar.value()).isEqualTo("CIFAR-100");
    assertThat(cifar.runs()).isEqualTo(2);
    assertThat(cifar.best()).isEqualTo(0.01);
    assertThat(cifar.mean()).isCloseTo(0.015, within(1e-12));
    assertThat(cifar.worst()).isEqualTo(0.02);
    assertThat(cifar.bestRunId()).isEqualTo("r1");
    assertThat(byDataset.get(1)).isEqualTo(new ConfigEffect("ImageNet", 1, 0.5, 0.5, 0.5, "r3"));
    assertThat(queries.configEffect(P, "loss", "lr"))
        .extracting(ConfigEffect::value)
        .containsExactly("0.001", "0.005", "0.0001");
    assertThat(queries.configEffect(P, "loss", "lr') OR ('1'='1")).isEmpty();
  }

  @Test
  void shouldListAlertsOfAProjectOrARun() {
    assertThat(queries.alerts(P))
        .extracting(AlertRecord::runId, AlertRecord::title)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("r2", "loss is back"),
            org.assertj.core.groups.Tuple.tuple("r2", "loss spiked"),
            org.assertj.core.groups.Tuple.tuple("r3", "loss is NaN"));
    assertThat(queries.alerts(P, null, 1)).extracting(AlertRecord::resolved).containsExactly(true);
    List<AlertRecord> r3 = queries.alerts(P, "r3", 10);
    assertThat(r3).hasSize(1);
    assertThat(r3.get(0).time()).isEqualTo(Instant.ofEpochMilli(T0 + 7000));
    assertThat(r3.get(0).value()).isEqualTo(100.0);
    assertThat(r3.get(0).baseline()).isNull();
    assertThat(queries.alerts(P, "r3' OR '1'='1", 10)).isEmpty();
  }

  @Test
  void shouldLimitEveryQueryToOneTeamWhenAsked() {
    assertThat(ids(queries.runs(RunFilter.builder("shared").build())))
        .containsExactlyInAnyOrder("s1", "s2");
    RunQueries acme = queries.forTeam("acme");
    RunQueries other = queries.forTeam("other");
    assertThat(ids(acme.runs(RunFilter.builder("shared").build()))).containsExactly("s1");
    assertThat(acme.runs("shared")).extracting(RunRecord::id).containsExactly("s1");
    assertThat(other.leaderboard("shared", "loss", 5))
        .extracting(LeaderboardEntry::runId)
        .containsExactly("s2");
    assertThat(other.curves("shared", "loss", 10))
        .extracting(MetricCurve::runId)
        .containsExactly("s2");
    assertThat(acme.configEffect("shared", "loss", "lr")).isEmpty();
    assertThat(acme.alerts(P)).hasSize(3);
    assertThat(other.alerts(P)).isEmpty();
    assertThat(queries.forTeam("acme' OR '1'='1").runs("shared")).isEmpty();
  }

  @Test
  void shouldKeepQuotesInValuesOutOfTheQueries() {
    RunPage tricky = queries.runs(RunFilter.builder(TRICKY).tagsAll(TRICKY).build());
    assertThat(ids(tricky)).containsExactly("x1");
    assertThat(tricky.runs().get(0).run().config()).containsExactly(Map.entry("k", "a'b"));
    assertThat(ids(queries.runs(RunFilter.builder(TRICKY).where("k = 'a''b'").build())))
        .containsExactly("x1");
    assertThat(ids(queries.runs(RunFilter.builder(TRICKY).where("k = 'a\\'b'").build())))
        .containsExactly("x1");
    assertThat(
            ids(
                queries.runs(
                    RunFilter.builder(P).where("dataset = 'CIFAR-100\\'); DROP'").build())))
        .containsExactly("r4");
    assertThat(ids(queries.runs(RunFilter.builder(P).where("`lr') OR ('1'='1` exists").build())))
        .isEmpty();
    assertThat(ids(queries.runs(RunFilter.builder(P).states("' OR 1=1 --").build()))).isEmpty();
    assertThat(queries.runs(RunFilter.builder(P).build()).runs().get(0).run().name())
        .isEqualTo(TRICKY);
    assertThat(queries.leaderboard(TRICKY, "loss", 5))
        .extracting(LeaderboardEntry::runId)
        .containsExactly("x1");
  }

  @Test
  void shouldGiveTheSameAnswersAfterEveryRecordWasWrittenAgain() throws Exception {
    Function<RunQueries, String> everything =
        q ->
            List.of(
                    q.runs(RunFilter.builder(P).metrics("loss").build()),
                    q.runs(RunFilter.builder(P).where("lr < 0.01").build()),
                    q.curves(P, "loss", 10),
                    q.curves(P, "loss", 40),
                    q.leaderboard(P, "loss", 3),
                    q.configEffect(P, "loss", "dataset"),
                    q.alerts(P),
                    q.runs(P))
                .toString();
    String before = everything.apply(queries);
    write(records()); // a replayed batch, or a run synced twice
    String raw =
        http.queryJson("SELECT count() AS c FROM " + database + ".metrics")
            .get(0)
            .get("c")
            .asText();
    assertThat(Long.parseLong(raw)).as("the duplicates are really stored").isGreaterThan(251);
    assertThat(everything.apply(queries)).isEqualTo(before);
  }
}
