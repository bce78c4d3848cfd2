package dev.runstream.sdk;

import java.util.Map;

/**
 * Final values of a run set by the program, W&B's {@code run.summary}: they take precedence over
 * the aggregates computed from logged metrics. Every change publishes the whole summary.
 *
 * <p>Thread-safe.
 */
public interface RunSummary {

  /** Sets one value (numbers, strings, booleans, lists or nested maps). */
  RunSummary set(String key, Object value);

  /** Sets every entry of {@code values}, keeping the others. */
  RunSummary update(Map<String, ?> values);

  /** A snapshot of the summary, in insertion order. */
  Map<String, Object> asMap();
}
