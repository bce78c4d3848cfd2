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
 */
public record SinkStats(
    long recordsRead,
    Map<String, Long> rowsWritten,
    long deadLettered,
    long batches,
    long retries,
    long failedFlushes,
    long rollupRefreshes,
    long rollupFailures) {
  public SinkStats {
    rowsWritten = Map.copyOf(rowsWritten);
  }

  /** Rows written to {@code table}, 0 if none. */
  public long rowsWritten(String table) {
    return rowsWritten.getOrDefault(table, 0L);
  }
}
