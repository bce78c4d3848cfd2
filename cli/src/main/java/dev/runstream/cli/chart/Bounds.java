package dev.runstream.cli.chart;

import java.util.ArrayList;
import java.util.List;

/** The step and value ranges a chart shows. */
record Bounds(long minStep, long maxStep, double minValue, double maxValue) {
  /** A run is off the chart when it reaches this many times the others' range beyond them. */
  private static final double OUTLIER_RANGES = 3;

  /** How far past the others a chart with runs off it ends, in the others' range. */
  private static final double HEADROOM = 0.5;

  /** The ranges that fit every finite point of {@code series}. */
  static Bounds of(List<Series> series) {
    return of(series, false);
  }

  /**
   * The ranges of {@code series}. With {@code ignoreOutliers}, a few series (at most a fifth of
   * them, at least one) that reach more than three times the others' value range beyond it, as a
   * diverging loss does, are left to run off the chart, which then ends half that range past the
   * others: one run blowing up to 1e4 does not flatten every other curve into a line along the
   * bottom. Otherwise, and always for the step range, every finite point fits.
   */
  static Bounds of(List<Series> series, boolean ignoreOutliers) {
    long minStep = Long.MAX_VALUE;
    long maxStep = Long.MIN_VALUE;
    List<double[]> ranges = new ArrayList<>(); // min and max of each series with a finite value
    for (Series s : series) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (var point : s.points().entrySet()) {
        double v = point.getValue();
        if (Double.isFinite(v)) {
          minStep = Math.min(minStep, point.getKey());
          maxStep = Math.max(maxStep, point.getKey());
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
      }
      if (min <= max) {
        ranges.add(new double[] {min, max});
      }
    }
    if (ranges.isEmpty()) {
      return new Bounds(0, 1, 0, 1);
    }
    int n = ranges.size();
    double[] minima = ranges.stream().mapToDouble(r -> r[0]).sorted().toArray();
    double[] maxima = ranges.stream().mapToDouble(r -> r[1]).sorted().toArray();
    double minValue = minima[0];
    double maxValue = maxima[n - 1];
    if (ignoreOutliers && n >= 2) {
      int few = Math.max(1, n / 5);
      double high = maxima[n - 1 - few]; // the highest of the others
      double low = minima[few]; // the lowest of the others
      double range = high - low;
      if (range > 0) {
        // The chart still fits every series that is not off it.
        double highFence = high + OUTLIER_RANGES * range;
        if (maxValue > highFence) {
          maxValue = high + HEADROOM * range;
          for (double max : maxima) {
            maxValue = max <= highFence ? Math.max(maxValue, max) : maxValue;
          }
        }
        double lowFence = low - OUTLIER_RANGES * range;
        if (minValue < lowFence) {
          minValue = low - HEADROOM * range;
          for (double min : minima) {
            minValue = min >= lowFence ? Math.min(minValue, min) : minValue;
          }
        }
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
