package dev.runstream.sink.internal;

import static dev.runstream.query.internal.RollupLevels.LEVELS;

import dev.runstream.query.internal.Sql;
import dev.runstream.query.internal.Tables;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * The SQL of {@code metric_rollups}: recomputing touched buckets level by level from deduplicated
 * data (the slow path of {@link RollupTracker}, and the backfill of migration 2), reading back what
 * a series holds, and encoding rows the tracker folded in memory.
 *
 * <p>Why: deduplicating 10 M raw points at read time ({@code argMax(value, seq)} per (run, step),
 * or {@code FINAL}) takes seconds on ClickHouse 18.16, so comparing thousands of runs cannot read
 * raw points. An incremental rollup (a materialized view into an AggregatingMergeTree) would count
 * a replayed batch twice. So each bucket row is a pure function of the deduplicated points in its
 * step range, written anew (never incremented) whenever a batch touches it: a replay, a second sync
 * of the same run or a crash between insert and commit give the same values, and the
 * ReplacingMergeTree keeps the newest row per bucket.
 *
 * <p>Levels: width 4 from the raw points, then 16, 32, 64, 128 and 256 each from the level below
 * (read with {@code FINAL}, already deduplicated), so a refresh reads at most 4 rows per touched
 * bucket per level. A query for N points per run picks a bucket width from the widest level not
 * wider than what N points need, and reads the widest level that divides it: from 16 to 256 steps
 * every width it picks is a level (32 and 128 were added for that: migration 4), so it reads one
 * row per point it returns, without regrouping on the server; narrower widths read at most 4 rows
 * of width 4 per point. Bucket numbers use {@code intDiv}, which truncates toward zero on both
 * sides, so {@code intDiv(intDiv(step, a), b) = intDiv(step, a * b)} and the levels nest.
 *
 * <p>Thread-safe (stateless apart from a monotonic version clock: wall-clock milliseconds, so a
 * sink that restarts, or another sink after a rebalance, writes newer versions than the last one —
 * unless clocks go backwards by more than the time between the two writes).
 */
public final class Rollups {
  /** The levels migration 2 created; its backfill builds exactly these, whatever comes later. */
  static final List<Integer> LEVELS_V2 = List.of(4, 16, 64, 256);

  /**
   * Series per statement: about 40 bytes each, so a statement stays well under 18.16's
   * max_query_size (256 KiB).
   */
  static final int SERIES_PER_STATEMENT = 1000;

  /** Steps by which series of one statement may lie apart beyond twice their own ranges. */
  static final long CLOSE_STEPS = 1024;

