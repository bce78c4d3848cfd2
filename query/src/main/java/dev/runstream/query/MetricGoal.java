package dev.runstream.query;

import java.util.Locale;
import java.util.Objects;

/** Whether a metric gets better by going down or up; decides a run's "best" value. */
public enum MetricGoal {
  MINIMIZE,
  MAXIMIZE;

  /**
   * Infers the goal from the metric's name: {@link #MINIMIZE} when it contains "loss" or "error"
   * (case-insensitive: {@code val/loss}, {@code train_error_rate}), {@link #MAXIMIZE} otherwise
   * ({@code accuracy}, {@code f1}, {@code reward}).
   */
  public static MetricGoal infer(String metricName) {
    String name = Objects.requireNonNull(metricName, "metricName").toLowerCase(Locale.ROOT);
    return name.contains("loss") || name.contains("error") ? MINIMIZE : MAXIMIZE;
  }

  /** The better of two values under this goal; a NaN loses to any number. */
  public double better(double a, double b) {
    if (Double.isNaN(a)) {
      return b;
    }
    if (Double.isNaN(b)) {
      return a;
    }
    return this == MINIMIZE ? Math.min(a, b) : Math.max(a, b);
  }
}
