package dev.runstream.sdk;

/** How urgent a {@link Run#alert} is; W&B's {@code AlertLevel}. */
public enum AlertLevel {
  INFO,
  WARN,
  ERROR
}