  private static final String COLUMNS =
      String.join(", ", Tables.COLUMNS.get(Tables.METRIC_ROLLUPS));

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
    List<Chunk> chunks = chunks(touched);
    long version = nextVersion();
    int below = 1;
    for (int level : LEVELS) {
      for (Chunk chunk : chunks) {
        out.add(levelSql(db, level, below, where(chunk, level, below), version));
      }
      below = level;
    }
    return out;
  }

  /**
   * Statements that build {@code levels} (finest first, each a multiple of the one before) from all
   * points already stored; {@code %1$s} is the quoted database, formatted like every migration
   * statement.
   */
  public static List<String> backfillStatements(List<Integer> levels) {
    List<String> out = new ArrayList<>();
    int below = 1;
    for (int level : levels) {
      out.add(backfillStatement(level, below));
      below = level;
    }
    return out;
  }

  /**
   * A statement that builds every bucket of {@code level} from the stored level {@code below} (1:
   * the raw points), formatted like {@link #backfillStatements}.
   */
  public static String backfillStatement(int level, int below) {
    return levelSql("%1$s", level, below, "1", 1).replace("%", "%%").replace("%%1$s", "%1$s");
  }

  // Ties of min and max go to the earliest step ((value, step) compared as a tuple), so a bucket
  // recomputed here equals the one RollupTracker folds point by point, and answers do not depend on
  // the order ClickHouse reads rows in. No alias may repeat a column name of the source: ClickHouse
  // substitutes aliases everywhere in the query, so "16 AS width" would turn "WHERE width = 4" into
  // "WHERE 16 = 4".
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
              + " sumIf(v, isFinite(v)), minIf(v, isFinite(v)),"
              + " argMinIf(step, (v, step), isFinite(v)),"
              + " maxIf(v, isFinite(v)), argMaxIf(step, (v, -step), isFinite(v)), argMax(v, step), "
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
              + " minIf(min, finite > 0), argMinIf(min_step, (min, min_step), finite > 0),"
              + " maxIf(max, finite > 0), argMaxIf(max_step, (max, -max_step), finite > 0),"
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

  /** Series of one team and project whose touched steps lie close together. */
  private record Chunk(String team, String project, List<Series> series, long min, long max) {}

  /**
   * The rows of {@code chunk} that feed the buckets of {@code level}: its series (one {@code IN}
   * over a set, which the server checks by hash and uses for the primary index, instead of an OR
   * per series, whose index analysis grows with the table) in the chunk's step range widened to
   * whole buckets. Recomputing a bucket that was not touched gives the same row again, so the
   * shared range costs reads, never correctness. Both the bucket condition and a plain range on the
   * key column are given, so the primary index narrows the read.
   */
  private static String where(Chunk chunk, int level, int below) {
    long lo = chunk.min() / level;
    long hi = chunk.max() / level;
    String column = below == 1 ? "step" : "bucket";
    int factor = level / below;
    // Bucket b at `level` holds lower keys k with intDiv(k, factor) = b: k in (b*f - f, b*f + f).
    long from = lo * factor - (factor - 1);
    long to = hi * factor + (factor - 1);
    return "team = "
        + Sql.literal(chunk.team())
        + " AND project = "
        + Sql.literal(chunk.project())
        + " AND (run_id, metric) IN "
        + pairs(chunk.series())
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
        + hi;
  }

  /**
   * Groups the touched series by team and project, then by step range: runs logging at similar
   * steps (the usual case: a batch holds the latest steps of many runs) share a statement, while a
   * series far from the others (a resumed run, a backfill) gets its own, so no statement reads much
   * more than was touched.
   */
  private static List<Chunk> chunks(Map<Series, StepRange> touched) {
    TreeMap<String, List<Map.Entry<Series, StepRange>>> byProject = new TreeMap<>();
    for (Map.Entry<Series, StepRange> e : touched.entrySet()) {
      String key = e.getKey().team() + '\u0000' + e.getKey().project();
      byProject.computeIfAbsent(key, k -> new ArrayList<>()).add(e);
    }
    List<Chunk> out = new ArrayList<>();
    for (List<Map.Entry<Series, StepRange>> entries : byProject.values()) {
      entries.sort(
          Comparator.comparingLong((Map.Entry<Series, StepRange> e) -> e.getValue().min())
              .thenComparing(e -> e.getKey().runId())
              .thenComparing(e -> e.getKey().metric()));
      Series first = entries.get(0).getKey();
      List<Series> current = new ArrayList<>();
      long min = 0;
      long max = 0;
      for (Map.Entry<Series, StepRange> e : entries) {
        StepRange r = e.getValue();
        if (!current.isEmpty()) {
          long width = max - min + 1;
          long merged = Math.max(max, r.max()) - min + 1;
          boolean close = merged <= 2 * Math.max(width, r.max() - r.min() + 1) + CLOSE_STEPS;
          if (current.size() == SERIES_PER_STATEMENT || !close) {
            out.add(new Chunk(first.team(), first.project(), List.copyOf(current), min, max));
            current = new ArrayList<>();
          }
        }
        if (current.isEmpty()) {
          min = r.min();
          max = r.max();
        }
        current.add(e.getKey());
        max = Math.max(max, r.max());
      }
      out.add(new Chunk(first.team(), first.project(), List.copyOf(current), min, max));
    }
    return out;
  }

  /**
   * A version for a refresh: wall-clock milliseconds, strictly increasing within this process, so a
   * later recomputation of a bucket replaces an earlier one.
   */
  public static synchronized long nextVersion() {
    lastVersion = Math.max(lastVersion + 1, System.currentTimeMillis());
    return lastVersion;
  }

  /** Merges {@code range} into the touched set. */
  public static void touch(Map<Series, StepRange> touched, Series series, StepRange range) {
    Objects.requireNonNull(series, "series");
    touched.merge(series, range, StepRange::merge);
  }

  /**
   * One {@code metric_rollups} row: the deduplicated points of one series between two steps. {@code
   * min}, {@code minStep}, {@code max}, {@code maxStep} and {@code sum} are 0 while {@code finite}
   * is 0, as ClickHouse's {@code -If} aggregates give them.
   */
  public record Row(
      Series series,
      int width,
      long bucket,
      long firstStep,
      long lastStep,
      long points,
      long finite,
      double sum,
      double min,
      long minStep,
      double max,
      long maxStep,
      double last) {}

  /** The rows as RowBinary in the order of {@link Tables#COLUMNS} for {@code metric_rollups}. */
  public static byte[] encode(List<Row> rows, long version) {
    // Rows of one series come together (RollupTracker writes them so): its strings are encoded once
    // per group, and the buffer is sized exactly (an interval's rows are tens of megabytes).
    long size = 0;
    Series series = null;
    int strings = 0;
    for (Row r : rows) {
      if (r.series() != series) {
        series = r.series();
        strings = seriesHead(series).length + seriesRun(series).length;
      }
      size += strings + ROW_NUMBERS;
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("a write of " + size + " bytes of rollup rows");
    }
    RowBinary out = new RowBinary((int) size);
    series = null;
    byte[] head = null;
    byte[] run = null;
    for (Row r : rows) {
      if (r.series() != series) {
        series = r.series();
        head = seriesHead(series);
        run = seriesRun(series);
      }
      out.raw(head, 0, head.length)
          .uint32(r.width())
          .raw(run, 0, run.length)
          .int64(r.bucket())
          .int64(r.firstStep())
          .int64(r.lastStep())
          .uint64(r.points())
          .uint64(r.finite())
          .float64(r.sum())
          .float64(r.min())
          .int64(r.minStep())
          .float64(r.max())
          .int64(r.maxStep())
          .float64(r.last())
          .uint64(version);
    }
    return out.toByteArray();
  }

  // width UInt32, then twelve 8-byte columns: bucket to last, and version.
  private static final int ROW_NUMBERS = 4 + 12 * 8;

  private static byte[] seriesHead(Series s) {
    return new RowBinary(64).string(s.team()).string(s.project()).string(s.metric()).toByteArray();
  }

  private static byte[] seriesRun(Series s) {
    return new RowBinary(32).string(s.runId()).toByteArray();
  }

  /**
   * Queries for the highest stored step of each series, as RowBinary rows of (team, project,
   * run_id, metric String, max_step Int64), one per series that has rollups. Reads only the widest
   * level and needs no {@code FINAL}: a bucket's last step only grows from one computation to the
   * next.
   */
  public static List<String> maxStepQueries(String db, Collection<Series> series) {
    List<String> out = new ArrayList<>();
    for (List<Series> group : byProject(series)) {
      Series first = group.get(0);
      out.add(
          "SELECT team, project, run_id, metric, toInt64(max(last_step)) FROM "
              + db
              + "."
              + Tables.METRIC_ROLLUPS
              + " WHERE team = "
              + Sql.literal(first.team())
              + " AND project = "
              + Sql.literal(first.project())
              + " AND width = "
              + LEVELS.get(LEVELS.size() - 1)
              + " AND (run_id, metric) IN "
              + pairs(group)
              + " GROUP BY team, project, run_id, metric");
    }
    return out;
  }

  /**
   * Queries for the bucket holding the given step of each series at every level, as RowBinary rows
   * of (team, project, run_id, metric String, width, bucket, first_step, last_step, points, finite
   * Int64, sum, min Float64, min_step Int64, max Float64, max_step Int64, last Float64).
   */
  public static List<String> bucketQueries(String db, Map<Series, Long> stepOf) {
    List<String> out = new ArrayList<>();
    for (List<Series> group : byProject(stepOf.keySet())) {
      Series first = group.get(0);
      StringJoiner keys = new StringJoiner(", ", "(", ")");
      for (Series s : group) {
        long step = stepOf.get(s);
        for (int level : LEVELS) {
          keys.add(
              "("
                  + Sql.literal(s.runId())
                  + ", "
                  + Sql.literal(s.metric())
                  + ", "
                  + level
                  + ", "
                  + step / level
                  + ")");
        }
      }
      out.add(
          "SELECT team, project, run_id, metric, toInt64(width), bucket, first_step, last_step,"
              + " toInt64(points), toInt64(finite), sum, min, min_step, max, max_step, last FROM "
              + db
              + "."
              + Tables.METRIC_ROLLUPS
              + " FINAL WHERE team = "
              + Sql.literal(first.team())
              + " AND project = "
              + Sql.literal(first.project())
              + " AND (run_id, metric, width, bucket) IN "
              + keys);
    }
    return out;
  }

  /**
   * Queries for the highest step stored in {@code metrics} of each series at or above {@code from}
   * of it, as RowBinary rows of (team, project, run_id, metric String, max_step Int64). Series with
   * similar lower bounds share a query, so the primary key narrows each read to the steps it needs
   * rather than the whole history of a long run.
   */
  public static List<String> maxStoredStepQueries(String db, Map<Series, Long> from) {
    Map<Series, StepRange> ranges = new HashMap<>();
    from.forEach((s, step) -> ranges.put(s, new StepRange(step, step)));
    List<String> out = new ArrayList<>();
    for (Chunk chunk : chunks(ranges)) {
      out.add(
          "SELECT team, project, run_id, metric, toInt64(max(step)) FROM "
              + db
              + "."
              + Tables.METRICS
              + " WHERE team = "
              + Sql.literal(chunk.team())
              + " AND project = "
              + Sql.literal(chunk.project())
              + " AND (run_id, metric) IN "
              + pairs(chunk.series())
              + " AND step >= "
              + chunk.min()
              + " GROUP BY team, project, run_id, metric");
    }
    return out;
  }

  /** Series grouped by team and project, at most {@link #SERIES_PER_STATEMENT} per group. */
  private static List<List<Series>> byProject(Collection<Series> series) {
    TreeMap<String, List<Series>> groups = new TreeMap<>();
    for (Series s : series) {
      groups.computeIfAbsent(s.team() + '\u0000' + s.project(), k -> new ArrayList<>()).add(s);
    }
    List<List<Series>> out = new ArrayList<>();
    for (List<Series> group : groups.values()) {
      for (int i = 0; i < group.size(); i += SERIES_PER_STATEMENT) {
        out.add(group.subList(i, Math.min(group.size(), i + SERIES_PER_STATEMENT)));
      }
    }
    return out;
  }

  /**
   * {@code ((run, metric), ...)}. A lone element is repeated: {@code IN ((a, b))} would read as one
   * tuple of two values.
   */
  private static String pairs(List<Series> series) {
    StringJoiner set = new StringJoiner(", ", "(", ")");
    for (Series s : series) {
      set.add("(" + Sql.literal(s.runId()) + ", " + Sql.literal(s.metric()) + ")");
    }
    if (series.size() == 1) {
      Series s = series.get(0);
      set.add("(" + Sql.literal(s.runId()) + ", " + Sql.literal(s.metric()) + ")");
    }
    return set.toString();
  }
}
