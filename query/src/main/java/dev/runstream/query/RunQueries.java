package dev.runstream.query;

import com.clickhouse.client.api.Client;
import com.fasterxml.jackson.databind.JsonNode;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.ConfigFlattener;
import dev.runstream.query.internal.Json;
import dev.runstream.query.internal.RollupLevels;
import dev.runstream.query.internal.RowBinaryReader;
import dev.runstream.query.internal.Sql;
import dev.runstream.query.internal.Tables;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.SortedMap;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * The questions people ask when they compare runs, answered from the tables the sink writes. The
 * CLI and the dashboards use it.
 *
 * <pre>{@code
 * try (RunQueries q = RunQueries.connect("http://127.0.0.1:8123", "default", "", "runstream")) {
 *   RunPage page = q.runs(RunFilter.builder("vision")                  // 1. filter, sort, page
 *       .where("learning_rate < 0.01 and dataset = 'CIFAR-100'")
 *       .tagsAll("baseline").states("FINISHED")
 *       .metrics("val/loss", "accuracy")
 *       .sort(RunSort.best("val/loss", MetricGoal.MINIMIZE))
 *       .page(0, 50)
 *       .build());
 *   List<MetricCurve> curves = q.curves("vision", "val/loss", 500);    // 2. every curve, downsampled
 *   List<LeaderboardEntry> top = q.leaderboard("vision", "val/loss", 10); // 3. top k with config
 *   List<ConfigEffect> byLr = q.configEffect("vision", "val/loss", "learning_rate"); // 4.
 *   List<AlertRecord> alerts = q.alerts("vision");                     // 5.
 * }
 * }</pre>
 *
 * <p><b>Exactly once.</b> Every answer is computed from deduplicated data ({@code FINAL} or {@code
 * argMax} over the tables' keys, and downsampled curves recomputed from deduplicated points), so it
 * is right before ClickHouse's background merges ran and does not change when a batch was written
 * twice or a run was synced twice. Curves and the metric columns of {@link #runs(RunFilter)}, the
 * leaderboard and the config effect come from the downsampled curves, which follow the points
 * within the sink's rollup interval.
 *
 * <p><b>Safe with any text.</b> Every project, run id, metric, tag, state and config key or value
 * reaches the SQL only as an escaped literal (ClickHouse 18.16 has no query parameters), so names
 * with quotes or backslashes cannot change a query; config conditions are parsed ({@link
 * ConfigFilter}), never pasted.
 *
 * <p><b>Scope.</b> Runs are found by project; a project name used by two teams shows the runs of
 * both unless the queries are limited to one team ({@link #forTeam}).
 *
 * <p>Thread-safe: one instance may serve many threads. Every method blocks for one to three HTTP
 * round trips and throws an unchecked exception when ClickHouse cannot answer (the client's {@code
 * ClickHouseException}, or {@link IllegalStateException} for a timeout); arguments are checked
 * first ({@link NullPointerException}, {@link IllegalArgumentException}). Results are immutable.
 */
public final class RunQueries implements AutoCloseable {

  private final ClickHouseHttp clickHouse;
  private final String db;
  private final String database;
  // "" or " AND team = '...'": follows every "project = '...'" condition.
  private final String teamCondition;

  /**
   * Queries over {@code client}, which stays open when this is closed. The client must not use HTTP
   * basic auth or compression with an 18.16 server; {@link #connect} builds one that does not.
   *
   * @param database the database the sink writes to, e.g. {@code runstream}
   * @throws IllegalArgumentException when {@code database} is not a plain identifier
   */
  public RunQueries(Client client, String database) {
    this(new ClickHouseHttp(Objects.requireNonNull(client, "client"), false), database);
  }

  private RunQueries(ClickHouseHttp clickHouse, String database) {
    this(clickHouse, database, "");
  }

  private RunQueries(ClickHouseHttp clickHouse, String database, String teamCondition) {
    this.clickHouse = clickHouse;
    this.db = Sql.identifier(database);
    this.database = database;
    this.teamCondition = teamCondition;
  }

  /**
   * The same queries limited to the projects of {@code team} (W&B's entity), over the same client:
   * usable while this instance is open; closing the view closes nothing. Without it, a project name
   * two teams use shows the runs of both. Run-level queries ({@link #points}, {@link
   * #systemPoints}, {@link #summaries}) find a run by its id alone.
   */
  public RunQueries forTeam(String team) {
    return new RunQueries(
        new ClickHouseHttp(clickHouse.client(), false),
        database,
        " AND team = " + Sql.literal(Objects.requireNonNull(team, "team")));
  }

  /** {@code project} as the right side of {@code project = }, with the team condition. */
  private String inProject(String project) {
    return Sql.literal(Objects.requireNonNull(project, "project")) + teamCondition;
  }

  /**
   * Queries over a new client for {@code url} (ClickHouse 18.16 or newer, HTTP interface), closed
   * by {@link #close()}. Connects lazily: a server that is down fails the first query, not this.
   *
   * @param url e.g. {@code http://127.0.0.1:8123}
   * @param user e.g. {@code default}
   * @param password empty for none
   * @param database e.g. {@code runstream}
   * @throws IllegalArgumentException when {@code database} is not a plain identifier
   */
  public static RunQueries connect(String url, String user, String password, String database) {
    return new RunQueries(
        new ClickHouseHttp(
            ClickHouseHttp.newClient(
                url, user, password, Duration.ofSeconds(60), "runstream-query"),
            true),
        database);
  }

  /**
   * Queries as {@code login} (see {@link ClickHouseLogin#fromConfig}), over a new client closed by
   * {@link #close()}. Connects lazily: a server that is down, or refuses the login ({@link
   * ClickHouseLogin#isRefusedLogin}), fails the first query, not this.
   *
   * @param login URL, user, password and database
   * @throws IllegalArgumentException when the database is not a plain identifier
   */
  public static RunQueries connect(ClickHouseLogin login) {
    return connect(login.url(), login.user(), login.password(), login.database());
  }

  /**
   * Queries as {@code login}, limited to the projects of {@code team} like {@link #forTeam}, over a
   * new client closed by {@link #close()}. With a team's own ClickHouse user the server itself
   * keeps other teams' rows out of reach; the team condition also scopes a reader that may read
   * more.
   *
   * @param login URL, user, password and database
   * @param team the team (W&amp;B's entity)
   * @throws IllegalArgumentException when the database is not a plain identifier
   */
  public static RunQueries connect(ClickHouseLogin login, String team) {
    return new RunQueries(
        new ClickHouseHttp(
            ClickHouseHttp.newClient(
                login.url(),
                login.user(),
                login.password(),
                Duration.ofSeconds(60),
                "runstream-query"),
            true),
        login.database(),
        " AND team = " + Sql.literal(Objects.requireNonNull(team, "team")));
  }

  /** Finds runs by id or name, and lists projects, over the same connections and team scope. */
  public RunFinder finder() {
    return new RunFinder(clickHouse, db, teamCondition);
  }

  /**
   * How far a project's points have come (raw counts, latest steps), over the same connections and
   * team scope: for load generators and drills that ask many times a second.
   */
  public IngestProgress ingest() {
    return new IngestProgress(clickHouse, database, teamCondition);
  }

  /**
   * The server's version, e.g. {@code 18.16.1}: a question every server answers, to check that it
   * does. Blocks for one round trip.
   */
  public String serverVersion() {
    return Json.text(clickHouse.queryJson("SELECT version() AS v").get(0).get("v"));
  }

  /**
   * Whether the database holds the sink's tables: false until a sink first started against it (a
   * sink creates and migrates them). Blocks for one round trip.
   */
  public boolean hasTables() {
    String sql =
        "SELECT count() AS c FROM system.tables WHERE database = "
            + Sql.literal(database)
            + " AND name = "
            + Sql.literal(Tables.RUNS);
    return Json.toLong(clickHouse.queryJson(sql).get(0).get("c")) > 0;
  }

  /**
   * Every run of {@code project}, oldest first (then by id), with its current config, tags, notes
   * and state. No paging: for thousands of runs, {@link #runs(RunFilter)} pages and filters.
   */
  public List<RunRecord> runs(String project) {
    String sql = "SELECT * FROM (" + runBase(inProject(project), "") + ") ORDER BY started, run_id";
    List<RunRecord> out = new ArrayList<>();
    for (JsonNode row : clickHouse.queryJson(sql)) {
      out.add(record(row));
    }
    return out;
  }

  /**
   * Every logged value of {@code runId}: metric name (sorted) to step (ascending) to value, one
   * value per step (the latest logged). NaN and infinities are returned as logged.
   */
  public Map<String, NavigableMap<Long, Double>> points(String runId) {
    return points(Tables.METRICS, runId);
  }

  /** Like {@link #points(String)} for the system metrics (CPU, memory, GPU) of {@code runId}. */
  public Map<String, NavigableMap<Long, Double>> systemPoints(String runId) {
    return points(Tables.SYSTEM_METRICS, runId);
  }

  private Map<String, NavigableMap<Long, Double>> points(String table, String runId) {
    String sql =
        "SELECT metric, step, argMax(value, seq) AS value FROM "
            + table(table)
            + " WHERE run_id = "
            + Sql.literal(runId)
            + " GROUP BY metric, step ORDER BY metric, step";
    Map<String, NavigableMap<Long, Double>> out = new TreeMap<>();
    for (JsonNode row : clickHouse.queryJson(sql)) {
      out.computeIfAbsent(Json.text(row.get("metric")), m -> new TreeMap<>())
          .put(Json.toLong(row.get("step")), Json.toDouble(row.get("value")));
    }
    return out;
  }

  /** The latest summary of each metric of {@code runId}, by metric name (sorted). */
  public Map<String, MetricSummaryRow> summaries(String runId) {
    String sql =
        "SELECT * FROM "
            + table(Tables.METRIC_SUMMARIES)
            + " FINAL WHERE run_id = "
            + Sql.literal(runId)
            + " ORDER BY metric";
    Map<String, MetricSummaryRow> out = new TreeMap<>();
    for (JsonNode r : clickHouse.queryJson(sql)) {
      String metric = Json.text(r.get("metric"));
      out.put(
          metric,
          new MetricSummaryRow(
              Json.text(r.get("run_id")),
              metric,
              Json.toLong(r.get("updated_ms")),
              Json.toLong(r.get("count")),
              Json.toLong(r.get("finite_count")),
              Json.toDouble(r.get("sum")),
              Json.toDouble(r.get("min")),
              Json.toLong(r.get("min_step")),
              Json.toDouble(r.get("max")),
              Json.toLong(r.get("max_step")),
              Json.toDouble(r.get("first")),
              Json.toLong(r.get("first_step")),
              Json.toDouble(r.get("last")),
              Json.toLong(r.get("last_step")),
              Json.toLong(r.get("last_timestamp_ms")),
              Json.toLong(r.get("nan_count")),
              Json.toLong(r.get("inf_count"))));
    }
    return out;
  }

  /**
   * One row per run of {@code project} (oldest first) with, for each of {@code metrics} the run
   * logged, its final value (at the highest step) and its best finite value ({@link MetricGoal}:
   * the goal the project's runs declared, else the one inferred from its name). Computed from the
   * deduplicated metrics in two queries (the values, the goals).
   */
  public List<RunComparison> compare(String project, List<String> metrics) {
    List<String> wanted = List.copyOf(new LinkedHashSet<>(metrics));
    String p = inProject(project);
    String perPoint =
        "SELECT run_id, metric, step, argMax(value, seq) AS value FROM "
            + table(Tables.METRICS)
            + " WHERE project = "
            + p
            + " AND metric IN "
            + Sql.literalList(wanted)
            + " GROUP BY run_id, metric, step";
    String perMetric =
        "SELECT run_id, metric, argMax(value, step) AS final_value, max(step) AS final_step,"
            + " minIf(value, isFinite(value)) AS min_value,"
            + " maxIf(value, isFinite(value)) AS max_value,"
            + " countIf(isFinite(value)) AS finite_count FROM ("
            + perPoint
            + ") GROUP BY run_id, metric";
    String perRun =
        "SELECT run_id, groupArray(metric) AS m_names, groupArray(final_value) AS m_final,"
            + " groupArray(final_step) AS m_final_step, groupArray(min_value) AS m_min,"
            + " groupArray(max_value) AS m_max, groupArray(finite_count) AS m_finite FROM ("
            + perMetric
            + ") GROUP BY run_id";
    String sql =
        "SELECT * FROM ("
            + runBase(p, "")
            + ") ANY LEFT JOIN ("
            + perRun
            + ") USING run_id ORDER BY started, run_id";
    Map<String, MetricGoal> goals = goals(p, wanted);
    List<RunComparison> out = new ArrayList<>();
    for (JsonNode row : clickHouse.queryJson(sql)) {
      RunRecord run = record(row);
      List<String> names = Json.strings(row.get("m_names"));
      List<Double> finals = Json.doubles(row.get("m_final"));
      List<Long> finalSteps = Json.longs(row.get("m_final_step"));
      List<Double> mins = Json.doubles(row.get("m_min"));
      List<Double> maxes = Json.doubles(row.get("m_max"));
      List<Long> finite = Json.longs(row.get("m_finite"));
      Map<String, RunComparison.MetricResult> found = new TreeMap<>();
      for (int i = 0; i < names.size(); i++) {
        MetricGoal goal = goals.get(names.get(i));
        double best =
            finite.get(i) == 0
                ? Double.NaN
                : goal == MetricGoal.MINIMIZE ? mins.get(i) : maxes.get(i);
        found.put(
            names.get(i),
            new RunComparison.MetricResult(finals.get(i), finalSteps.get(i), best, goal));
      }
      Map<String, RunComparison.MetricResult> ordered = new LinkedHashMap<>();
      for (String metric : wanted) {
        if (found.containsKey(metric)) {
          ordered.put(metric, found.get(metric));
        }
      }
      out.add(new RunComparison(run.id(), run.name(), run.tags(), run.config(), ordered));
    }
    return out;
  }

  // ---- the comparison API (issue 6) -----------------------------------------------------------

  /**
   * One page of the runs of {@link RunFilter#project()} that match {@code filter}, with their
   * current config, tags and state, and the summary columns of {@link RunFilter#metrics()} (from
   * the deduplicated rollups). A metric's best value follows the goal set on the filter, else the
   * goal the project's runs declared, else the one inferred from its name ({@link MetricGoal}). Up
   * to three queries: the goals, the page and the total count. Blocks.
   */
  public RunPage runs(RunFilter filter) {
    Objects.requireNonNull(filter, "filter");
    String p = inProject(filter.project());
    List<String> metrics = new ArrayList<>(filter.metrics());
    RunSort sort = filter.sort();
    if (sort.metric() != null && !metrics.contains(sort.metric())) {
      metrics.add(sort.metric());
    }
    List<String> undecided = metrics.stream().filter(m -> filter.setGoal(m) == null).toList();
    Map<String, MetricGoal> goals = new HashMap<>(goals(p, undecided));
    metrics.stream()
        .filter(m -> filter.setGoal(m) != null)
        .forEach(m -> goals.put(m, filter.setGoal(m)));
    String from = "(" + runBase(p, "") + ")";
    if (!metrics.isEmpty()) {
      from =
          "(SELECT * FROM "
              + from
              + " ANY LEFT JOIN ("
              + metricColumns(p, metrics)
              + ") USING run_id)";
    }
    List<String> where = new ArrayList<>();
    if (!filter.tagsAll().isEmpty()) {
      where.add("hasAll(cur_tags, " + array(filter.tagsAll()) + ")");
    }
    if (!filter.tagsAny().isEmpty()) {
      where.add("hasAny(cur_tags, " + array(filter.tagsAny()) + ")");
    }
    if (!filter.states().isEmpty()) {
      where.add(
          "if(state = '', "
              + Sql.literal(RunRecord.UNKNOWN_STATE)
              + ", state) IN "
              + Sql.literalList(filter.states()));
    }
    filter.startedFrom().ifPresent(t -> where.add("version >= " + Math.max(0, t.toEpochMilli())));
    filter.startedBefore().ifPresent(t -> where.add("version < " + Math.max(0, t.toEpochMilli())));
    filter.where().ifPresent(f -> where.add(f.toSql("cur_cfg_keys", "cur_cfg_values")));
    String condition = where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where);
    String page =
        "SELECT * FROM "
            + from
            + condition
            + " ORDER BY "
            + orderBy(sort, goals)
            + " LIMIT "
            + filter.offset()
            + ", "
            + filter.limit();
    List<RunRow> rows = new ArrayList<>();
    for (JsonNode row : clickHouse.queryJson(page)) {
      Map<String, MetricValue> values = new LinkedHashMap<>();
      Map<String, MetricValue> found = metricValues(row, goals::get);
      for (String metric : filter.metrics()) {
        if (found.containsKey(metric)) {
          values.put(metric, found.get(metric));
        }
      }
      rows.add(new RunRow(record(row), values));
    }
    long total =
        Json.toLong(
            clickHouse.queryJson("SELECT count() AS c FROM " + from + condition).get(0).get("c"));
    return new RunPage(rows, total, filter.offset(), filter.limit());
  }

  /**
   * The curves of {@code metric} for runs of {@code project} (all that logged it when {@code
   * runIds} is empty), each downsampled to at most {@code maxPoints} buckets with the min, max and
   * mean of the deduplicated points in each, so spikes stay visible. All runs share one bucket grid
   * (bucket {@code b} holds steps {@code [b*w, (b+1)*w)}, {@code w} chosen from the longest run),
   * so their buckets line up. Reads the rollups (one row per bucket when buckets are 16 to 256
   * steps wide, a few otherwise), or, when buckets are narrower than 4 steps, the deduplicated raw
   * points. Two queries; blocks.
   *
   * @param maxPoints at least 1
   * @return one curve per run that logged the metric, by run id
   */
  public List<MetricCurve> curves(
      String project, String metric, Collection<String> runIds, int maxPoints) {
    return curves(project, metric, runIds, maxPoints, false);
  }

  /**
   * {@link #curves(String, String, Collection, int)} with each bucket's time: {@link
   * CurvePoint#elapsedMs()}, from the run's start (its {@link RunRecord#startedAt()}, or its
   * earliest point when that is earlier or unknown) to the bucket's earliest point, for charts with
   * x by relative time. The rollups hold no times, so a third query reads the time of every
   * deduplicated point of the curves: slower than without times for long runs. Blocks.
   *
   * @param maxPoints at least 1
   * @return one curve per run that logged the metric, by run id
   */
  public List<MetricCurve> curvesWithTimes(
      String project, String metric, Collection<String> runIds, int maxPoints) {
    return curves(project, metric, runIds, maxPoints, true);
  }

  private List<MetricCurve> curves(
      String project, String metric, Collection<String> runIds, int maxPoints, boolean times) {
    if (maxPoints < 1) {
      throw new IllegalArgumentException("maxPoints must be at least 1: " + maxPoints);
    }
    String scope =
        "project = "
            + inProject(project)
            + " AND metric = "
            + Sql.literal(metric)
            + (runIds.isEmpty()
                ? ""
                : " AND run_id IN " + Sql.literalList(new ArrayList<>(runIds)));
    int top = RollupLevels.widest();
    JsonNode range =
        clickHouse
            .queryJson(
                "SELECT min(first_step) AS lo, max(last_step) AS hi, count() AS n FROM "
                    + table(Tables.METRIC_ROLLUPS)
                    + " FINAL WHERE "
                    + scope
                    + " AND width = "
                    + top)
            .get(0);
    if (Json.toLong(range.get("n")) == 0) {
      return List.of();
    }
    long lo = Math.max(0, Json.toLong(range.get("lo")));
    long hi = Math.max(lo, Json.toLong(range.get("hi")));
    long width = Math.max(1, ceilDiv(hi - lo + 1, maxPoints));
    int level = RollupLevels.levelFor(width);
    width = ceilDiv(width, level) * level;
    while (hi / width - lo / width + 1 > maxPoints) {
      width += level; // the grid starts at step 0, so the range may straddle one more bucket
    }
    List<MetricCurve> out = new ArrayList<>();
    long bucketWidth = width;
    if (level == 1) {
      String buckets =
          "SELECT run_id, intDiv(step, "
              + width
              + ") AS b, min(step) AS fs, max(step) AS ls, minIf(v, isFinite(v)) AS mn,"
              + " maxIf(v, isFinite(v)) AS mx, sumIf(v, isFinite(v)) AS sm,"
              + " countIf(isFinite(v)) AS fin, count() AS pts FROM (SELECT run_id, step,"
              + " argMax(value, seq) AS v FROM "
              + table(Tables.METRICS)
              + " WHERE "
              + scope
              + " GROUP BY run_id, step) GROUP BY run_id, b";
      // One row per run with parallel arrays, read as RowBinary: thousands of runs times hundreds
      // of buckets parse several times faster than as JSON. The casts pin the types the reader
      // expects.
      String sql =
          "SELECT run_id, groupArray(toInt64(fs)), groupArray(toInt64(ls)),"
              + " groupArray(toFloat64(mn)), groupArray(toFloat64(mx)), groupArray(toFloat64(sm)),"
              + " groupArray(toUInt64(fin)), groupArray(toUInt64(pts)) FROM ("
              + buckets
              + ") GROUP BY run_id ORDER BY run_id";
      clickHouse.queryRowBinary(
          sql,
          in -> {
            while (in.hasMore()) {
              String runId = in.string();
              out.add(curve(runId, metric, bucketWidth, new CurveRows(in), bucketWidth));
            }
          });
      return times ? withTimes(out, project, scope, bucketWidth) : out;
    }
    // The rows of the widest level that divides the bucket width, one array per column and run:
    // no regrouping on the server (a GROUP BY of (run, bucket) cost more than the read itself);
    // where a bucket spans several rows (widths under 16 or over 256) they are merged here.
    int read = RollupLevels.widestDividing(width);
    String sql =
        "SELECT run_id, groupArray(first_step), groupArray(last_step), groupArray(min),"
            + " groupArray(max), groupArray(sum), groupArray(finite), groupArray(points) FROM "
            + table(Tables.METRIC_ROLLUPS)
            + " FINAL WHERE "
            + scope
            + " AND width = "
            + read
            + " GROUP BY run_id ORDER BY run_id";
    clickHouse.queryRowBinary(
        sql,
        in -> {
          while (in.hasMore()) {
            String runId = in.string();
            out.add(curve(runId, metric, bucketWidth, new CurveRows(in), read));
          }
        });
    return times ? withTimes(out, project, scope, bucketWidth) : out;
  }

  /**
   * {@code curves} with the time of each bucket's earliest deduplicated point, relative to the
   * run's start: one query over the raw points of {@code scope}, joined with the runs' starts.
   */
  private List<MetricCurve> withTimes(
      List<MetricCurve> curves, String project, String scope, long width) {
    if (curves.isEmpty()) {
      return curves;
    }
    String perStep =
        "SELECT run_id, step, toUInt32(argMax(time, seq)) AS t FROM "
            + table(Tables.METRICS)
            + " WHERE "
            + scope
            + " GROUP BY run_id, step";
    String perBucket =
        "SELECT run_id, intDiv(step, "
            + width
            + ") AS b, min(t) AS bt FROM ("
            + perStep
            + ") GROUP BY run_id, b";
    String perRun =
        "SELECT run_id, groupArray(toInt64(b)) AS bs, groupArray(toInt64(bt)) AS ts FROM ("
            + perBucket
            + ") GROUP BY run_id";
    String sql =
        "SELECT run_id, bs, ts, toInt64(s) FROM ("
            + perRun
            + ") ANY LEFT JOIN (SELECT run_id, toUInt32(started_at) AS s FROM "
            + table(Tables.RUNS)
            + " FINAL WHERE project = "
            + inProject(project)
            + ") USING run_id";
    Map<String, Map<Long, Long>> elapsed = new HashMap<>();
    clickHouse.queryRowBinary(
        sql,
        in -> {
          while (in.hasMore()) {
            String runId = in.string();
            long[] buckets = in.int64Array();
            long[] seconds = in.int64Array();
            long start = in.int64();
            long earliest = Arrays.stream(seconds).min().orElse(0);
            // No start recorded (points before their run's RunStarted), or a clock that put the
            // start after a point: time from the run's first point instead.
            if (start <= 0 || start > earliest) {
              start = earliest;
            }
            Map<Long, Long> byBucket = new HashMap<>();
            for (int i = 0; i < buckets.length; i++) {
              byBucket.put(buckets[i], (seconds[i] - start) * 1000);
            }
            elapsed.put(runId, byBucket);
          }
        });
    List<MetricCurve> out = new ArrayList<>();
    for (MetricCurve c : curves) {
      Map<Long, Long> byBucket = elapsed.getOrDefault(c.runId(), Map.of());
      List<CurvePoint> points = new ArrayList<>();
      for (CurvePoint p : c.points()) {
        Long ms = byBucket.get(p.firstStep() / width);
        points.add(p.withElapsedMs(ms == null ? CurvePoint.NO_TIME : ms));
      }
      out.add(new MetricCurve(c.runId(), c.metric(), c.bucketWidth(), points));
    }
    return out;
  }

  /** Parallel arrays of one run's buckets (or rollup rows), as the curve queries read them. */
  private static final class CurveRows {
    final long[] firstSteps;
    final long[] lastSteps;
    final double[] mins;
    final double[] maxes;
    final double[] sums;
    final long[] finite;
    final long[] points;

    CurveRows(RowBinaryReader in) throws IOException {
      firstSteps = in.int64Array();
      lastSteps = in.int64Array();
      mins = in.float64Array();
      maxes = in.float64Array();
      sums = in.float64Array();
      finite = in.int64Array();
      points = in.int64Array();
    }
  }

  /**
   * A run's curve of buckets of {@code width} steps from rows of {@code rowWidth} steps (the
   * buckets themselves when equal): rows of one bucket merge as the rollup levels do, min and max
   * over rows with finite values, sums and counts added.
   */
  private static MetricCurve curve(
      String runId, String metric, long width, CurveRows rows, long rowWidth) {
    Integer[] order = new Integer[rows.firstSteps.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingLong(i -> rows.firstSteps[i]));
    List<CurvePoint> points = new ArrayList<>();
    int i = 0;
    while (i < order.length) {
      long bucket = rows.firstSteps[order[i]] / width;
      int end = i + 1;
      if (rowWidth != width) {
        while (end < order.length && rows.firstSteps[order[end]] / width == bucket) {
          end++;
        }
      }
      long first = rows.firstSteps[order[i]];
      long last = Long.MIN_VALUE;
      double min = Double.NaN;
      double max = Double.NaN;
      double sum = 0;
      long finite = 0;
      long count = 0;
      for (; i < end; i++) {
        int r = order[i];
        last = Math.max(last, rows.lastSteps[r]);
        count += rows.points[r];
        if (rows.finite[r] > 0) {
          min = finite == 0 ? rows.mins[r] : Math.min(min, rows.mins[r]);
          max = finite == 0 ? rows.maxes[r] : Math.max(max, rows.maxes[r]);
          sum += rows.sums[r];
          finite += rows.finite[r];
        }
      }
      points.add(
          new CurvePoint(
              first, last, min, max, finite > 0 ? sum / finite : Double.NaN, count, finite));
    }
    return new MetricCurve(runId, metric, width, points);
  }

  /** {@link #curves(String, String, Collection, int)} of every run that logged {@code metric}. */
  public List<MetricCurve> curves(String project, String metric, int maxPoints) {
    return curves(project, metric, List.of(), maxPoints);
  }

  /**
   * The {@code k} runs of {@code project} with the best finite value of {@code metric} by {@code
   * goal}, best first (ties by run id), with their current config. Two queries; blocks.
   */
  public List<LeaderboardEntry> leaderboard(String project, String metric, MetricGoal goal, int k) {
    Objects.requireNonNull(goal, "goal");
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1: " + k);
    }
    String p = inProject(project);
    String sql =
        "SELECT run_id, best, best_step FROM ("
            + perRunBest(p, metric, goal)
            + ") ORDER BY best "
            + (goal == MetricGoal.MINIMIZE ? "ASC" : "DESC")
            + ", run_id LIMIT "
            + k;
    List<JsonNode> top = clickHouse.queryJson(sql);
    if (top.isEmpty()) {
      return List.of();
    }
    List<String> ids = new ArrayList<>();
    top.forEach(r -> ids.add(Json.text(r.get("run_id"))));
    Map<String, RunRecord> runs = new HashMap<>();
    for (JsonNode row :
        clickHouse.queryJson(runBase(p, " AND run_id IN " + Sql.literalList(ids)))) {
      RunRecord r = record(row);
      runs.put(r.id(), r);
    }
    List<LeaderboardEntry> out = new ArrayList<>();
    for (JsonNode r : top) {
      String id = Json.text(r.get("run_id"));
      RunRecord run = runs.get(id);
      out.add(
          new LeaderboardEntry(
              out.size() + 1,
              id,
              run == null ? "" : run.name(),
              Json.toDouble(r.get("best")),
              Json.toLong(r.get("best_step")),
              run == null ? Map.of() : run.config()));
    }
    return out;
  }

  /**
   * {@link #leaderboard(String, String, MetricGoal, int)} by the goal the project's runs declared
   * for {@code metric}, else the one inferred from its name ({@link #goal}). Two queries more.
   */
  public List<LeaderboardEntry> leaderboard(String project, String metric, int k) {
    return leaderboard(project, metric, goal(project, metric), k);
  }

  /**
   * The effect of the hyperparameter {@code configKey} (a flattened key such as {@code
   * optimizer.lr}) on {@code metric}: the runs of {@code project} grouped by their current value of
   * the key, each group with the best, mean and worst of its runs' best values. Runs without the
   * key or without a finite value are left out. Sorted best group first. One query; blocks.
   */
  public List<ConfigEffect> configEffect(
      String project, String metric, String configKey, MetricGoal goal) {
    Objects.requireNonNull(goal, "goal");
    String p = inProject(project);
    String key = Sql.literal(configKey);
    String values =
        "SELECT run_id, argMax(values[indexOf(keys, "
            + key
            + ")], version) AS cfg_value, argMax(has(keys, "
            + key
            + "), version) AS has_key FROM "
            + table(Tables.RUN_ATTRIBUTES)
            + " WHERE project = "
            + p
            + " AND attribute = "
            + Sql.literal(Tables.ATTR_CONFIG)
            + " GROUP BY run_id";
    boolean min = goal == MetricGoal.MINIMIZE;
    String sql =
        "SELECT cfg_value, count() AS runs, "
            + (min ? "min(best)" : "max(best)")
            + " AS top, avg(best) AS mean, "
            + (min ? "max(best)" : "min(best)")
            + " AS worst, "
            + (min ? "argMin(run_id, best)" : "argMax(run_id, best)")
            + " AS top_run FROM (SELECT * FROM ("
            + perRunBest(p, metric, goal)
            + ") ANY INNER JOIN ("
            + values
            + ") USING run_id) WHERE has_key GROUP BY cfg_value ORDER BY top "
            + (min ? "ASC" : "DESC")
            + ", cfg_value";
    List<ConfigEffect> out = new ArrayList<>();
    for (JsonNode r : clickHouse.queryJson(sql)) {
      out.add(
          new ConfigEffect(
              Json.text(r.get("cfg_value")),
              Json.toLong(r.get("runs")),
              Json.toDouble(r.get("top")),
              Json.toDouble(r.get("mean")),
              Json.toDouble(r.get("worst")),
              Json.text(r.get("top_run"))));
    }
    return out;
  }

  /**
   * {@link #configEffect(String, String, String, MetricGoal)} by the goal the project's runs
   * declared for {@code metric}, else the one inferred from its name ({@link #goal}).
   */
  public List<ConfigEffect> configEffect(String project, String metric, String configKey) {
    return configEffect(project, metric, configKey, goal(project, metric));
  }

  /**
   * Whether {@code metric} is minimised or maximised in {@code project}: the goal its runs declared
   * with {@code run.defineMetric} (the processor stores it with each run's metric summary; where
   * runs disagree, the goal most of them hold), else the goal {@link MetricGoal#infer} gives its
   * name. One query; blocks.
   */
  public MetricGoal goal(String project, String metric) {
    Objects.requireNonNull(metric, "metric");
    return goals(inProject(project), List.of(metric)).get(metric);
  }

  /**
   * The names of the metrics the runs of {@code project} logged, in name order, from the
   * processor's per-run summaries (one row per run and metric, so this stays cheap with thousands
   * of runs). One query; blocks.
   */
  public List<String> metricNames(String project) {
    String sql =
        "SELECT DISTINCT metric FROM "
            + table(Tables.METRIC_SUMMARIES)
            + " WHERE project = "
            + inProject(project)
            + " ORDER BY metric";
    List<String> out = new ArrayList<>();
    for (JsonNode row : clickHouse.queryJson(sql)) {
      out.add(Json.text(row.get("metric")));
    }
    return out;
  }

  /** {@link #goal} of each of {@code metrics}, in one query. */
  private Map<String, MetricGoal> goals(String projectLiteral, Collection<String> metrics) {
    Map<String, MetricGoal> out = new HashMap<>();
    if (metrics.isEmpty()) {
      return out;
    }
    // The processor stores the goal a run declared, else the one the shared rule infers; NONE
    // (and rows older than the goal column) carry no declaration.
    String sql =
        "SELECT metric, goal, count() AS runs FROM "
            + table(Tables.METRIC_SUMMARIES)
            + " FINAL WHERE project = "
            + projectLiteral
            + " AND metric IN "
            + Sql.literalList(metrics)
            + " AND goal IN ('MINIMIZE', 'MAXIMIZE') GROUP BY metric, goal"
            + " ORDER BY metric, runs DESC, goal";
    for (JsonNode row : clickHouse.queryJson(sql)) {
      String metric = Json.text(row.get("metric"));
      out.putIfAbsent(metric, MetricGoal.of(Json.text(row.get("goal")), metric));
    }
    for (String metric : metrics) {
      out.computeIfAbsent(metric, MetricGoal::infer);
    }
    return out;
  }

  /**
   * The alerts of {@code project}, or of one run of it when {@code runId} is not null, newest first
   * (then by run, episode, raise before resolution), at most {@code limit}. Blocks.
   */
  public List<AlertRecord> alerts(String project, String runId, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1: " + limit);
    }
    // An alert is (run, episode, raise or resolution). The processor may send one again after a
    // restart with a later time (a liveness alert carries the wall clock), which the table's key
    // keeps apart: the earliest of each is the alert. Without an episode id, the time tells
    // alerts apart.
    String sql =
        "SELECT * FROM (SELECT * FROM "
            + table(Tables.ALERTS)
            + " FINAL WHERE project = "
            + inProject(project)
            + (runId == null ? "" : " AND run_id = " + Sql.literal(runId))
            + " ORDER BY time_ms LIMIT 1 BY run_id, episode_id, resolved,"
            + " if(episode_id = '', time_ms, 0))"
            + " ORDER BY time_ms DESC, run_id, episode_id, resolved LIMIT "
            + limit;
    List<AlertRecord> out = new ArrayList<>();
    for (JsonNode r : clickHouse.queryJson(sql)) {
      out.add(
          new AlertRecord(
              Json.text(r.get("run_id")),
              Json.text(r.get("team")),
              Json.text(r.get("project")),
              Json.text(r.get("episode_id")),
              Json.toLong(r.get("resolved")) != 0,
              Instant.ofEpochMilli(Json.toLong(r.get("time_ms"))),
              Json.text(r.get("rule")),
              Json.text(r.get("severity")),
              Json.text(r.get("title")),
              Json.text(r.get("message")),
              nullableText(r.get("metric")),
              Json.toNullableLong(r.get("step")),
              r.get("value") == null || r.get("value").isNull()
                  ? null
                  : Json.toDouble(r.get("value")),
              r.get("baseline") == null || r.get("baseline").isNull()
                  ? null
                  : Json.toDouble(r.get("baseline"))));
    }
    return out;
  }

  /** The newest {@value #DEFAULT_ALERT_LIMIT} alerts of {@code project}. */
  public List<AlertRecord> alerts(String project) {
    return alerts(project, null, DEFAULT_ALERT_LIMIT);
  }

  /** Alerts returned by {@link #alerts(String)}: {@value}. */
  public static final int DEFAULT_ALERT_LIMIT = 1000;

  private static String nullableText(JsonNode node) {
    return node == null || node.isNull() ? null : node.asText();
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  private static String array(Collection<String> values) {
    StringJoiner j = new StringJoiner(", ", "[", "]");
    values.forEach(v -> j.add(Sql.literal(v)));
    return j.toString();
  }

  /** Per run: the best finite value of {@code metric} and its step, from the widest rollups. */
  private String perRunBest(String projectLiteral, String metric, MetricGoal goal) {
    boolean min = goal == MetricGoal.MINIMIZE;
    return "SELECT run_id, "
        + (min ? "minIf(min, finite > 0)" : "maxIf(max, finite > 0)")
        + " AS best, "
        + (min ? "argMinIf(min_step, min, finite > 0)" : "argMaxIf(max_step, max, finite > 0)")
        + " AS best_step, sum(finite) AS fin FROM "
        + table(Tables.METRIC_ROLLUPS)
        + " FINAL WHERE project = "
        + projectLiteral
        + " AND metric = "
        + Sql.literal(metric)
        + " AND width = "
        + RollupLevels.widest()
        + " GROUP BY run_id HAVING fin > 0";
  }

  /** Per run: parallel arrays of each metric's best/final values, from the widest rollups. */
  private String metricColumns(String projectLiteral, List<String> metrics) {
    String perMetric =
        "SELECT run_id, metric, minIf(min, finite > 0) AS b_min,"
            + " argMinIf(min_step, min, finite > 0) AS b_min_step,"
            + " maxIf(max, finite > 0) AS b_max, argMaxIf(max_step, max, finite > 0) AS b_max_step,"
            + " argMax(last, last_step) AS b_final, max(last_step) AS b_final_step,"
            + " sum(finite) AS b_finite, sum(points) AS b_points FROM "
            + table(Tables.METRIC_ROLLUPS)
            + " FINAL WHERE project = "
            + projectLiteral
            + " AND width = "
            + RollupLevels.widest()
            + " AND metric IN "
            + Sql.literalList(metrics)
            + " GROUP BY run_id, metric";
    return "SELECT run_id, groupArray(metric) AS m_names, groupArray(b_min) AS m_min,"
        + " groupArray(b_min_step) AS m_min_step, groupArray(b_max) AS m_max,"
        + " groupArray(b_max_step) AS m_max_step, groupArray(b_final) AS m_final,"
        + " groupArray(b_final_step) AS m_final_step, groupArray(b_finite) AS m_finite,"
        + " groupArray(b_points) AS m_points FROM ("
        + perMetric
        + ") GROUP BY run_id";
  }

  private static String orderBy(RunSort sort, Map<String, MetricGoal> goals) {
    String dir = sort.descending() ? " DESC" : " ASC";
    switch (sort.by()) {
      case STARTED:
        return "version" + dir + ", run_id";
      case NAME:
        return "name" + dir + ", run_id";
      case DURATION:
        // As RunRecord.duration: to the end, or to now while the run has none.
        return "(if(ended_ms > 0, ended_ms, toInt64(toUInt32(now())) * 1000)"
            + " - toInt64(started) * 1000)"
            + dir
            + ", run_id";
      default:
        break;
    }
    String m = Sql.literal(sort.metric());
    String i = "indexOf(m_names, " + m + ")";
    if (sort.by() == RunSort.By.FINAL) {
      return "has(m_names, "
          + m
          + ") DESC, isNaN(m_final["
          + i
          + "]) ASC, m_final["
          + i
          + "]"
          + dir
          + ", run_id";
    }
    String column = goals.get(sort.metric()) == MetricGoal.MINIMIZE ? "m_min" : "m_max";
    return "(has(m_names, "
        + m
        + ") AND m_finite["
        + i
        + "] > 0) DESC, "
        + column
        + "["
        + i
        + "]"
        + dir
        + ", run_id";
  }

  private static Map<String, MetricValue> metricValues(
      JsonNode row, java.util.function.Function<String, MetricGoal> goals) {
    Map<String, MetricValue> out = new HashMap<>();
    List<String> names = Json.strings(row.get("m_names"));
    List<Double> mins = Json.doubles(row.get("m_min"));
    List<Long> minSteps = Json.longs(row.get("m_min_step"));
    List<Double> maxes = Json.doubles(row.get("m_max"));
    List<Long> maxSteps = Json.longs(row.get("m_max_step"));
    List<Double> finals = Json.doubles(row.get("m_final"));
    List<Long> finalSteps = Json.longs(row.get("m_final_step"));
    List<Long> finite = Json.longs(row.get("m_finite"));
    List<Long> points = Json.longs(row.get("m_points"));
    for (int i = 0; i < names.size(); i++) {
      MetricGoal goal = goals.apply(names.get(i));
      boolean any = finite.get(i) > 0;
      boolean min = goal == MetricGoal.MINIMIZE;
      out.put(
          names.get(i),
          new MetricValue(
              finals.get(i),
              finalSteps.get(i),
              any ? (min ? mins.get(i) : maxes.get(i)) : Double.NaN,
              any ? (min ? minSteps.get(i) : maxSteps.get(i)) : -1,
              goal,
              points.get(i)));
    }
    return out;
  }

  /**
   * The runs of a project with their current config, tags and notes (latest of each in {@code
   * run_attributes}) and state. ClickHouse 18.16 joins two tables per SELECT, so joins nest.
   */
  private String runBase(String projectLiteral, String runCondition) {
    String runs =
        "SELECT run_id, team, project, name, notes, tags, config_json, group_name, job_type,"
            + " toUInt32(started_at) AS started, version FROM "
            + table(Tables.RUNS)
            + " FINAL WHERE project = "
            + projectLiteral
            + runCondition;
    String config = Sql.literal(Tables.ATTR_CONFIG);
    String tags = Sql.literal(Tables.ATTR_TAGS);
    String notes = Sql.literal(Tables.ATTR_NOTES);
    String attributes =
        "SELECT run_id, argMaxIf(keys, version, attribute = "
            + config
            + ") AS cur_cfg_keys, argMaxIf(values, version, attribute = "
            + config
            + ") AS cur_cfg_values, argMaxIf(text, version, attribute = "
            + config
            + ") AS cur_cfg_json, maxIf(version, attribute = "
            + config
            + ") AS cur_cfg_v, argMaxIf(keys, version, attribute = "
            + tags
            + ") AS cur_tags, maxIf(version, attribute = "
            + tags
            + ") AS cur_tags_v, argMaxIf(text, version, attribute = "
            + notes
            + ") AS cur_notes, maxIf(version, attribute = "
            + notes
            + ") AS cur_notes_v FROM "
            + table(Tables.RUN_ATTRIBUTES)
            + " WHERE project = "
            + projectLiteral
            + runCondition
            + " GROUP BY run_id";
    String withAttributes =
        "SELECT * FROM (" + runs + ") ANY LEFT JOIN (" + attributes + ") USING run_id";
    return "SELECT * FROM ("
        + withAttributes
        + ") ANY LEFT JOIN (SELECT run_id, state,"
        // When it ended, or was last seen alive when it crashed or stopped answering; 0 while it
        // runs.
        + " toInt64(if(state = 'RUNNING', 0, if(ifNull(finished_ms, 0) > 0, ifNull(finished_ms, 0),"
        + " last_seen_ms))) AS ended_ms FROM "
        + table(Tables.RUN_STATES)
        + " FINAL WHERE project = "
        + projectLiteral
        + runCondition
        + ") USING run_id";
  }

  /** A {@link RunRecord} from a {@link #runBase} row. */
  private static RunRecord record(JsonNode row) {
    boolean hasConfig = Json.toLong(row.get("cur_cfg_v")) > 0;
    String configJson =
        hasConfig ? Json.text(row.get("cur_cfg_json")) : Json.text(row.get("config_json"));
    SortedMap<String, String> config = new TreeMap<>();
    if (hasConfig) {
      List<String> keys = Json.strings(row.get("cur_cfg_keys"));
      List<String> values = Json.strings(row.get("cur_cfg_values"));
      for (int i = 0; i < Math.min(keys.size(), values.size()); i++) {
        config.put(keys.get(i), values.get(i));
      }
    } else {
      try {
        config = ConfigFlattener.flatten(configJson);
      } catch (IllegalArgumentException e) {
        config = new TreeMap<>();
      }
    }
    List<String> tags =
        Json.toLong(row.get("cur_tags_v")) > 0
            ? Json.strings(row.get("cur_tags"))
            : Json.strings(row.get("tags"));
    String notes =
        Json.toLong(row.get("cur_notes_v")) > 0
            ? Json.text(row.get("cur_notes"))
            : Json.text(row.get("notes"));
    String state = Json.text(row.get("state"));
    long ended = row.get("ended_ms") == null ? 0 : Json.toLong(row.get("ended_ms"));
    return new RunRecord(
        Json.text(row.get("run_id")),
        Json.text(row.get("team")),
        Json.text(row.get("project")),
        Json.text(row.get("name")),
        notes,
        tags,
        config,
        configJson,
        Json.text(row.get("group_name")),
        Json.text(row.get("job_type")),
        Instant.ofEpochSecond(Json.toLong(row.get("started"))),
        state.isEmpty() ? RunRecord.UNKNOWN_STATE : state,
        ended > 0 ? Instant.ofEpochMilli(ended) : null);
  }

  @Override
  public void close() {
    clickHouse.close();
  }

  private String table(String name) {
    return db + "." + Sql.identifier(name);
  }
}
