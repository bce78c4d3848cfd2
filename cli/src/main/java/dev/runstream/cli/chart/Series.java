package dev.runstream.cli.chart;

import java.util.Collections;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One line of a chart: a label and its values by step. Non-finite values are kept (they are the
 * point of a diverging run) but not drawn as a line, since they have no place on the axis.
 *
 * @param label what the legend says, usually the run's name
 * @param points values by step
 */
public record Series(String label, NavigableMap<Long, Double> points) {
  public Series {
    Objects.requireNonNull(label, "label");
    points = Collections.unmodifiableNavigableMap(new TreeMap<>(points));
  }

  /** Whether the series has at least one finite value to draw. */
  public boolean hasFinite() {
    return points.values().stream().anyMatch(Double::isFinite);
  }
}
