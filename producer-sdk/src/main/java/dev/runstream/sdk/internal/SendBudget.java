package dev.runstream.sdk.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes handed to a producer and not yet acknowledged, across every run that shares it: a run takes
 * bytes before a send and gets them back with the acknowledgement. A run that finds no room stops
 * its turn and is woken when bytes come back, so the producer's buffer never fills and its {@code
 * send} never blocks a shared sender thread. Thread-safe.
 */
final class SendBudget {
  /** The default for all runs of a producer: below its 64 MiB buffer, even uncompressed. */
  static final long DEFAULT_BYTES = 32L * 1024 * 1024;

  /** The default for one run: so that a run's backlog leaves room to the others. */
  static final long DEFAULT_RUN_BYTES = 4L * 1024 * 1024;

  private final long limit;
  private final long perRun;
  private final AtomicLong used = new AtomicLong();
  private final AtomicLong peak = new AtomicLong();
  private final ConcurrentLinkedQueue<Runnable> waiting = new ConcurrentLinkedQueue<>();

  SendBudget(long limit, long perRun) {
    this.limit = limit;
    this.perRun = perRun;
  }

  static SendBudget defaults() {
    return new SendBudget(DEFAULT_BYTES, DEFAULT_RUN_BYTES);
  }

  long perRun() {
    return perRun;
  }

  long used() {
    return used.get();
  }

  /** The most bytes ever in flight at once. */
  long peak() {
    return peak.get();
  }

  /** Takes {@code bytes} if they fit (a record always fits when nothing is in flight). */
  boolean tryTake(long bytes) {
    while (true) {
      long u = used.get();
      if (u > 0 && u + bytes > limit) {
        return false;
      }
      if (used.compareAndSet(u, u + bytes)) {
        peak.accumulateAndGet(u + bytes, Math::max);
        return true;
      }
    }
  }

  void release(long bytes) {
    used.addAndGet(-bytes);
    Runnable r;
    while ((r = waiting.poll()) != null) {
      r.run();
    }
  }

  /** Runs {@code wake} once bytes came back (at once if some did since {@link #tryTake} failed). */
  void whenFreed(Runnable wake, long bytes) {
    waiting.add(wake);
    if (used.get() == 0 || used.get() + bytes <= limit) {
      if (waiting.remove(wake)) {
        wake.run();
      }
    }
  }
}
