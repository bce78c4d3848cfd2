package dev.runstream.sink.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * Keeps {@code metric_rollups} up to date: after each insert into {@code metrics}, the buckets the
 * batch touched are recomputed, level by level, from deduplicated data.
 *
 * <p>Why: deduplicating 10 M raw points at read time ({@code argMax(value, seq)} per (run, step),
 * or {@code FINAL}) takes seconds on ClickHouse 18.16, so comparing thousands of runs cannot read
 * raw points. An incremental rollup (a materialized view into an AggregatingMergeTree) would count
 * a replayed batch twice. So each bucket row is a pure function of the deduplicated points in its
 * step range, and is recomputed (never incremented) whenever a batch touches it: a replay, a second
 * sync of the same run or a crash between insert and commit recompute the same values, and the
 * ReplacingMergeTree keeps one row per bucket.
 *
 * <p>Levels: width 4 from the raw points, then 16, 64 and 256 each from the level below (read with
 * {@code FINAL}, already deduplicated), so a refresh reads at most 4 rows per touched bucket per
 * level. A query for N points per run reads the widest level not wider than its bucket width, so at
 * most 4N rows per run. Bucket numbers use {@code intDiv}, which truncates toward zero on both
 * sides, so {@code intDiv(intDiv(step, a), b) = intDiv(step, a * b)} and the levels nest.
 *
 * <p>Thread-safe (stateless apart from a monotonic version clock).
 */
public final class Rollups {
  /** Bucket widths in steps, finest first; each is 4 times the previous. */
  public static final List<Integer> LEVELS = List.of(4, 16, 64, 256);

  /** Series per statement: keeps each refresh statement well under 18.16's max_query_size. */
  static final int SERIES_PER_STATEMENT = 200;

  private static final String COLUMNS =
      "team, project, metric, width, run_id, bucket, first_step, last_step, points, finite, sum,"
          + " min, min_step, max, max_step, last, version";

  private static long lastVersion;

  private Rollups() {}

  /** One metric of one run and the step range a batch wrote to it. */
  public record Series(String team, String project, String runId, String metric) {}

  /** An inclusive step range. */
  public record StepRange(long min, long max) {
    public StepRange merge(long step) {
      return new StepRange(Math.min(min, step), Math.max(max, step));
    }

    public StepRange merge(StepRange other) {
      return new StepRange(Math.min(min, other.min), Math.max(max, other.max));
    }
  }

  /** The widest level not wider than {@code width}, or 1 (raw points) when every level is wider. */
  public static int levelFor(long width) {
    int chosen = 1;
    for (int level : LEVELS) {
      if (level <= width) {
        chosen = level;
      }
    }
    return chosen;
  }

  /**
   * The statements that recompute every bucket of {@code touched} at every level, in the order they
   * must run (a level reads the one below). Empty for nothing touched.
   *
   * @param db the quoted database
   */
  public static List<String> refreshStatements(String db, Map<Series, StepRange> touched) {
    List<String> out = new ArrayList<>();
    if (touched.isEmpty()) {
      return out;
    }
    List<List<Map.Entry<Series, StepRange>>> chunks = chunks(touched);
    long version = nextVersion();
    int below = 1;
    for (int level : LEVELS) {
      for (List<Map.Entry<Series, StepRange>> chunk : chunks) {
        out.add(levelSql(db, level, below, where(chunk, level, below), version));
      }
      below = level;
    }
    return out;
  }

  /** Statements that build every level from all points already stored (migration 2). */
  static List<String> backfillStatements() {
    List<String> out = new ArrayList<>();
    int below = 1;
    for (int level : LEVELS) {
      out.add(levelSql("%1$s", level, below, "1", 1).replace("%", "%%").replace("%%1$s", "%1$s"));
      below = level;
    }
    return out;
  }

