package dev.runstream.sink;

import java.util.Map;

/**
 * A snapshot of a sink's counters since it started.
 *
 * @param recordsRead records consumed and handled (stored, skipped as tombstones or dead-lettered)
 * @param rowsWritten rows written per ClickHouse table, by table name
 * @param deadLettered records sent to the dead-letter topic
 * @param batches batches written and committed
 * @param retries attempts that failed with a retryable error and were tried again
 * @param failedFlushes batches held back because ClickHouse stayed unavailable after every attempt
 * @param rollupRefreshes successful recomputations of the downsampled curves after an insert
 * @param rollupFailures rollup recomputations ClickHouse rejected (not retryable); should stay 0
 * @param bufferedRows rows decoded and not yet written, now
 * @param maxBufferedRows the most rows ever buffered at once: stays near {@link
 *     SinkConfig#batchMaxRows()} because the consumer pauses instead of buffering while ClickHouse
 *     is down
 */
public record SinkStats(
    long recordsRead,
    Map<String, Long> rowsWritten,
    long deadLettered,
    long batches,
    long retries,
    long failedFlushes,
    long rollupRefreshes,
    long rollupFailures,
    long bufferedRows,
    long maxBufferedRows) {
  public SinkStats {
    rowsWritten = Map.copyOf(rowsWritten);
  }

  /** Rows written to {@code table}, 0 if none. */
  public long rowsWritten(String table) {
    return rowsWritten.getOrDefault(table, 0L);
  }
}
