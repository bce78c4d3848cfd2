package dev.runstream.sink.internal;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Live counters of one sink; written by its worker, read from any thread. */
public final class SinkCounters {
  public final LongAdder recordsRead = new LongAdder();
  public final LongAdder deadLettered = new LongAdder();
  public final LongAdder batches = new LongAdder();
  public final LongAdder retries = new LongAdder();
  public final LongAdder failedFlushes = new LongAdder();
  public final LongAdder rollupRefreshes = new LongAdder();
  public final LongAdder rollupFailures = new LongAdder();
  public final LongAdder rollupAppendedPoints = new LongAdder();
  public final LongAdder rollupRecomputedSeries = new LongAdder();
  private final Map<String, LongAdder> rowsWritten = new ConcurrentHashMap<>();
  private final AtomicLong bufferedRows = new AtomicLong();
  private final AtomicLong maxBufferedRows = new AtomicLong();

  /** Records the rows buffered now (worker thread only) and the high-water mark. */
  public void buffered(long rows) {
    bufferedRows.set(rows);
    maxBufferedRows.accumulateAndGet(rows, Math::max);
  }

  public long bufferedRows() {
    return bufferedRows.get();
  }

  public long maxBufferedRows() {
    return maxBufferedRows.get();
  }

  public void rowsWritten(String table, long rows) {
    rowsWritten.computeIfAbsent(table, t -> new LongAdder()).add(rows);
  }

  /** Rows written per table so far, by table name. */
  public Map<String, Long> rowsWritten() {
    Map<String, Long> out = new TreeMap<>();
    rowsWritten.forEach((table, adder) -> out.put(table, adder.sum()));
    return out;
  }
}
