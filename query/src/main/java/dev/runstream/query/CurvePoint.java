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
 */
public record CurvePoint(
    long firstStep,
    long lastStep,
    double min,
    double max,
    double mean,
    long points,
    long finitePoints) {}
