package dev.runstream.cli.demo;

import dev.runstream.cli.TextTable;
import dev.runstream.sink.RunComparison;
import dev.runstream.sink.RunComparison.MetricResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** Renders runs side by side: name, tags, config values, and final and best of each metric. */
public final class DemoReport {
  private DemoReport() {}

  /**
   * A table of {@code runs}, in the order given, with one column per config key and two per metric.
   *
   * @param states each run's state by run id; runs without one show blank
   */
  public static String sideBySide(
      List<RunComparison> runs, List<String> metrics, Map<String, String> states) {
    TreeSet<String> configKeys = new TreeSet<>();
    runs.forEach(r -> configKeys.addAll(r.config().keySet()));
    List<String> headers = new ArrayList<>(List.of("run", "name", "state", "tags"));
    headers.addAll(configKeys);
    for (String metric : metrics) {
      headers.add("final " + metric);
      headers.add("best " + metric);
    }
    TextTable table = new TextTable(headers);
    for (RunComparison run : runs) {
      List<String> row =
          new ArrayList<>(
              List.of(
                  run.runId(),
                  run.name(),
                  states.getOrDefault(run.runId(), ""),
                  String.join(",", run.tags())));
      for (String key : configKeys) {
        row.add(run.config().getOrDefault(key, ""));
      }
      for (String metric : metrics) {
        MetricResult result = run.metrics().get(metric);
        row.add(result == null ? "" : format(result.finalValue()));
        row.add(result == null ? "" : format(result.best()));
      }
      table.add(row);
    }
    return table.render();
  }

  static String format(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return Double.toString(value);
    }
    return String.format(Locale.ROOT, "%.4f", value);
  }
}
