package dev.runstream.sink.internal;

import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.Sql;
import dev.runstream.query.internal.Tables;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a batch's rows go: the narrow seam between the consumer loop and ClickHouse, so the loop's
 * retry, dead-letter and commit paths are testable with an in-memory writer.
 *
 * <p>Implementations are called from one worker thread. Every method blocks and throws on failure,
 * which {@link ErrorClassifier} classifies.
 */
public interface TableWriter {
  /** Inserts {@code rows} RowBinary-encoded rows into {@code table} (no database prefix). */
  void insert(String table, byte[] rowBinary, int rows) throws Exception;

  /**
   * Writes rollup rows computed in memory ({@link RollupTracker}) with a version newer than any
   * earlier computation of their buckets.
   */
  default void insertRollups(List<Rollups.Row> rows) throws Exception {
    insert(Tables.METRIC_ROLLUPS, Rollups.encode(rows, Rollups.nextVersion()), rows.size());
  }

  /**
   * Recomputes the rollups of {@code touched} from the stored points after they were inserted. The
   * default does nothing (writers without rollups).
   */
  default void refreshRollups(Map<Rollups.Series, Rollups.StepRange> touched) throws Exception {}

  /**
   * For each of {@code series} that has rollups: the row, at every level, of the bucket holding the
   * series' highest stored step. The default knows nothing, so every series is recomputed.
   */
  default List<Rollups.Row> loadRollups(Collection<Rollups.Series> series) throws Exception {
    return List.of();
  }

  /**
   * The highest step stored in {@code metrics} of each series at or above its value in {@code
   * from}; series without such a step are left out. The default stores nothing.
   */
  default Map<Rollups.Series, Long> maxStoredSteps(Map<Rollups.Series, Long> from)
      throws Exception {
    return Map.of();
  }

  /** Writes to ClickHouse: one RowBinary insert per call, naming the columns. */
  static TableWriter clickHouse(ClickHouseHttp clickHouse, String database) {
    String db = Sql.identifier(database);
    return new TableWriter() {
      @Override
      public void insert(String table, byte[] bytes, int rows) {
        clickHouse.insertRowBinary(
            db + "." + Sql.identifier(table), Tables.COLUMNS.get(table), bytes);
      }

      @Override
      public void refreshRollups(Map<Rollups.Series, Rollups.StepRange> touched) {
        for (String sql : Rollups.refreshStatements(db, touched)) {
          clickHouse.execute(sql);
        }
      }

      @Override
      public List<Rollups.Row> loadRollups(Collection<Rollups.Series> series) {
        Map<Rollups.Series, Long> maxStep = new HashMap<>();
        for (String sql : Rollups.maxStepQueries(db, series)) {
          clickHouse.queryRowBinary(
              sql,
              in -> {
                while (in.hasMore()) {
                  Rollups.Series s =
                      new Rollups.Series(in.string(), in.string(), in.string(), in.string());
                  maxStep.put(s, in.int64());
                }
              });
        }
        List<Rollups.Row> rows = new ArrayList<>();
        for (String sql : Rollups.bucketQueries(db, maxStep)) {
          clickHouse.queryRowBinary(
              sql,
              in -> {
                while (in.hasMore()) {
                  rows.add(
                      new Rollups.Row(
                          new Rollups.Series(in.string(), in.string(), in.string(), in.string()),
                          Math.toIntExact(in.int64()),
                          in.int64(),
                          in.int64(),
                          in.int64(),
                          in.int64(),
                          in.int64(),
                          in.float64(),
                          in.float64(),
                          in.int64(),
                          in.float64(),
                          in.int64(),
                          in.float64()));
                }
              });
        }
        return rows;
      }

      @Override
      public Map<Rollups.Series, Long> maxStoredSteps(Map<Rollups.Series, Long> from) {
        Map<Rollups.Series, Long> out = new HashMap<>();
        for (String sql : Rollups.maxStoredStepQueries(db, from)) {
          clickHouse.queryRowBinary(
              sql,
              in -> {
                while (in.hasMore()) {
                  out.put(
                      new Rollups.Series(in.string(), in.string(), in.string(), in.string()),
                      in.int64());
                }
              });
        }
        return out;
      }
    };
  }
}
