package dev.runstream.cli.chart;

import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
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

  /** The first step with a NaN or infinite value, if any. */
  public Optional<Long> firstNonFiniteStep() {
    return points.entrySet().stream()
        .filter(e -> !Double.isFinite(e.getValue()))
        .map(Map.Entry::getKey)
        .findFirst();
  }

  /** What the legend adds after the label: values off the chart, NaN, or nothing to draw. */
  String legendNote(Bounds bounds) {
    if (!hasFinite()) {
      return " (no finite values)";
    }
    StringBuilder note = new StringBuilder();
    points.values().stream()
        .filter(v -> Double.isFinite(v) && !bounds.contains(v))
        .findFirst()
        .ifPresent(v -> note.append("off the chart"));
    firstNonFiniteStep()
        .ifPresent(
            step ->
                note.append(note.length() == 0 ? "" : ", ")
                    .append(Double.isNaN(points.get(step)) ? "NaN" : "Inf")
                    .append(" from step ")
                    .append(step));
    return note.length() == 0 ? "" : " (" + note + ")";
  }
}
