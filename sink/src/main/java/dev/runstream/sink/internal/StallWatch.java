package dev.runstream.sink.internal;

import dev.runstream.query.internal.Tables;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a ClickHouse that stops answering. Wraps the {@link TableWriter}: a stall starts when a
 * write begins while none is stalled, and lasts until a write is answered (it succeeds, or
 * ClickHouse rejects the data); a failure that {@link ErrorClassifier} would retry (a timeout, a
 * refused connection, an overloaded server) does not end it, so the retries and backoffs of one
 * held batch count as one stall. {@link #check()} reports a stall once it is older than the
 * threshold, and the first answer after that reports the recovery: one warning, one recovery,
 * however long it lasts.
 *
 * <p>The writes run on the writer thread and may block there for as long as ClickHouse is frozen,
 * so {@link #check()} is called by another thread (the consumer loop, every turn). Thread-safe.
 */
public final class StallWatch implements TableWriter {
  /** What the watch reports; {@link #logging(String)} logs it. Called with no lock held. */
  public interface Listener {
    /** Writes into {@code table} have not been answered for {@code waiting}. */
    void stalled(String table, Duration waiting);

    /** Writes into {@code table} are answered again, after a stall of {@code stalled}. */
    void recovered(String table, Duration stalled);
  }

  /** How long a write may go unanswered before it is reported, unless set: 10 seconds. */
  public static final Duration DEFAULT_THRESHOLD = Duration.ofSeconds(10);

  private static final Logger log = LoggerFactory.getLogger(StallWatch.class);
  private static final long NONE = Long.MIN_VALUE;

  private final TableWriter delegate;
  private final long thresholdNanos;
  private final LongSupplier nanoTime;
  private final Listener listener;

  // Guarded by this.
  private long stalledSince = NONE;
  private String table;
  private boolean reported;

  /**
   * @param threshold how long a write may go unanswered before {@link #check()} reports it;
   *     positive
   * @param nanoTime the clock, {@link System#nanoTime()} outside tests
   */
  public StallWatch(
      TableWriter delegate, Duration threshold, LongSupplier nanoTime, Listener listener) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    Objects.requireNonNull(threshold, "threshold");
    if (threshold.isNegative() || threshold.isZero()) {
      throw new IllegalArgumentException("threshold must be positive: " + threshold);
    }
    this.thresholdNanos = threshold.toNanos();
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** A listener that logs a WARN on a stall and an INFO on recovery, naming {@code clickHouse}. */
  public static Listener logging(String clickHouse) {
    Objects.requireNonNull(clickHouse, "clickHouse");
    return new Listener() {
      @Override
      public void stalled(String table, Duration waiting) {
        log.warn(
            "ClickHouse at {} stalls: writes into {} have not been answered for {} ms; the sink"
                + " keeps the rows and retries, and will say when ClickHouse answers again",
            clickHouse,
            table,
            waiting.toMillis());
      }

      @Override
      public void recovered(String table, Duration stalled) {
        log.info(
            "ClickHouse at {} answers again: writes into {} were stalled for {} ms",
            clickHouse,
            table,
            stalled.toMillis());
      }
    };
  }

  /**
   * Reports the stall if one has lasted the threshold and is not reported yet. Does not block on
   * the writes; call it from any thread, as often as convenient.
   */
  public void check() {
    String stalledTable;
    long waiting;
    synchronized (this) {
      if (stalledSince == NONE || reported) {
        return;
      }
      waiting = nanoTime.getAsLong() - stalledSince;
      if (waiting < thresholdNanos) {
        return;
      }
      reported = true;
      stalledTable = table;
    }
    listener.stalled(stalledTable, Duration.ofNanos(waiting));
  }

  /** Whether a write is unanswered (for any time, reported or not). */
  public synchronized boolean stalling() {
    return stalledSince != NONE;
  }

  @Override
  public void insert(String table, byte[] rowBinary, int rows) throws Exception {
    watch(
        table,
        () -> {
          delegate.insert(table, rowBinary, rows);
          return null;
        });
  }

  @Override
  public void insertRollups(List<Rollups.Row> rows) throws Exception {
    watch(
        Tables.METRIC_ROLLUPS,
        () -> {
          delegate.insertRollups(rows);
          return null;
        });
  }

  @Override
  public void refreshRollups(Map<Rollups.Series, Rollups.StepRange> touched) throws Exception {
    watch(
        Tables.METRIC_ROLLUPS,
        () -> {
          delegate.refreshRollups(touched);
          return null;
        });
  }

  @Override
  public List<Rollups.Row> loadRollups(Collection<Rollups.Series> series) throws Exception {
    return watch(Tables.METRIC_ROLLUPS, () -> delegate.loadRollups(series));
  }

  @Override
  public Map<Rollups.Series, Long> maxStoredSteps(Map<Rollups.Series, Long> from) throws Exception {
    return watch(Tables.METRICS, () -> delegate.maxStoredSteps(from));
  }

  private <T> T watch(String table, Callable<T> write) throws Exception {
    synchronized (this) {
      if (stalledSince == NONE) {
        stalledSince = nanoTime.getAsLong();
      }
      this.table = table;
    }
    T result;
    try {
      result = write.call();
    } catch (Exception e) {
      if (ErrorClassifier.classify(e) == ErrorClassifier.Action.DEAD_LETTER
          && !(e instanceof InterruptedException)) {
        answered(); // ClickHouse answered; the data was the problem
      }
      throw e;
    }
    answered();
    return result;
  }

  private void answered() {
    String stalledTable;
    long stalled;
    synchronized (this) {
      boolean wasReported = reported;
      stalled = nanoTime.getAsLong() - stalledSince;
      stalledTable = table;
      stalledSince = NONE;
      reported = false;
      if (!wasReported) {
        return;
      }
    }
    listener.recovered(stalledTable, Duration.ofNanos(Math.max(0, stalled)));
  }
}
