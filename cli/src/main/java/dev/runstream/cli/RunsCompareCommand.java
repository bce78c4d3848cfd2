package dev.runstream.cli;

import dev.runstream.cli.chart.PngChart;
import dev.runstream.cli.chart.Series;
import dev.runstream.query.FoundRun;
import dev.runstream.query.RunFilter;
import dev.runstream.query.RunPage;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRow;
import dev.runstream.query.RunSort;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code runstream runs compare}: runs side by side, and a chart of a metric over steps. */
@Command(
    name = "compare",
    description = {
      "Compares runs side by side: the config values that differ and the final and best value of"
          + " each metric, then a chart of the first metric over steps for all of them, drawn in"
          + " the terminal and, with --png, written as a picture with a legend.",
      "Give the runs by id or name, or take the best --top runs of a --project."
    },
    footer = {
      "",
      "Curves are downsampled on the server to at most --points buckets per run (the mean of each"
          + " is drawn). A run whose values blow up is drawn off the top so the others stay"
          + " readable; --full-range scales the chart to every value.",
      "",
      "Examples:",
      "  runstream runs compare resnet-lr0.03-bs32 lr0.03-bs32-cnn",
      "  runstream runs compare --project demo --top 10 --png loss.png",
      "  runstream runs compare --project demo --tag baseline --metric val_acc",
      "  runstream runs compare --project demo --format json > compare.json"
    },
    mixinStandardHelpOptions = true)
