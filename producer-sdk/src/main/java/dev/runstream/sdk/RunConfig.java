package dev.runstream.sdk;

import java.util.Map;

/**
 * The hyperparameters of a run, W&B's {@code run.config}. Every change publishes the whole config.
 *
 * <p>Thread-safe.
 */
public interface RunConfig {

  /** Sets one value (numbers, strings, booleans, lists or nested maps). */
  RunConfig set(String key, Object value);

  /** Sets every entry of {@code values}, keeping the others. */
  RunConfig update(Map<String, ?> values);

  /** A snapshot of the config, in insertion order. */
  Map<String, Object> asMap();
}
