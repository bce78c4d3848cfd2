package dev.runstream.cli.load;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns "run r logged step s at time t" and "ClickHouse now holds run r up to step s" into
 * log-to-queryable latencies. Only sampled steps are remembered ({@link #sampled}), so memory stays
 * small at any rate.
 *
 * <p>Steps of a run must be logged in increasing order, as a training loop does; a run's steps then
 * become queryable in order too (one run's records share a partition), so the pending steps of a
 * run form a queue whose head is the next to appear.
 *
 * <p>Thread-safe: each run may log from its own thread while another thread reports what is seen.
 */
public final class LatencyRecorder {
  private final int sampleEvery;
  private final Map<String, ArrayDeque<long[]>> pending;
  private long[] latencies = new long[1024];
  private int count;

  /**
   * @param runIds the runs that will log
   * @param sampleEvery remember one step in this many (step % sampleEvery == 0)
   */
  public LatencyRecorder(Iterable<String> runIds, int sampleEvery) {
    if (sampleEvery < 1) {
      throw new IllegalArgumentException("sampleEvery must be at least 1: " + sampleEvery);
    }
    this.sampleEvery = sampleEvery;
    HashMap<String, ArrayDeque<long[]>> byRun = new HashMap<>();
    for (String id : runIds) {
      byRun.put(id, new ArrayDeque<>());
    }
    this.pending = Map.copyOf(byRun);
  }

  /** Whether {@code step} is one whose latency is measured. */
  public boolean sampled(long step) {
    return step % sampleEvery == 0;
  }

  /**
   * Remembers that {@code runId} logged {@code step} at {@code nanos} ({@link System#nanoTime}).
   */
  public void logged(String runId, long step, long nanos) {
    ArrayDeque<long[]> queue = queue(runId);
    synchronized (queue) {
      queue.addLast(new long[] {step, nanos});
    }
  }

  /**
   * The lowest step still waited for, over all runs, or -1 when none is: what to ask ClickHouse
   * about.
   */
  public long lowestPendingStep() {
    long lowest = -1;
    for (ArrayDeque<long[]> queue : pending.values()) {
      synchronized (queue) {
        long[] head = queue.peekFirst();
        if (head != null && (lowest < 0 || head[0] < lowest)) {
          lowest = head[0];
        }
      }
    }
    return lowest;
  }

  /**
   * Records that ClickHouse holds {@code runId} up to {@code step} at {@code nanos}: every pending
   * sampled step up to it gets its latency.
   *
   * @return how many latencies this added
   */
  public int seen(String runId, long step, long nanos) {
    ArrayDeque<long[]> queue = pending.get(runId);
    if (queue == null) {
      return 0; // not one of ours
    }
    int added = 0;
    synchronized (queue) {
      while (!queue.isEmpty() && queue.peekFirst()[0] <= step) {
        add(Math.max(0, nanos - queue.pollFirst()[1]));
        added++;
      }
    }
    return added;
  }

  /**
   * The latencies measured since the last call, then forgets them: one window (a level of the
   * search). With {@code censorAt} >= 0, steps still pending are counted with the time they have
   * waited until {@code censorAt}, a lower bound, so a pipeline that falls behind shows it in the
   * percentiles instead of hiding the slowest steps; they stay pending.
   */
  public Latencies drain(long censorAt) {
    long[] window;
    synchronized (this) {
      window = Arrays.copyOf(latencies, count);
      count = 0;
    }
    if (censorAt < 0) {
      return Latencies.of(window);
    }
    long[] all = window;
    int n = window.length;
    for (ArrayDeque<long[]> queue : pending.values()) {
      synchronized (queue) {
        for (long[] p : queue) {
          if (n == all.length) {
            all = Arrays.copyOf(all, Math.max(16, all.length * 2));
          }
          all[n++] = Math.max(0, censorAt - p[1]);
        }
      }
    }
    return Latencies.of(Arrays.copyOf(all, n));
  }

  /** The latencies measured since the last {@link #drain}, without forgetting them. */
  public Latencies snapshot() {
    synchronized (this) {
      return Latencies.of(Arrays.copyOf(latencies, count));
    }
  }

  /** Steps logged and sampled but not seen yet, over all runs. */
  public int pendingCount() {
    int n = 0;
    for (ArrayDeque<long[]> queue : pending.values()) {
      synchronized (queue) {
        n += queue.size();
      }
    }
    return n;
  }

  private synchronized void add(long latency) {
    if (count == latencies.length) {
      latencies = Arrays.copyOf(latencies, latencies.length * 2);
    }
    latencies[count++] = latency;
  }

  private ArrayDeque<long[]> queue(String runId) {
    ArrayDeque<long[]> queue = pending.get(runId);
    if (queue == null) {
      throw new IllegalArgumentException("not a run of this recorder: " + runId);
    }
    return queue;
  }
}
