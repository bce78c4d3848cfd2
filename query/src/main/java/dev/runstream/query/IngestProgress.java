package dev.runstream.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.Json;
import dev.runstream.query.internal.Sql;
import dev.runstream.query.internal.Tables;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * How far a project's points have come through the pipeline, as ClickHouse holds them: the
 * questions a load generator or a drill asks many times a second while points arrive. Obtained from
 * {@link RunQueries#ingest()}, over the same connections and team scope.
 *
 * <p>Unlike {@link RunQueries}, these counts are raw: a batch the sink wrote twice counts twice
 * until ClickHouse merges it away, so they may run ahead of the exact answers, never behind.
 *
 * <p>Questions about the points are answered part by part: a part of the metrics table never
 * changes once written, so the answer for each part is read once and kept, and each question reads
 * only the parts written (inserted or merged) since it was last asked. Asked ten times a second
 * while a load runs, scanning the whole project instead cost ClickHouse more CPU than inserting the
 * points (the index cannot narrow a condition on the metric or the step across runs).
 *
 * <p>Thread-safe. Every method blocks for a few HTTP round trips and throws like {@link
 * RunQueries}.
 */
public final class IngestProgress {
  /**
   * Times the active parts are listed again when some were merged away while being read, before the
   * whole table is asked instead.
   */
  private static final int PART_ATTEMPTS = 5;

  private final int partAttempts;

  private final ClickHouseHttp clickHouse;
  private final String database;
  private final String metricsTable;
  private final String summariesTable;
  private final String partsQuery;
  private final String teamCondition;
  // What each part of the metrics table holds, per question: a project's points, or a project's
  // metric's highest step per run. Only parts active at the last question are kept.
  private final Map<String, Map<String, Long>> pointsByPart = new HashMap<>();
  private final Map<List<String>, Map<String, Map<String, Long>>> stepsByPart = new HashMap<>();

  IngestProgress(ClickHouseHttp clickHouse, String database, String teamCondition) {
    this(clickHouse, database, teamCondition, PART_ATTEMPTS);
  }

  private IngestProgress(
      ClickHouseHttp clickHouse, String database, String teamCondition, int partAttempts) {
    this.partAttempts = partAttempts;
    this.database = database;
    this.clickHouse = clickHouse;
    String db = Sql.identifier(database);
    this.metricsTable = db + "." + Sql.identifier(Tables.METRICS);
    this.summariesTable = db + "." + Sql.identifier(Tables.METRIC_SUMMARIES);
    this.partsQuery =
        "SELECT name, rows, toUInt32(modification_time) AS at FROM system.parts WHERE database = "
            + Sql.literal(database)
            + " AND table = "
            + Sql.literal(Tables.METRICS)
            + " AND active";
    this.teamCondition = teamCondition;
  }

  /**
   * The highest step of {@code metric} that ClickHouse holds for each run of {@code project}, among
   * the steps from {@code fromStep} on; runs with none are absent. Cheap to ask often: only the
   * parts written since the last question are read.
   */
  public Map<String, Long> latestSteps(String project, String metric, long fromStep) {
    String condition =
        " AND project = "
            + inProject(project)
            + " AND metric = "
            + Sql.literal(Objects.requireNonNull(metric, "metric"));
    Map<String, Map<String, Long>> cache;
    synchronized (this) {
      cache = stepsByPart.computeIfAbsent(List.of(project, metric), k -> new HashMap<>());
    }
    Map<String, Long> out = new HashMap<>();
    // The highest step of a run at or above fromStep is its highest step, if that is high enough.
    Collection<Map<String, Long>> answered =
        perPart(
            cache,
            parts -> {
              Map<String, Map<String, Long>> read = new HashMap<>();
              for (JsonNode row :
                  clickHouse.queryJson(
                      "SELECT _part AS part, run_id, max(step) AS s FROM "
                          + metricsTable
                          + " WHERE _part IN "
                          + Sql.literalList(parts)
                          + condition
                          + " GROUP BY part, run_id")) {
                read.computeIfAbsent(Json.text(row.get("part")), p -> new HashMap<>())
                    .put(Json.text(row.get("run_id")), Json.toLong(row.get("s")));
              }
              return read;
            },
            Map.of());
    if (answered == null) {
      for (JsonNode row :
          clickHouse.queryJson(
              "SELECT run_id, max(step) AS s FROM "
                  + metricsTable
                  + " WHERE step >= "
                  + fromStep
                  + condition
                  + " GROUP BY run_id")) {
        out.put(Json.text(row.get("run_id")), Json.toLong(row.get("s")));
      }
      return Map.copyOf(out);
    }
    for (Map<String, Long> ofPart : answered) {
      ofPart.forEach(
          (run, step) -> {
            if (step >= fromStep) {
              out.merge(run, step, Math::max);
            }
          });
    }
    return Map.copyOf(out);
  }

  /**
   * Metric points of {@code project} that the sink wrote (duplicates not yet merged included), as
   * the parts active at one moment hold them. Cheap to ask often: only the parts written since the
   * last question are read.
   */
  public long points(String project) {
    String condition = " AND project = " + inProject(project);
    Map<String, Long> cache;
    synchronized (this) {
      cache = pointsByPart.computeIfAbsent(project, k -> new HashMap<>());
    }
    Collection<Long> answered =
        perPart(
            cache,
            parts -> {
              Map<String, Long> read = new HashMap<>();
              for (JsonNode row :
                  clickHouse.queryJson(
                      "SELECT _part AS part, count() AS c FROM "
                          + metricsTable
                          + " WHERE _part IN "
                          + Sql.literalList(parts)
                          + condition
                          + " GROUP BY part")) {
                read.put(Json.text(row.get("part")), Json.toLong(row.get("c")));
              }
              return read;
            },
            0L);
    if (answered == null) {
      return single(
          "SELECT count() AS c FROM " + metricsTable + " WHERE project = " + inProject(project));
    }
    long sum = 0;
    for (long ofPart : answered) {
      sum += ofPart;
    }
    return sum;
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

  /**
   * The answers of the metrics table's parts that were active at one moment, reading with {@code
   * read} (part names to answers by name) only the parts {@code cache} does not hold yet; null when
   * merges kept replacing the parts faster than they could be read, and the caller must ask the
   * whole table instead. A part missing from what {@code read} returns holds nothing asked for
   * ({@code none}). A part still active after the read was active throughout it, so its answer is
   * complete and kept; a part merged away meanwhile is not, and the part it was merged into is read
   * on the next attempt. Parts are known by name, rows and time of writing, because a table dropped
   * and created again reuses the names.
   */
  private <V> Collection<V> perPart(
      Map<String, V> cache, Function<Set<String>, Map<String, V>> read, V none) {
    synchronized (cache) {
      Map<String, String> active = activeParts();
      for (int attempt = 1; attempt <= partAttempts; attempt++) {
        Map<String, String> unknown = new HashMap<>(active);
        unknown.values().removeAll(cache.keySet());
        if (unknown.isEmpty()) {
          cache.keySet().retainAll(active.values());
          return List.copyOf(cache.values());
        }
        Map<String, V> answers = read.apply(unknown.keySet());
        Map<String, String> after = activeParts();
        unknown.forEach(
            (name, part) -> {
              if (part.equals(after.get(name))) {
                cache.put(part, answers.getOrDefault(name, none));
              }
            });
        active = after;
      }
      return null;
    }
  }

  /**
   * The same questions, with the parts listed at most {@code attempts} times before the whole table
   * is asked; for tests of that path (0: always the whole table).
   */
  IngestProgress withPartAttempts(int attempts) {
    return new IngestProgress(clickHouse, database, teamCondition, attempts);
  }

  /** The active parts of the metrics table: name to name, rows and time of writing. */
  private Map<String, String> activeParts() {
    Map<String, String> out = new HashMap<>();
    for (JsonNode row : clickHouse.queryJson(partsQuery)) {
      String name = Json.text(row.get("name"));
      out.put(name, name + "/" + Json.text(row.get("rows")) + "/" + Json.text(row.get("at")));
    }
    return out;
  }

  private String inProject(String project) {
    return Sql.literal(Objects.requireNonNull(project, "project")) + teamCondition;
  }

  private long single(String sql) {
    List<JsonNode> rows = clickHouse.queryJson(sql);
    return rows.isEmpty() ? 0 : Json.toLong(rows.get(0).get("c"));
  }
}
