package dev.runstream.sink.internal;

import dev.runstream.query.internal.Tables;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer thread's job in {@link SinkWorker}: inserts a batch's rows table by table, keeps the
 * {@link RollupTracker} up to date with what was inserted, writes the rollups, and dead-letters the
 * records of rows ClickHouse rejects. It decides nothing about offsets or pausing: it says what it
 * did ({@link Outcome}), and the consumer thread acts on that.
 *
 * <p>Not thread-safe: one task at a time, on the writer thread. The tracker is shared with the
 * consumer thread, which touches it only while no task runs.
 */
final class BatchWriter {
  /** What a task did: done, or must be tried again after a backoff. */
  record Outcome(boolean done, String what, int count, Exception failure) {
    static final Outcome DONE = new Outcome(true, null, 0, null);

    static Outcome retry(String what, int count, Exception failure) {
      return new Outcome(false, what, count, failure);
    }
  }

  private static final Logger log = LoggerFactory.getLogger(BatchWriter.class);

  private final TableWriter writer;
  private final RollupTracker rollups;
  private final Retry retry;
  private final DeadLetters deadLetters;
  private final SinkCounters counters;

  BatchWriter(
      TableWriter writer,
      RollupTracker rollups,
      Retry retry,
      DeadLetters deadLetters,
      SinkCounters counters) {
    this.writer = Objects.requireNonNull(writer, "writer");
    this.rollups = Objects.requireNonNull(rollups, "rollups");
    this.retry = Objects.requireNonNull(retry, "retry");
    this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
    this.counters = Objects.requireNonNull(counters, "counters");
  }

  /** Writes every table of {@code b} not written yet; runs on the writer. */
  Outcome write(RowBatch b) {
    long started = System.nanoTime();
    int rowsInBatch = b.rows();
    for (String table : List.copyOf(b.pendingTables().keySet())) {
      RowBatch.TableRows rows = b.pendingTables().get(table);
      // Only the curves of metrics are rolled up; system metrics are read raw, per run.
      boolean rolledUp = table.equals(Tables.METRICS);
      try {
        if (!rows.inserted()) {
          if (rolledUp && !rows.points().isEmpty()) {
            rollups.prepare(rows.points(), writer);
          }
          byte[] bytes = rows.bytes();
          retry.run("insert into " + table, () -> writer.insert(table, bytes, rows.rows()));
          counters.rowsWritten(table, rows.rows());
          rows.markInserted();
          if (rolledUp) {
            rollups.add(rows.points());
          }
        }
      } catch (Exception e) {
        if (worthRetrying(e)) {
          return Outcome.retry("insert into " + table, rows.rows(), e);
        }
        log.error("ClickHouse rejected the rows of {}; dead-lettering their records", table, e);
        if (!deadLetters.send(
            rows.sources(),
            "ClickHouse rejected insert into " + table + ": " + ErrorClassifier.reason(e))) {
          return Outcome.retry("dead-letter of rows rejected by " + table, rows.rows(), e);
        }
      }
      b.markWritten(table);
    }
    log.debug(
        "batch of {} rows inserted in {} ms",
        rowsInBatch,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    return Outcome.DONE;
  }

  /**
   * Writes the rollups of the written batches ({@link RollupTracker}); runs on the writer. The rows
   * are already in, so a retryable failure holds the offsets (uncommitted, consumer paused) and
   * only the rollups are tried again; a crash before they are written replays the batches, whose
   * rollups are then recomputed from the stored points. A rejected write (a bug, not the data) is
   * logged and counted rather than dead-lettering stored records.
   */
  Outcome writeRollups() {
    if (!rollups.hasPending()) {
      return Outcome.DONE;
    }
    int series = rollups.pendingSeries();
    long started = System.nanoTime();
    long recomputedBefore = rollups.recomputedSeries();
    try {
      retry.run("rollup write", () -> rollups.flush(writer));
      counters.rollupRefreshes.increment();
      log.debug(
          "rollups of {} series written in {} ms ({} recomputed from stored points)",
          series,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
          rollups.recomputedSeries() - recomputedBefore);
    } catch (Exception e) {
      if (worthRetrying(e)) {
        return Outcome.retry("rollup write", series, e);
      }
      counters.rollupFailures.increment();
      log.error(
          "ClickHouse rejected the rollups of {} series; their curves stay stale until touched"
              + " again",
          series,
          e);
      rollups.forgetAll();
    }
    return Outcome.DONE;
  }

  /**
   * Whether a write that failed with {@code e} may succeed later unchanged. An interrupted writer
   * (the sink is closing) counts as such: its rows are read again, never dead-lettered.
   */
  private static boolean worthRetrying(Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    return ErrorClassifier.classify(e) == ErrorClassifier.Action.RETRY
        || Thread.currentThread().isInterrupted();
  }
}
