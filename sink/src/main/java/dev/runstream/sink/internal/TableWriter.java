package dev.runstream.sink.internal;

import java.util.Map;

/**
 * Where a batch's rows go: the narrow seam between the consumer loop and ClickHouse, so the loop's
 * retry, dead-letter and commit paths are testable with an in-memory writer.
 *
 * <p>Implementations are called from one worker thread.
 */
public interface TableWriter {
  /**
   * Inserts {@code rows} RowBinary-encoded rows into {@code table} (no database prefix). Blocks;
   * throws on failure, which {@link ErrorClassifier} classifies.
   */
  void insert(String table, byte[] rowBinary, int rows) throws Exception;

  /**
   * Recomputes the rollups of {@code touched} after their points were inserted. Blocks; throws on
   * failure. The default does nothing (writers without rollups).
   */
  default void refreshRollups(Map<Rollups.Series, Rollups.StepRange> touched) throws Exception {}

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
    };
  }
}