  // No alias may repeat a column name of the source: ClickHouse substitutes aliases everywhere in
  // the query, so "16 AS width" would turn "WHERE width = 4" into "WHERE 16 = 4".
  private static String levelSql(String db, int level, int below, String where, long version) {
    String select;
    if (below == 1) {
      // From raw points, deduplicated by (run, metric, step): the highest seq wins.
      select =
          "SELECT team, project, metric, "
              + level
              + ", run_id, intDiv(step, "
              + level
              + ") AS b, min(step), max(step), count(), countIf(isFinite(v)),"
              + " sumIf(v, isFinite(v)), minIf(v, isFinite(v)), argMinIf(step, v, isFinite(v)),"
              + " maxIf(v, isFinite(v)), argMaxIf(step, v, isFinite(v)), argMax(v, step), "
              + version
              + " FROM (SELECT team, project, metric, run_id, step, argMax(value, seq) AS v FROM "
              + db
              + "."
              + Tables.METRICS
              + " WHERE "
              + where
              + " GROUP BY team, project, metric, run_id, step)"
              + " GROUP BY team, project, metric, run_id, b";
    } else {
      int factor = level / below;
      select =
          "SELECT team, project, metric, "
              + level
              + ", run_id, intDiv(bucket, "
              + factor
              + ") AS b, min(first_step), max(last_step), sum(points), sum(finite), sum(sum),"
              + " minIf(min, finite > 0), argMinIf(min_step, min, finite > 0),"
              + " maxIf(max, finite > 0), argMaxIf(max_step, max, finite > 0),"
              + " argMax(last, last_step), "
              + version
              + " FROM "
              + db
              + "."
              + Tables.METRIC_ROLLUPS
              + " FINAL WHERE width = "
              + below
              + " AND ("
              + where
              + ") GROUP BY team, project, metric, run_id, b";
    }
    return "INSERT INTO " + db + "." + Tables.METRIC_ROLLUPS + " (" + COLUMNS + ") " + select;
  }

  /**
   * The rows of {@code chunk} that feed the buckets of {@code level}: for raw points the steps of
   * every touched bucket, for a lower level its buckets inside them. Both the bucket condition and
   * a plain range on the key column are given, so the primary index narrows the read.
   */
  private static String where(List<Map.Entry<Series, StepRange>> chunk, int level, int below) {
    StringJoiner or = new StringJoiner(" OR ");
    for (Map.Entry<Series, StepRange> e : chunk) {
      Series s = e.getKey();
      long lo = e.getValue().min() / level;
      long hi = e.getValue().max() / level;
      String column = below == 1 ? "step" : "bucket";
      int factor = level / below;
      // Bucket b at `level` holds lower keys k with intDiv(k, factor) = b: k in (b*f - f, b*f + f).
      long from = lo * factor - (factor - 1);
      long to = hi * factor + (factor - 1);
      or.add(
          "(team = "
              + Sql.literal(s.team())
              + " AND project = "
              + Sql.literal(s.project())
              + " AND metric = "
              + Sql.literal(s.metric())
              + " AND run_id = "
              + Sql.literal(s.runId())
              + " AND "
              + column
              + " BETWEEN "
              + from
              + " AND "
              + to
              + " AND intDiv("
              + column
              + ", "
              + factor
              + ") BETWEEN "
              + lo
              + " AND "
              + hi
              + ")");
    }
    return or.toString();
  }

  private static List<List<Map.Entry<Series, StepRange>>> chunks(Map<Series, StepRange> touched) {
    // Sorted, so a statement's series are neighbours in the table's order.
    TreeMap<String, Map.Entry<Series, StepRange>> sorted = new TreeMap<>();
    for (Map.Entry<Series, StepRange> e : touched.entrySet()) {
      Series s = e.getKey();
      sorted.put(
          s.team() + '\u0000' + s.project() + '\u0000' + s.metric() + '\u0000' + s.runId(), e);
    }
    List<List<Map.Entry<Series, StepRange>>> out = new ArrayList<>();
    List<Map.Entry<Series, StepRange>> current = new ArrayList<>();
    for (Map.Entry<Series, StepRange> e : sorted.values()) {
      current.add(e);
      if (current.size() == SERIES_PER_STATEMENT) {
        out.add(current);
        current = new ArrayList<>();
      }
    }
    if (!current.isEmpty()) {
      out.add(current);
    }
    return out;
  }

  /**
   * A version for a refresh: wall-clock milliseconds, strictly increasing within this process, so a
   * later recomputation of a bucket replaces an earlier one.
   */
  private static synchronized long nextVersion() {
    lastVersion = Math.max(lastVersion + 1, System.currentTimeMillis());
    return lastVersion;
  }

  /** Merges {@code range} into the touched set. */
  public static void touch(Map<Series, StepRange> touched, Series series, StepRange range) {
    Objects.requireNonNull(series, "series");
    touched.merge(series, range, StepRange::merge);
  }
}
