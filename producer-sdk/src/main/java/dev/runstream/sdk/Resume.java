package dev.runstream.sdk;

/** What {@link Runstream#init} does when the run id was used before; W&B's {@code resume}. */
public enum Resume {
  /** The id must be new: a run directory for it makes {@code init} fail. The default. */
  NEVER,
  /** Continue the run if it exists, else start it. */
  ALLOW,
  /** Continue the run; {@code init} fails when it does not exist. */
  MUST
}
