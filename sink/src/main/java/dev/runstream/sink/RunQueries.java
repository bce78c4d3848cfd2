package dev.runstream.sink;

import com.clickhouse.client.api.Client;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.sink.internal.ClickHouseHttp;
import dev.runstream.sink.internal.ConfigFlattener;
import dev.runstream.sink.internal.Json;
import dev.runstream.sink.internal.RecordMapper;
import dev.runstream.sink.internal.Sql;
import dev.runstream.sink.internal.Tables;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads runs, metrics and summaries back from ClickHouse for the CLI, dashboards' tests and the
 * sink's own tests. Every answer is deduplicated at read time ({@code FINAL} or {@code argMax} over
 * the tables' keys), so it is right before background merges ran and does not change when a batch
 * was written twice. Every value in the SQL goes through {@link Sql#literal}, so names and tags
 * with quotes or backslashes cannot change a query.
 *
 * <p>Thread-safe; each method blocks for one or two HTTP round trips.
 */
public final class RunQueries implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ClickHouseHttp clickHouse;
  private final String db;

  /**
   * Queries over {@code client}, which stays open when this is closed.
   *
   * @param database the database the sink writes to, e.g. {@value SinkConfig#DEFAULT_DATABASE}
   */
  public RunQueries(Client client, String database) {
    this(new ClickHouseHttp(Objects.requireNonNull(client, "client"), false), database);
  }

  private RunQueries(ClickHouseHttp clickHouse, String database) {
    this.clickHouse = clickHouse;
    this.db = Sql.identifier(database);
  }

  /**
   * Queries over a new client for {@code url} (ClickHouse 18.16 or newer), closed by {@link
   * #close()}.
   */
  public static RunQueries connect(String url, String user, String password, String database) {
    return new RunQueries(
        new ClickHouseHttp(ClickHouseHttp.newClient(url, user, password), true), database);
  }

  /** Every run of {@code project}, oldest first, with its current config, tags and state. */
  public List<RunRecord> runs(String project) {
    String p = Sql.literal(project);
    String sql =
        "SELECT *\nFROM ("
            + runsWithUpdates(p)
            + ")\nANY LEFT JOIN (SELECT run_id, state FROM "
            + table(Tables.RUN_STATES)
            + " FINAL WHERE project = "
            + p
            + ") USING run_id\nORDER BY started, run_id";
    List<RunRecord> out = new ArrayList<>();
    for (JsonNode row : clickHouse.queryJson(sql)) {
      Current current = current(row);
      String state = Json.text(row.get("state"));
      out.add(
          new RunRecord(
              Json.text(row.get("run_id")),
              Json.text(row.get("team")),
              Json.text(row.get("project")),
              Json.text(row.get("name")),
              Json.text(row.get("notes")),
              current.tags,
              current.config,
              current.configJson,
              Json.text(row.get("group_name")),
              Json.text(row.get("job_type")),
              Instant.ofEpochSecond(Json.toLong(row.get("started"))),
              state.isEmpty() ? RunRecord.UNKNOWN_STATE : state));
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
   * logged, its final value (at the highest step) and its best finite value ({@link
   * MetricGoal#infer}). Computed from the deduplicated metrics in one query.
   */
  public List<RunComparison> compare(String project, List<String> metrics) {
    List<String> wanted = List.copyOf(new LinkedHashSet<>(metrics));
    String p = Sql.literal(project);
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
        "SELECT *\nFROM ("
            + runsWithUpdates(p)
            + ")\nANY LEFT JOIN ("
            + perRun
            + ") USING run_id\nORDER BY started, run_id";
    List<RunComparison> out = new ArrayList<>();
    for (JsonNode row : clickHouse.queryJson(sql)) {
      Current current = current(row);
      List<String> names = Json.strings(row.get("m_names"));
      List<Double> finals = Json.doubles(row.get("m_final"));
      List<Long> finalSteps = Json.longs(row.get("m_final_step"));
      List<Double> mins = Json.doubles(row.get("m_min"));
      List<Double> maxes = Json.doubles(row.get("m_max"));
      List<Long> finite = Json.longs(row.get("m_finite"));
      Map<String, RunComparison.MetricResult> found = new TreeMap<>();
      for (int i = 0; i < names.size(); i++) {
        MetricGoal goal = MetricGoal.infer(names.get(i));
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
      out.add(
          new RunComparison(
              Json.text(row.get("run_id")),
              Json.text(row.get("name")),
              current.tags,
              current.config,
              ordered));
    }
    return out;
  }

  @Override
  public void close() {
    clickHouse.close();
  }

  /**
   * The runs of a project with the latest config and tag updates beside them. ClickHouse 18.16
   * joins two tables per SELECT, so each join wraps the previous one.
   */
  private String runsWithUpdates(String projectLiteral) {
    String runs =
        "SELECT run_id, team, project, name, notes, tags, config_json, group_name, job_type,"
            + " toUInt32(started_at) AS started, version FROM "
            + table(Tables.RUNS)
            + " FINAL WHERE project = "
            + projectLiteral;
    String withConfig =
        "SELECT * FROM ("
            + runs
            + ") ANY LEFT JOIN ("
            + latestEvent(projectLiteral, RecordMapper.CONFIG_UPDATED, "cfg")
            + ") USING run_id";
    return "SELECT * FROM ("
        + withConfig
        + ") ANY LEFT JOIN ("
        + latestEvent(projectLiteral, RecordMapper.TAGS_UPDATED, "tg")
        + ") USING run_id";
  }

  private String latestEvent(String projectLiteral, String kind, String alias) {
    return "SELECT run_id, argMax(payload, (sequence, time_ms)) AS "
        + alias
        + "_payload, max(time_ms) AS "
        + alias
        + "_time FROM "
        + table(Tables.RUN_EVENTS)
        + " FINAL WHERE project = "
        + projectLiteral
        + " AND kind = "
        + Sql.literal(kind)
        + " GROUP BY run_id";
  }

  /** The config and tags in force: the latest update after the run started, else the start's. */
  private record Current(List<String> tags, SortedMap<String, String> config, String configJson) {}

  private static Current current(JsonNode row) {
    long startedMs = Json.toLong(row.get("version"));
    String configJson = Json.text(row.get("config_json"));
    List<String> tags = Json.strings(row.get("tags"));
    JsonNode cfg = payload(row, "cfg", startedMs);
    if (cfg != null && cfg.hasNonNull("configJson")) {
      configJson = cfg.get("configJson").asText();
    }
    JsonNode tg = payload(row, "tg", startedMs);
    if (tg != null && tg.has("tags")) {
      tags = Json.strings(tg.get("tags"));
    }
    SortedMap<String, String> config;
    try {
      config = ConfigFlattener.flatten(configJson);
    } catch (IllegalArgumentException e) {
      config = new TreeMap<>();
    }
    return new Current(tags, config, configJson);
  }

  private static JsonNode payload(JsonNode row, String alias, long startedMs) {
    String text = Json.text(row.get(alias + "_payload"));
    if (text.isEmpty() || Json.toLong(row.get(alias + "_time")) < startedMs) {
      return null; // no update, or one from before a later (re)start
    }
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  private String table(String name) {
    return db + "." + Sql.identifier(name);
  }
}
