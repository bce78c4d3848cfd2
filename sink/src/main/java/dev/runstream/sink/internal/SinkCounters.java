package dev.runstream.sink.internal;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
  private final Map<String, LongAdder> rowsWritten = new ConcurrentHashMap<>();

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
