package dev.runstream.query;

import dev.runstream.schemas.MetricGoals;
import dev.runstream.schemas.avro.Goal;
import java.util.Locale;
import java.util.Objects;

/**
 * Which way a metric's "best" value lies: down or up. Decides best values, sorting by best, the
 * leaderboard and the config effect. A goal a run declared ({@code run.defineMetric}, stored with
 * its metric summaries) wins; else the shared rule {@link MetricGoals#infer} decides from the name.
 */
public enum MetricGoal {
  MINIMIZE,
  MAXIMIZE;

  /**
   * The goal of {@code metricName} by {@link MetricGoals#infer}. A name that rule gives no goal
   * ({@code reward}, {@code lr}) is maximised, because a ranking needs a direction; declare a goal
   * for such a metric to be sure.
   */
  public static MetricGoal infer(String metricName) {
    return of(Goal.NONE, metricName);
  }

  /**
   * The goal {@code declared} for {@code metricName} when it has one, else {@link #infer}.
   *
   * @param declared a {@link Goal} as the processor stores it; null or {@link Goal#NONE} for none
   */
  public static MetricGoal of(Goal declared, String metricName) {
    Objects.requireNonNull(metricName, "metricName");
    return MetricGoals.resolve(declared, metricName) == Goal.MINIMIZE ? MINIMIZE : MAXIMIZE;
  }

  /** {@link #of(Goal, String)} with a goal's stored name ({@code MINIMIZE}, {@code NONE}, ...). */
  static MetricGoal of(String declared, String metricName) {
    Goal goal;
    try {
      goal = declared == null ? Goal.NONE : Goal.valueOf(declared.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      goal = Goal.NONE;
    }
    return of(goal, metricName);
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
