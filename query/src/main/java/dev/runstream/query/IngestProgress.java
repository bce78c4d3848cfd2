package dev.runstream.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.Json;
import dev.runstream.query.internal.Sql;
import dev.runstream.query.internal.Tables;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How far a project's points have come through the pipeline, as ClickHouse holds them: the
 * questions a load generator or a drill asks many times a second while points arrive. Obtained from
 * {@link RunQueries#ingest()}, over the same connections and team scope.
 *
 * <p>Unlike {@link RunQueries}, these counts are raw: a batch the sink wrote twice counts twice
 * until ClickHouse merges it away, so they may run ahead of the exact answers, never behind.
 *
 * <p>Thread-safe. Every method blocks for one HTTP round trip and throws like {@link RunQueries}.
 */
public final class IngestProgress {
  private final ClickHouseHttp clickHouse;
  private final String metricsTable;
  private final String summariesTable;
  private final String teamCondition;

  IngestProgress(ClickHouseHttp clickHouse, String db, String teamCondition) {
    this.clickHouse = clickHouse;
    this.metricsTable = db + "." + Sql.identifier(Tables.METRICS);
    this.summariesTable = db + "." + Sql.identifier(Tables.METRIC_SUMMARIES);
    this.teamCondition = teamCondition;
  }

  /**
   * The highest step of {@code metric} that ClickHouse holds for each run of {@code project}, among
   * the steps from {@code fromStep} on; runs with none are absent. Cheap to ask often: the table's
   * key (project, run, metric, step) lets ClickHouse read only the steps asked for.
   */
  public Map<String, Long> latestSteps(String project, String metric, long fromStep) {
    String sql =
        "SELECT run_id, max(step) AS s FROM "
            + metricsTable
            + " WHERE project = "
            + inProject(project)
            + " AND metric = "
            + Sql.literal(Objects.requireNonNull(metric, "metric"))
            + " AND step >= "
            + fromStep
            + " GROUP BY run_id";
    Map<String, Long> out = new HashMap<>();
    for (JsonNode row : clickHouse.queryJson(sql)) {
      out.put(Json.text(row.get("run_id")), Json.toLong(row.get("s")));
    }
    return Map.copyOf(out);
  }

  /** Metric points of {@code project} that the sink wrote (duplicates not yet merged included). */
  public long points(String project) {
    return single(
        "SELECT count() AS c FROM " + metricsTable + " WHERE project = " + inProject(project));
  }

  /**
   * Metric points of {@code project} that the stream processor counted: the sum of the point counts
   * of the latest summary of every metric of every run, as the sink wrote the summaries.
   */
  public long summarisedPoints(String project) {
    return single(
        "SELECT sum(count) AS c FROM (SELECT count FROM "
            + summariesTable
            + " FINAL WHERE project = "
            + inProject(project)
            + ")");
  }

  private String inProject(String project) {
    return Sql.literal(Objects.requireNonNull(project, "project")) + teamCondition;
  }

  private long single(String sql) {
    List<JsonNode> rows = clickHouse.queryJson(sql);
    return rows.isEmpty() ? 0 : Json.toLong(rows.get(0).get("c"));
  }
}
