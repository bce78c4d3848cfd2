package dev.runstream.sink.internal;

/**
 * Where a batch's rows go: the narrow seam between the consumer loop and ClickHouse, so the loop's
 * retry, dead-letter and commit paths are testable with an in-memory writer.
 *
 * <p>Implementations are called from one worker thread.
 */
@FunctionalInterface
public interface TableWriter {
  /**
   * Inserts {@code rows} RowBinary-encoded rows into {@code table} (no database prefix). Blocks;
   * throws on failure, which {@link ErrorClassifier} classifies.
   */
  void insert(String table, byte[] rowBinary, int rows) throws Exception;

  /** Writes to ClickHouse: one RowBinary insert per call. */
  static TableWriter clickHouse(ClickHouseHttp clickHouse, String database) {
    String db = Sql.identifier(database);
    return (table, bytes, rows) ->
        clickHouse.insertRowBinary(db + "." + Sql.identifier(table), bytes);
  }
}
