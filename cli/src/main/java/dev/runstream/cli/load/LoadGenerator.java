package dev.runstream.cli.load;

import dev.runstream.sdk.Run;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Logs steps of M metrics to R runs at a target rate of points per second, paced by deadlines
 * ({@link Pacer}): each thread owns a slice of the runs and, whenever ticks are due, logs one step
 * of each of its runs per tick. One step in {@link LatencyRecorder#sampled} per run is timed.
 *
 * <p>Start with {@link #start}, change the rate with {@link #rate} (0 pauses), stop with {@link
 * #close}. Thread-safe.
 */
public final class LoadGenerator implements AutoCloseable {
  /**
   * Ticks one thread logs before looking at the clock again, so a backlog is caught up in bursts.
   */
  private static final long MAX_BURST_TICKS = 64;

  private final List<Run> runs;
  private final List<String> metricNames;
  private final LatencyRecorder latencies;
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicLong logged = new AtomicLong();
  private volatile Pacer pacer; // null: paused
  private volatile boolean stopped;

  /**
   * @param runs the runs to log to, each logging from step 0
   * @param metrics metrics per step, named m0, m1, ...
   * @param latencies where sampled steps are remembered
   */
  public LoadGenerator(List<Run> runs, int metrics, LatencyRecorder latencies) {
    if (runs.isEmpty() || metrics < 1) {
      throw new IllegalArgumentException("need at least one run and one metric");
    }
    this.runs = List.copyOf(runs);
    List<String> names = new ArrayList<>();
    for (int m = 0; m < metrics; m++) {
      names.add("m" + m);
    }
    this.metricNames = List.copyOf(names);
    this.latencies = latencies;
  }

  /** The name of the metric whose steps the latency is measured on: the first one. */
  public String probeMetric() {
    return metricNames.get(0);
  }

  /** Starts {@code threadCount} logging threads, paused until {@link #rate} sets a rate. */
  public void start(int threadCount) {
    int n = Math.max(1, Math.min(threadCount, runs.size()));
    for (int t = 0; t < n; t++) {
      List<Run> slice = new ArrayList<>();
      for (int r = t; r < runs.size(); r += n) {
        slice.add(runs.get(r));
      }
      Thread thread = new Thread(() -> logLoop(slice), "runstream-load-" + t);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  /** Logs at {@code pointsPerSecond} from now on (deadlines start now); 0 pauses. */
  public void rate(double pointsPerSecond) {
    pacer =
        pointsPerSecond > 0
            ? Pacer.forRate(System.nanoTime(), pointsPerSecond, runs.size(), metricNames.size())
            : null;
  }

  /** Points logged so far, over all runs. */
  public long logged() {
    return logged.get();
  }

  private void logLoop(List<Run> slice) {
    long[] steps = new long[slice.size()];
    // One map per thread, refilled for every step: log() copies the points out before it returns,
    // so a new map (and its nodes) per step was garbage for nothing.
    Map<String, Double> values = new HashMap<>(metricNames.size() * 2);
    Pacer current = null;
    long done = 0;
    while (!stopped) {
      Pacer p = pacer;
      if (p != current) {
        current = p;
        done = 0;
      }
      if (p == null) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // paused: look again soon
        continue;
      }
      long due = p.due(System.nanoTime());
      if (done >= due) {
        // Pacing, not synchronisation: wake at the next deadline (at most 10 ms later, to see a
        // new rate or a stop).
        long wait = Math.min(p.deadline(done) - System.nanoTime(), 10_000_000L);
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        continue;
      }
      long burst = Math.min(due - done, MAX_BURST_TICKS);
      long points = 0;
      for (long tick = 0; tick < burst && !stopped; tick++) {
        for (int i = 0; i < slice.size(); i++) {
          points += logStep(slice.get(i), steps[i]++, values);
        }
      }
      // Once per burst: the threads share the counter.
      logged.addAndGet(points);
      done += burst;
    }
  }

  /** Logs one step of {@code run} through {@code values}; returns the points logged. */
  private int logStep(Run run, long step, Map<String, Double> values) {
    for (int m = 0; m < metricNames.size(); m++) {
      values.put(metricNames.get(m), Math.sin(step * 0.01 + m));
    }
    if (latencies.sampled(step)) {
      long at = System.nanoTime();
      run.log(values, step);
      latencies.logged(run.id(), step, at);
    } else {
      run.log(values, step);
    }
    return values.size();
  }

  /** Stops the logging threads and waits for them; does not finish the runs. Idempotent. */
  @Override
  public void close() {
    stopped = true;
    for (Thread t : threads) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
