package dev.runstream.cli;

import dev.runstream.query.MetricValue;
import dev.runstream.query.RunFilter;
import dev.runstream.query.RunPage;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRow;
import dev.runstream.query.RunSort;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code runstream runs list}: the runs of a project, filtered and sorted, as a table. */
@Command(
    name = "list",
    description = {
      "Lists the runs of a project with their state, the config values that differ between them,"
          + " and the final and best value of their metrics."
    },
    footer = {
      "",
      "Sort keys: started, name, summary.METRIC (value at the last step), best.METRIC; a leading"
          + " - sorts descending. Without --metric, the metrics of the newest run are shown.",
      "",
      "Examples:",
      "  runstream runs list --project demo",
      "  runstream runs list --project demo --tag baseline --state FINISHED",
      "  runstream runs list --project demo --sort -summary.val_acc",
      "  runstream runs list --project demo --where \"config.learning_rate < 0.01\"",
      "  runstream runs list --project demo --metric loss --format csv > runs.csv"
    },
    mixinStandardHelpOptions = true)
final class RunsListCommand implements Callable<Integer> {
  /** Metric columns a table shows when none are asked for: {@value}. */
  static final int DEFAULT_METRIC_COLUMNS = 4;

  /** Config columns a table shows at most; JSON and CSV carry every key: {@value}. */
  static final int MAX_CONFIG_COLUMNS = 6;

  @Spec CommandSpec spec;
  @Mixin TeamOption team;
  @ParentCommand RunsCommand runs;
  @Mixin RunsCommand.FilterOptions filter;
  @Mixin RunsCommand.FormatOption output;

  @Option(
      names = "--sort",
      defaultValue = "-started",
      paramLabel = "KEY",
      description = "Order of the runs (default: ${DEFAULT-VALUE}, newest first).")
  String sort;

  @Option(
      names = "--metric",
      paramLabel = "METRIC",
      description = "A metric to show the final and best value of (repeatable).")
  List<String> metrics = new ArrayList<>();

  @Option(
      names = "--limit",
      defaultValue = "100",
      paramLabel = "N",
      description = "At most this many runs (default: ${DEFAULT-VALUE}, at most 10000).")
  int limit;

  @Override
  public Integer call() {
    if (filter.project == null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "Missing required option: '--project=PROJECT'");
    }
    if (limit < 1 || limit > RunFilter.MAX_LIMIT) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--limit must be 1 to " + RunFilter.MAX_LIMIT + ": " + limit);
    }
    RunSort order = RunsCommand.parseSort(spec, sort);
    filter.validate(spec);
    try (RunQueries queries = Servers.locate(runs.cli.env(), team.team(spec)).queries()) {
      List<String> columns = new ArrayList<>(new LinkedHashSet<>(metrics));
      RunPage page = queries.runs(build(order, columns));
      if (columns.isEmpty() && order.metric() == null && !page.runs().isEmpty()) {
        // Nothing asked for: show what the newest listed run logged, as W&B's table does.
        String newest =
            page.runs().stream()
                .max(Comparator.comparing(r -> r.run().startedAt()))
                .orElseThrow()
                .run()
                .id();
        queries.summaries(newest).keySet().stream()
            .filter(m -> !m.startsWith("system."))
            .limit(DEFAULT_METRIC_COLUMNS)
            .forEach(columns::add);
        if (!columns.isEmpty()) {
          page = queries.runs(build(order, columns));
        }
      } else if (order.metric() != null && !columns.contains(order.metric())) {
        columns.add(order.metric());
        page = queries.runs(build(order, columns));
      }
      print(page, columns);
    }
    return 0;
  }

  private RunFilter build(RunSort order, List<String> columns) {
    return filter
        .builder(spec, filter.project)
        .metrics(columns.toArray(String[]::new))
        .sort(order)
        .page(0, limit)
        .build();
  }

  private void print(RunPage page, List<String> metrics) {
    PrintWriter out = spec.commandLine().getOut();
    if (output.format == OutputFormat.JSON) {
      List<Object> json = new ArrayList<>();
      for (RunRow row : page.runs()) {
        json.add(RunsCommand.runJson(row.run(), row.metrics()));
      }
      out.print(OutputFormat.json(json));
      out.flush();
      return;
    }
    List<String> config =
        RunsCommand.varyingKeys(page.runs().stream().map(r -> r.run().config()).toList());
    boolean table = output.format == OutputFormat.TABLE;
    if (table && config.size() > MAX_CONFIG_COLUMNS) {
      config = config.subList(0, MAX_CONFIG_COLUMNS);
    }
    List<String> headers = new ArrayList<>(List.of("id", "name", "state", "started", "tags"));
    config.forEach(k -> headers.add(table ? k : "config." + k));
    for (String metric : metrics) {
      headers.add(metric);
      headers.add("best " + metric);
    }
    List<List<String>> rows = new ArrayList<>();
    for (RunRow row : page.runs()) {
      List<String> cells = new ArrayList<>();
      cells.add(row.run().id());
      cells.add(row.run().name());
      cells.add(row.run().state());
      cells.add(table ? RunsCommand.time(row.run().startedAt()) : row.run().startedAt().toString());
      cells.add(String.join(table ? "," : " ", row.run().tags()));
      for (String key : config) {
        cells.add(row.run().config().getOrDefault(key, ""));
      }
      Map<String, MetricValue> values = row.metrics();
      for (String metric : metrics) {
        MetricValue value = values.get(metric);
        cells.add(value == null ? "" : Numbers.format(value.finalValue()));
        cells.add(value == null ? "" : Numbers.format(value.best()));
      }
      rows.add(cells);
    }
    if (table && rows.isEmpty()) {
      out.println("No runs of project " + filter.project + " match.");
    } else {
      out.print(output.format.render(headers, rows));
    }
    if (table && page.hasMore()) {
      out.printf("%d of %d runs; --limit shows more.%n", page.runs().size(), page.total());
    }
    out.flush();
  }
}
