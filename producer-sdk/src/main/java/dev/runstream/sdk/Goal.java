package dev.runstream.sdk;

/** Whether a lower or a higher value of a metric is better. */
public enum Goal {
  /** No direction. */
  NONE,
  /** Lower is better, as for a loss. */
  MINIMIZE,
  /** Higher is better, as for an accuracy. */
  MAXIMIZE
}
