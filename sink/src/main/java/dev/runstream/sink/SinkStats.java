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
 * @param rollupRefreshes successful writes of the downsampled curves, each after the inserts of one
 *     rollup interval
 * @param rollupFailures rollup writes ClickHouse rejected (not retryable); should stay 0
 * @param bufferedRows rows decoded and not yet written, now
 * @param maxBufferedRows the most rows ever buffered at once: at most about twice {@link
 *     SinkConfig#batchMaxRows()} (one batch being written, one being filled), because the consumer
 *     pauses instead of buffering while ClickHouse is slow or down
 * @param rollupAppendedPoints points folded into the curves in memory: a run's next steps, the
 *     common case
 * @param rollupRecomputedSeries series whose curves were recomputed from the stored points instead:
 *     after a start or a rebalance, a replayed batch, a second sync, a step logged again
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
    long maxBufferedRows,
    long rollupAppendedPoints,
    long rollupRecomputedSeries) {
  public SinkStats {
    rowsWritten = Map.copyOf(rowsWritten);
  }

  /** The snapshot without the rollup path counters (as before they existed): both 0. */
  public SinkStats(
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
    this(
        recordsRead,
        rowsWritten,
        deadLettered,
        batches,
        retries,
        failedFlushes,
        rollupRefreshes,
        rollupFailures,
        bufferedRows,
        maxBufferedRows,
        0,
        0);
  }

  /** Rows written to {@code table}, 0 if none. */
  public long rowsWritten(String table) {
    return rowsWritten.getOrDefault(table, 0L);
  }
}
