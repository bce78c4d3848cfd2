package dev.runstream.sdk;

/**
 * What {@link Runstream#init} does when the run id was used before; W&B's {@code resume}. A run
 * exists when its run directory {@code <directory>/run-<id>} does or, online, when Kafka holds
 * records of it (see {@link RunOptions.Builder#resumeLookupTimeout}).
 */
public enum Resume {
  /** The id must be new: a run directory or records in Kafka for it fail {@code init}. Default. */
  NEVER,
  /** Continue the run if it exists, else start it; when Kafka cannot be asked, warn and go on. */
  ALLOW,
  /**
   * Continue the run; {@code init} fails when it does not exist, or when, online, Kafka cannot be
   * asked where it left off.
   */
  MUST
}
