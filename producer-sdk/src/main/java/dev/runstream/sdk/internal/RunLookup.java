package dev.runstream.sdk.internal;

/** Finds what Kafka holds of a run; {@link KafkaRunLookup} is the real one. */
interface RunLookup {
  /**
   * Looks {@code runId} up. Never throws for an unreachable or slow Kafka: that is an outcome.
   *
   * @param wantName whether the run's display name is wanted (it may need reading further back)
   */
  RunHistory find(String runId, BackwardScan.Goal goal, boolean wantName);
}
