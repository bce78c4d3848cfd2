package dev.runstream.cli.load;

import java.util.OptionalDouble;

/**
 * The search for the highest sustainable rate: doubles the rate while levels are sustained, then
 * bisects between the highest sustained and the lowest failed rate until they are within a
 * precision of each other. When the first level already fails, it halves the rate until one is
 * sustained or the rate falls under a floor. Pure: the caller runs each level and reports it.
 *
 * <p>Not thread-safe.
 */
public final class RateSearch {
  /** Relative width of the final interval: stop when (failed - sustained) / sustained is under. */
  public static final double DEFAULT_PRECISION = 0.1;

  private final double start;
  private final double floor;
  private final double precision;
  private final int maxLevels;
  private double sustained; // highest sustained rate, 0 when none
  private double failed = Double.POSITIVE_INFINITY; // lowest failed rate
  private int levels;

  /**
   * @param start the first rate to try, points per second
   * @param floor the lowest rate worth trying; under it the search gives up
   * @param precision stop when the interval is narrower than this share of the sustained rate
   * @param maxLevels stop after this many levels, whatever the interval
   */
  public RateSearch(double start, double floor, double precision, int maxLevels) {
    if (!(start > 0) || !(floor > 0) || floor > start) {
      throw new IllegalArgumentException(
          "need 0 < floor <= start: start " + start + ", floor " + floor);
    }
    if (!(precision > 0)) {
      throw new IllegalArgumentException("precision must be positive: " + precision);
    }
    if (maxLevels < 1) {
      throw new IllegalArgumentException("maxLevels must be at least 1: " + maxLevels);
    }
    this.start = start;
    this.floor = floor;
    this.precision = precision;
    this.maxLevels = maxLevels;
  }

  /** The next rate to try, rounded to whole points per second, or empty when the search is done. */
  public OptionalDouble next() {
    if (levels >= maxLevels) {
      return OptionalDouble.empty();
    }
    if (levels == 0) {
      return OptionalDouble.of(Math.round(start));
    }
    if (failed == Double.POSITIVE_INFINITY) {
      return OptionalDouble.of(Math.round(sustained * 2));
    }
    if (sustained == 0) {
      double lower = Math.round(failed / 2);
      return lower < floor ? OptionalDouble.empty() : OptionalDouble.of(lower);
    }
    if ((failed - sustained) / sustained <= precision) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(Math.round((sustained + failed) / 2));
  }

  /** Reports how a level at {@code rate} went. */
  public void record(double rate, boolean wasSustained) {
    levels++;
    if (wasSustained) {
      sustained = Math.max(sustained, rate);
    } else {
      failed = Math.min(failed, rate);
    }
  }

  /** The highest rate sustained so far, or empty when none was. */
  public OptionalDouble best() {
    return sustained > 0 ? OptionalDouble.of(sustained) : OptionalDouble.empty();
  }
}
