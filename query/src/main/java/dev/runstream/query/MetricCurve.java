package dev.runstream.query;

import java.util.List;

/**
 * A run's curve of one metric, downsampled.
 *
 * @param runId the run
 * @param metric the metric
 * @param bucketWidth steps per bucket, the same for every run of one query
 * @param points the buckets that hold points, by ascending step
 */
public record MetricCurve(String runId, String metric, long bucketWidth, List<CurvePoint> points) {
  public MetricCurve {
    points = List.copyOf(points);
  }
}
