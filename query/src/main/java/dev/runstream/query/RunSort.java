package dev.runstream.query;

import java.util.Objects;

/**
 * The order of a {@link RunQueries#runs(RunFilter)} page. Ties are broken by run id, so paging is
 * stable. Runs without the sorted metric come last in either direction.
 *
 * @param by what to sort on
 * @param metric the metric for {@link By#BEST} and {@link By#FINAL}; null otherwise
 * @param descending whether larger values come first
 */
public record RunSort(By by, String metric, boolean descending) {
  /** What a page is sorted on. */
  public enum By {
    /** When the run started. */
    STARTED,
    /** The display name. */
    NAME,
    /** The best finite value of a metric, by its goal. */
    BEST,
    /** The value at a metric's highest step. */
    FINAL,
    /** How long the run ran ({@link RunRecord#duration}): until now for running runs. */
    DURATION
  }

  public RunSort {
    Objects.requireNonNull(by, "by");
    if ((by == By.BEST || by == By.FINAL) != (metric != null)) {
      throw new IllegalArgumentException("a metric is required for BEST and FINAL, and only there");
    }
  }

  /** Newest first: the default. */
  public static RunSort newestFirst() {
    return new RunSort(By.STARTED, null, true);
  }

  /** By start time; {@code descending} for newest first. */
  public static RunSort started(boolean descending) {
    return new RunSort(By.STARTED, null, descending);
  }

  /** By display name; {@code descending} for Z to A. */
  public static RunSort name(boolean descending) {
    return new RunSort(By.NAME, null, descending);
  }

  /** By how long the run ran ({@link RunRecord#duration}); {@code descending} for longest first. */
  public static RunSort duration(boolean descending) {
    return new RunSort(By.DURATION, null, descending);
  }

  /** Best value first: ascending for a metric to minimise, descending for one to maximise. */
  public static RunSort best(String metric, MetricGoal goal) {
    return new RunSort(By.BEST, metric, goal == MetricGoal.MAXIMIZE);
  }

  /** By the value at {@code metric}'s highest step; {@code descending} for largest first. */
  public static RunSort finalValue(String metric, boolean descending) {
    return new RunSort(By.FINAL, metric, descending);
  }
}
