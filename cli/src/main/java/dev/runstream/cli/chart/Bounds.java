package dev.runstream.cli.chart;

import java.util.Arrays;
import java.util.List;

/** The step and value ranges a chart shows. */
record Bounds(long minStep, long maxStep, double minValue, double maxValue) {
  /** Below this many finite values every value is shown: too few to call any an outlier. */
  private static final int MIN_VALUES_FOR_OUTLIERS = 20;

  /** The ranges that fit every finite point of {@code series}. */
  static Bounds of(List<Series> series) {
    return of(series, false);
  }

  /**
   * The ranges of {@code series}. With {@code ignoreOutliers}, the value range ends where the
   * values stop being plausible, as TensorBoard's "ignore outliers in chart scaling" does: values
   * more than the 5th-to-95th-percentile spread beyond those percentiles are left off the chart, so
   * one diverging run does not flatten every other curve into a line along the bottom. The step
   * range always covers every finite point.
   */
  static Bounds of(List<Series> series, boolean ignoreOutliers) {
    long minStep = Long.MAX_VALUE;
    long maxStep = Long.MIN_VALUE;
    int count = 0;
    for (Series s : series) {
      for (var point : s.points().entrySet()) {
        if (Double.isFinite(point.getValue())) {
          minStep = Math.min(minStep, point.getKey());
          maxStep = Math.max(maxStep, point.getKey());
          count++;
        }
      }
    }
    if (count == 0) {
      return new Bounds(0, 1, 0, 1);
    }
    double[] values = new double[count];
    int i = 0;
    for (Series s : series) {
      for (double v : s.points().values()) {
        if (Double.isFinite(v)) {
          values[i++] = v;
        }
      }
    }
    Arrays.sort(values);
    double low = Double.NEGATIVE_INFINITY;
    double high = Double.POSITIVE_INFINITY;
    if (ignoreOutliers && count >= MIN_VALUES_FOR_OUTLIERS) {
      double p05 = values[(int) Math.floor(0.05 * (count - 1))];
      double p95 = values[(int) Math.ceil(0.95 * (count - 1))];
      double spread = p95 - p05;
      if (spread > 0) {
        low = p05 - spread;
        high = p95 + spread;
      }
    }
    double minValue = Double.POSITIVE_INFINITY;
    double maxValue = Double.NEGATIVE_INFINITY;
    for (double v : values) {
      if (v >= low && v <= high) {
        minValue = Math.min(minValue, v);
        maxValue = Math.max(maxValue, v);
      }
    }
    if (minStep == maxStep) {
      maxStep = minStep + 1;
    }
    if (minValue == maxValue) {
      double pad = minValue == 0 ? 1 : Math.abs(minValue) * 0.1;
      minValue -= pad;
      maxValue += pad;
    }
    return new Bounds(minStep, maxStep, minValue, maxValue);
  }

  /** {@code step}'s position between 0 and 1 along the step axis. */
  double x(long step) {
    return (double) (step - minStep) / (maxStep - minStep);
  }

  /**
   * {@code value}'s position along the value axis: 0 at the bottom, 1 at the top, outside that
   * range for values off the chart (clamped to within 10 chart heights, so a line towards 1e30
   * still has a drawable slope).
   */
  double y(double value) {
    double y = (value - minValue) / (maxValue - minValue);
    return Math.max(-10, Math.min(11, y));
  }

  /** Whether {@code value} is finite and shown, not off the chart. */
  boolean contains(double value) {
    return Double.isFinite(value) && value >= minValue && value <= maxValue;
  }
}
