package dev.runstream.cli;

import dev.runstream.cli.chart.Series;
import dev.runstream.cli.chart.TerminalChart;
import dev.runstream.query.CurvePoint;
import dev.runstream.query.MetricCurve;
import dev.runstream.query.MetricValue;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Runs side by side, as {@code runs compare} and the demo show them: a table and a chart. */
final class Comparison {
  /** A value of a metric a column shows. */
  enum Value {
    FINAL("final "),
    BEST("best "),
    BEST_STEP("best step ");

    private final String prefix;

    Value(String prefix) {
      this.prefix = prefix;
    }
  }

  /**
   * A column of metric values.
   *
   * @param metric the metric
   * @param value which of its values
   */
  record Column(String metric, Value value) {
    /** {@code final loss}; in a table a step column reads {@code best step}, after its value. */
    String header(boolean table) {
      return value == Value.BEST_STEP && table ? "best step" : value.prefix + metric;
    }
  }

  /** States a chart's legend names, since they explain why a curve ends early or runs away. */
  private static final Set<String> ENDED_BADLY = Set.of("FAILED", "CRASHED", "UNRESPONSIVE");

  /** Lines of a terminal chart: {@value}. */
  static final int CHART_HEIGHT = 16;

  private Comparison() {}

  /** Final, best and best step of each metric, in order. */
  static List<Column> everyValue(List<String> metrics) {
    List<Column> columns = new ArrayList<>();
    for (String metric : metrics) {
      for (Value value : Value.values()) {
        columns.add(new Column(metric, value));
      }
    }
    return columns;
  }

  /**
   * The runs as a table (or CSV): name, id when asked, state, the config values that differ between
   * them, then {@code columns}.
   */
  static String table(
      List<RunRow> rows, List<Column> columns, OutputFormat format, boolean withId) {
    boolean people = format == OutputFormat.TABLE;
    List<String> config =
        RunsCommand.varyingKeys(rows.stream().map(r -> r.run().config()).toList());
    List<String> headers = new ArrayList<>(List.of("name"));
    if (withId) {
      headers.add("id");
    }
    headers.add("state");
    config.forEach(k -> headers.add(people ? k : "config." + k));
    columns.forEach(c -> headers.add(c.header(people)));
    List<List<String>> cells = new ArrayList<>();
    for (RunRow row : rows) {
      List<String> line = new ArrayList<>();
      line.add(row.run().name());
      if (withId) {
        line.add(row.run().id());
      }
      line.add(row.run().state());
      config.forEach(k -> line.add(row.run().config().getOrDefault(k, "")));
      for (Column column : columns) {
        MetricValue value = row.metrics().get(column.metric());
        line.add(value == null ? "" : cell(value, column.value()));
      }
      cells.add(line);
    }
    return format.render(headers, cells);
  }

  private static String cell(MetricValue value, Value which) {
    return switch (which) {
      case FINAL -> Numbers.format(value.finalValue());
      case BEST -> Numbers.format(value.best());
      case BEST_STEP -> value.bestStep() < 0 ? "" : Long.toString(value.bestStep());
    };
  }

  /**
   * Each run's curve of {@code metric}, downsampled on the server to at most {@code maxPoints}
   * buckets, each drawn at its middle step with its mean; a bucket without a finite value (the run
   * logged NaN there) is a gap. Labelled with the run's name (and id where names repeat), and its
   * state when it failed, crashed or went silent.
   */
  static List<Series> series(
      RunQueries queries, String project, String metric, List<RunRow> rows, int maxPoints) {
    Map<String, MetricCurve> curves = new HashMap<>();
    for (MetricCurve curve :
        queries.curves(project, metric, rows.stream().map(r -> r.run().id()).toList(), maxPoints)) {
      curves.put(curve.runId(), curve);
    }
    Map<String, Long> names = new HashMap<>();
    rows.forEach(r -> names.merge(RunsCommand.nameOrId(r.run()), 1L, Long::sum));
    List<Series> series = new ArrayList<>();
    for (RunRow row : rows) {
      String label = RunsCommand.nameOrId(row.run());
      if (names.get(label) > 1) {
        label += " (" + row.run().id() + ")";
      }
      if (ENDED_BADLY.contains(row.run().state())) {
        label += ", " + row.run().state().toLowerCase(Locale.ROOT);
      }
      TreeMap<Long, Double> values = new TreeMap<>();
      MetricCurve curve = curves.get(row.run().id());
      if (curve != null) {
        for (CurvePoint point : curve.points()) {
          values.put((point.firstStep() + point.lastStep()) / 2, point.mean());
        }
      }
      series.add(new Series(label, values));
    }
    return series;
  }

  /** The series as JSON: step to value, by label. */
  static Map<String, Object> seriesJson(Series series) {
    Map<String, Object> points = new LinkedHashMap<>();
    series
        .points()
        .forEach((step, v) -> points.put(Long.toString(step), RunsCommand.jsonNumber(v)));
    return points;
  }

  /**
   * A terminal chart of {@code series} as wide as the terminal allows, or a line saying why not.
   */
  static String chart(List<Series> series, Terminal terminal, boolean ignoreOutliers) {
    if (series.stream().noneMatch(Series::hasFinite)) {
      return "(no finite values to draw)\n";
    }
    int width = Math.max(20, Math.min(120, terminal.columns() - 14));
    return TerminalChart.render(series, width, CHART_HEIGHT, terminal.color(), ignoreOutliers);
  }
}
