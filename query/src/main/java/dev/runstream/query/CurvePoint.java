package dev.runstream.query;

/**
 * One bucket of a downsampled curve: the deduplicated points of a run between two steps.
 *
 * @param firstStep the lowest step in the bucket
 * @param lastStep the highest step in the bucket
 * @param min the smallest finite value; NaN when the bucket has none
 * @param max the largest finite value; NaN when the bucket has none
 * @param mean the mean of the finite values; NaN when the bucket has none
 * @param points distinct steps in the bucket, non-finite ones included
 * @param finitePoints distinct steps with a finite value
 * @param elapsedMs the time from the run's start to the bucket's earliest point, in milliseconds
 *     (whole seconds: the store keeps a point's time to the second); {@link #NO_TIME} unless times
 *     were asked for ({@link RunQueries#curvesWithTimes})
 */
public record CurvePoint(
    long firstStep,
    long lastStep,
    double min,
    double max,
    double mean,
    long points,
    long finitePoints,
    long elapsedMs) {

  /** {@link #elapsedMs()} of a bucket whose time was not asked for: {@value}. */
  public static final long NO_TIME = -1;

  /** A bucket without its time ({@link #NO_TIME}). */
  public CurvePoint(
      long firstStep,
      long lastStep,
      double min,
      double max,
      double mean,
      long points,
      long finitePoints) {
    this(firstStep, lastStep, min, max, mean, points, finitePoints, NO_TIME);
  }

  /** This bucket with {@code elapsedMs} as its time. */
  public CurvePoint withElapsedMs(long elapsedMs) {
    return new CurvePoint(firstStep, lastStep, min, max, mean, points, finitePoints, elapsedMs);
  }
}
