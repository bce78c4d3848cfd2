package dev.runstream.sdk;

/** Which aggregate of a metric becomes the run's summary value for it. */
public enum SummaryMode {
  /** The server's default (the last value). */
  DEFAULT,
  MIN,
  MAX,
  MEAN,
  LAST,
  /** The best value according to the metric's {@link Goal}. */
  BEST,
  /** No summary value. */
  NONE
}
