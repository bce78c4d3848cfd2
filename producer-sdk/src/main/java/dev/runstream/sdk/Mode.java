package dev.runstream.sdk;

/** Where a run's records go; W&B's {@code mode}. */
public enum Mode {
  /**
   * Records go to Kafka and to the run directory; when Kafka is unreachable they wait on disk and
   * are replayed when it is back. The default.
   */
  ONLINE,
  /** Records go only to the run directory; upload them later with {@link Runstream#sync}. */
  OFFLINE,
  /** Nothing is written or sent; every call is accepted and ignored (for tests and dry runs). */
  DISABLED
}
