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
 * consumer thread, which touches it only while no task runs. A {@link RollupInsert} touches only
 * its own rows, so it may run on another thread beside the tasks.
 */
final class BatchWriter {
  /** What a task did: done, or must be tried again after a backoff. */
  record Outcome(boolean done, String what, int count, Exception failure) {
    static final Outcome DONE = new Outcome(true, null, 0, null);

    /** Done, but ClickHouse rejected the rows: what the tracker knows is stale. */
    static final Outcome REJECTED = new Outcome(true, "rejected", 0, null);

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
   * The rollups of the written batches, without making the next batch wait for them: when every
   * touched series was folded in memory (a live run's next steps, the common case), their rows are
   * taken from the tracker here, on the writer, and the returned insert writes them; the caller
   * runs it on another thread, so ClickHouse takes the rollups and the next batch at the same time.
   * When some series must be recomputed from the stored points, everything is written here as
   * {@link #writeRollups} does, and null is returned. The caller must not hand over again before
   * the last insert succeeded: the tracker gives each row out once, and a later write of the same
   * buckets must get a newer version.
   */
  RollupInsert handOverRollups() {
    if (!rollups.hasPending() || rollups.hasRecomputations()) {
      Outcome outcome = writeRollups();
      return outcome.done() ? null : new RollupInsert(List.of(), outcome);
    }
    List<Rollups.Row> rows = rollups.takeAppendedRows();
    try {
      // Nothing left to recompute: this only ends the interval's bookkeeping, without I/O.
      rollups.flush(writer);
    } catch (Exception e) {
      throw new IllegalStateException(
          "the rollup bookkeeping did I/O with nothing to recompute", e);
    }
    return new RollupInsert(rows, null);
  }

  /**
   * Rollup rows taken from the tracker and not written yet, or (with {@code failed}) a synchronous
   * rollup write that must be tried again.
   */
  final class RollupInsert {
    private final List<Rollups.Row> rows;
    private final Outcome failed;

    RollupInsert(List<Rollups.Row> rows, Outcome failed) {
      this.rows = rows;
      this.failed = failed;
    }

    /** A synchronous write that failed (nothing to insert here): hold it, like a batch. */
    Outcome failedSynchronously() {
      return failed;
    }

    /** Rows to insert. */
    int rows() {
      return rows.size();
    }

    /**
     * Inserts the rows, with the retries of one write; may run on any thread, one call at a time. A
     * rejected write is counted and logged, and reported done with {@code rejected}: the tracker
     * must then forget its series ({@link RollupTracker#forgetAll()}), on its own thread.
     */
    Outcome insert() {
      long started = System.nanoTime();
      try {
        retry.run("rollup write", () -> writer.insertRollups(rows));
        counters.rollupRefreshes.increment();
        log.debug(
            "{} rollup rows written in {} ms, beside the batches",
            rows.size(),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return Outcome.DONE;
      } catch (Exception e) {
        if (worthRetrying(e)) {
          return Outcome.retry("rollup write", rows.size(), e);
        }
        counters.rollupFailures.increment();
        log.error(
            "ClickHouse rejected {} rollup rows; their curves stay stale until touched again",
            rows.size(),
            e);
        return Outcome.REJECTED;
      }
    }
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
