package dev.runstream.cli.chart;

import java.util.List;

/** The step and value ranges that fit every finite point of a set of series. */
record Bounds(long minStep, long maxStep, double minValue, double maxValue) {

  static Bounds of(List<Series> series) {
    long minStep = Long.MAX_VALUE;
    long maxStep = Long.MIN_VALUE;
    double minValue = Double.POSITIVE_INFINITY;
    double maxValue = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (var point : s.points().entrySet()) {
        if (!Double.isFinite(point.getValue())) {
          continue;
        }
        minStep = Math.min(minStep, point.getKey());
        maxStep = Math.max(maxStep, point.getKey());
        minValue = Math.min(minValue, point.getValue());
        maxValue = Math.max(maxValue, point.getValue());
      }
    }
    if (minStep > maxStep) {
      return new Bounds(0, 1, 0, 1);
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

  /** {@code value}'s position between 0 (bottom) and 1 (top) along the value axis. */
  double y(double value) {
    return (value - minValue) / (maxValue - minValue);
  }
}
