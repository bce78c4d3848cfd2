package dev.runstream.sdk;

import java.util.Map;

/**
 * A live training run. Created by {@link Runstream#init(RunOptions)}; close it (or call {@link
 * #finish()}) when training ends, ideally with try-with-resources.
 *
 * <p>All methods are thread-safe. {@code log} never blocks and never throws: the points are handed
 * to a background sender.
 */
public interface Run extends AutoCloseable {

  /** The run's id, the key of all its records. */
  String id();

  /** The run's display name. */
  String name();

  /** The step the next {@link #log(Map)} without a step will use; starts at 0. */
  long step();

  /**
   * Logs metrics at the current step, then advances the step by one. Values that are not numbers
   * (or names that are blank) are rejected with a warning and counted, never thrown.
   */
  void log(Map<String, ? extends Number> metrics);

  /** Logs metrics at {@code step}; the next automatic step is {@code step + 1}. */
  void log(Map<String, ? extends Number> metrics, long step);

  /** Logs one metric at the current step and advances the step. */
  default void log(String name, double value) {
    log(Map.of(name, value));
  }

  /** What happened to the points logged so far. */
  RunCounters counters();

  /** Finishes the run successfully; same as {@code finish(0)}. */
  default void finish() {
    finish(0);
  }

  /**
   * Marks the run finished with {@code exitCode} (non-zero means failed), sends everything logged
   * and waits for Kafka to acknowledge it, at most the configured finish timeout. Idempotent: only
   * the first call has an effect.
   */
  void finish(int exitCode);

  /** Finishes the run if it was not finished; see {@link #finish()}. */
  @Override
  default void close() {
    finish();
  }
}
