package dev.runstream.sdk.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;

/**
 * A run's step counter and the points gathered for its current step with {@code commit=false}
 * (W&B's semantics): gathered points wait until the next committing {@code log}, which either
 * merges them into its own batch (its values win) or, with an explicit step, sends them first at
 * the current step.
 *
 * <p>Thread-safe. {@link #advance()} and {@link #hasUncommitted()} take no lock and allocate
 * nothing: they are on the path of every {@code log()}; the rest runs only when points were
 * gathered.
 */
final class Steps {
  /** Points for one step, ready to offer. */
  record Batch(long step, String[] names, double[] values) {}

  private final AtomicLong next;
  private final Object lock = new Object();
  private final Map<String, Double> uncommitted = new LinkedHashMap<>(); // guarded by lock
  private volatile boolean hasUncommitted;

  /** A counter whose first step is {@code first}. */
  Steps(long first) {
    this.next = new AtomicLong(first);
  }

  /** The step the next committing {@code log} without an explicit step gets. */
  long next() {
    return next.get();
  }

  /** The step last taken, or one below the first step when none was. */
  long last() {
    return next.get() - 1;
  }

  /** Takes the next step. */
  long advance() {
    return next.getAndIncrement();
  }

  /** Moves the counter past {@code step}, a step the program gave; it never goes back. */
  void reach(long step) {
    next.accumulateAndGet(step + 1, Math::max);
  }

  /** Whether points gathered with {@code commit=false} wait for the next committing log. */
  boolean hasUncommitted() {
    return hasUncommitted;
  }

  /**
   * Gathers the points of {@code metrics} that {@code valid} accepts into the current step; a name
   * given twice keeps its later value.
   */
  void gather(Map<String, ?> metrics, BiPredicate<String, Object> valid) {
    synchronized (lock) {
      for (Map.Entry<String, ?> e : metrics.entrySet()) {
        String key = e.getKey();
        Object value = e.getValue();
        if (valid.test(key, value)) {
          uncommitted.put(key, ((Number) value).doubleValue());
        }
      }
      hasUncommitted = !uncommitted.isEmpty();
    }
  }

  /** The gathered points at the next step, which is taken; null when none were gathered. */
  Batch commit() {
    synchronized (lock) {
      if (uncommitted.isEmpty()) {
        return null;
      }
      Batch batch = new Batch(next.getAndIncrement(), namesOf(uncommitted), valuesOf(uncommitted));
      uncommitted.clear();
      hasUncommitted = false;
      return batch;
    }
  }

  /**
   * The gathered points with {@code names} and {@code values} over them (values given now win over
   * values gathered earlier), at the next step, which is taken.
   */
  Batch commitWith(String[] names, double[] values) {
    synchronized (lock) {
      Map<String, Double> merged = new LinkedHashMap<>(uncommitted);
      for (int i = 0; i < names.length; i++) {
        merged.put(names[i], values[i]);
      }
      uncommitted.clear();
      hasUncommitted = false;
      return new Batch(next.getAndIncrement(), namesOf(merged), valuesOf(merged));
    }
  }

  private static String[] namesOf(Map<String, Double> points) {
    return points.keySet().toArray(new String[0]);
  }

  private static double[] valuesOf(Map<String, Double> points) {
    double[] values = new double[points.size()];
    int i = 0;
    for (double v : points.values()) {
      values[i++] = v;
    }
    return values;
  }
}