final class RunsCompareCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin TeamOption team;
  @ParentCommand RunsCommand runs;
  @Mixin RunsCommand.FilterOptions filter;
  @Mixin RunsCommand.FormatOption output;

  @Parameters(
      paramLabel = "RUN",
      arity = "0..*",
      description = "Runs to compare, by id or name (or use --project).")
  List<String> refs = new ArrayList<>();

  @Option(
      names = "--metric",
      paramLabel = "METRIC",
      description =
          "A metric to compare (repeatable; default loss). The first is charted, and ranks --top.")
  List<String> metrics = new ArrayList<>();

  @Option(
      names = "--top",
      defaultValue = "10",
      paramLabel = "N",
      description =
          "With --project: the N runs with the best value of the first metric (default:"
              + " ${DEFAULT-VALUE}).")
  int top;

  @Option(
      names = "--png",
      paramLabel = "FILE",
      description = "Also write the chart as a PNG picture with a legend.")
  Path png;

  @Option(
      names = "--png-size",
      defaultValue = "1100x550",
      paramLabel = "WxH",
      description = "Size of the PNG in pixels (default: ${DEFAULT-VALUE}).")
  String pngSize;

  @Option(
      names = "--points",
      defaultValue = "500",
      paramLabel = "N",
      description = "At most N points per run in the chart (default: ${DEFAULT-VALUE}).")
  int points;

  @Option(names = "--full-range", description = "Scale the chart to every value, outliers too.")
  boolean fullRange;

  @Option(names = "--no-chart", description = "Leave the terminal chart out.")
  boolean noChart;

  @Override
  public Integer call() throws IOException {
    int[] size = validate();
    filter.validate(spec);
    List<String> compared =
        metrics.isEmpty() ? List.of("loss") : List.copyOf(new LinkedHashSet<>(metrics));
    String metric = compared.get(0);
    Servers servers = Servers.locate(runs.cli.env(), team.team(spec));
    String project;
    List<RunRow> rows;
    try (RunQueries queries = servers.queries()) {
      if (!refs.isEmpty()) {
        List<FoundRun> found = servers.resolve(queries.finder(), refs, filter.project);
        Set<String> projects = new LinkedHashSet<>();
        found.forEach(f -> projects.add(f.project()));
        if (projects.size() > 1) {
          throw new CliException(
              "runs of several projects cannot be compared (" + String.join(", ", projects) + ")");
        }
        project = projects.iterator().next();
        rows = byIds(queries, project, compared, found.stream().map(FoundRun::runId).toList());
      } else {
        project = filter.project;
        RunFilter runFilter =
            filter
                .builder(spec, project)
                .metrics(compared.toArray(String[]::new))
                .sort(RunSort.best(metric, queries.goal(project, metric)))
                .page(0, top)
                .build();
        rows = queries.runs(runFilter).runs();
      }
      if (rows.isEmpty()) {
        throw new CliException("no runs of project " + project + " match");
      }
      List<Series> series = Comparison.series(queries, project, metric, rows, points);
      print(project, compared, rows, series);
      if (png != null) {
        writePng(series, metric, size);
      }
    }
    return 0;
  }

  private int[] validate() {
    if (refs.isEmpty() && filter.project == null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "give the runs to compare (ids or names), or --project");
    }
    if (!refs.isEmpty()
        && (!filter.tags.isEmpty() || !filter.states.isEmpty() || filter.where != null)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--tag, --state and --where select runs of --project, not named runs");
    }
    if (top < 1 || top > RunFilter.MAX_LIMIT) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--top must be 1 to " + RunFilter.MAX_LIMIT + ": " + top);
    }
    if (points < 2) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--points must be at least 2");
    }
    String[] wh = pngSize.toLowerCase(Locale.ROOT).split("x");
    try {
      int[] size = {Integer.parseInt(wh[0].trim()), Integer.parseInt(wh[1].trim())};
      if (wh.length != 2 || size[0] < 300 || size[1] < 200 || size[0] > 8000 || size[1] > 8000) {
        throw new NumberFormatException();
      }
      return size;
    } catch (RuntimeException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--png-size must be WIDTHxHEIGHT, 300x200 to 8000x8000 pixels: " + pngSize);
    }
  }

  /**
   * The rows of {@code ids} in the order given. The sink's filter has no run-id condition, so this
   * pages through the project's runs and keeps the asked-for ones.
   */
  private static List<RunRow> byIds(
      RunQueries queries, String project, List<String> metrics, List<String> ids) {
    Set<String> wanted = new HashSet<>(ids);
    Map<String, RunRow> found = new HashMap<>();
    int offset = 0;
    while (found.size() < wanted.size()) {
      RunPage page =
          queries.runs(
              RunFilter.builder(project)
                  .metrics(metrics.toArray(String[]::new))
                  .page(offset, RunFilter.MAX_LIMIT)
                  .build());
      page.runs().stream()
          .filter(r -> wanted.contains(r.run().id()))
          .forEach(r -> found.put(r.run().id(), r));
      if (!page.hasMore()) {
        break;
      }
      offset += page.runs().size();
    }
    return ids.stream().distinct().filter(found::containsKey).map(found::get).toList();
  }

  private void print(
      String project, List<String> compared, List<RunRow> rows, List<Series> series) {
    PrintWriter out = spec.commandLine().getOut();
    if (output.format == OutputFormat.JSON) {
      List<Object> json = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        Map<String, Object> run = RunsCommand.runJson(rows.get(i).run(), rows.get(i).metrics());
        run.put(
            "curve",
            Map.of("metric", compared.get(0), "points", Comparison.seriesJson(series.get(i))));
        json.add(run);
      }
      out.print(OutputFormat.json(json));
      out.flush();
      return;
    }
    boolean table = output.format == OutputFormat.TABLE;
    if (table) {
      out.printf("%d runs of project %s%n%n", rows.size(), project);
    }
    out.print(Comparison.table(rows, Comparison.everyValue(compared), output.format, true));
    if (table && !noChart) {
      out.printf("%n%s by step%n", compared.get(0));
      out.print(Comparison.chart(series, runs.cli.terminal(), !fullRange));
    }
    out.flush();
  }

  private void writePng(List<Series> series, String metric, int[] size) throws IOException {
    Path file = png.toAbsolutePath();
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    PngChart.write(series, metric, size[0], size[1], !fullRange, file);
    PrintWriter status =
        output.format == OutputFormat.TABLE
            ? spec.commandLine().getOut()
            : spec.commandLine().getErr();
    status.printf("%nWrote the %s chart to %s (%dx%d).%n", metric, png, size[0], size[1]);
    status.flush();
  }
}
