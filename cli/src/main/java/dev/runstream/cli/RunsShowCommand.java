package dev.runstream.cli;

import dev.runstream.query.AlertRecord;
import dev.runstream.query.FoundRun;
import dev.runstream.query.MetricSummaryRow;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRecord;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code runstream runs show RUN}: everything about one run. */
@Command(
    name = "show",
    description = {
      "Shows one run: its metadata and state, its config, the summary of every metric it logged,"
          + " and its alerts."
    },
    footer = {
      "",
      "RUN is a run id or, when unique, a run name.",
      "",
      "Examples:",
      "  runstream runs show 3f9a2c1b",
      "  runstream runs show resnet-lr0.03-bs32 --format json"
    },
    mixinStandardHelpOptions = true)
final class RunsShowCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin TeamOption team;
  @ParentCommand RunsCommand runs;
  @Mixin RunsCommand.FormatOption output;

  @Parameters(paramLabel = "RUN", description = "The run's id or name.")
  String ref;

  @Option(
      names = {"-p", "--project"},
      paramLabel = "PROJECT",
      description = "Look for a run name in this project only.")
  String project;

  @Option(
      names = "--alerts",
      defaultValue = "20",
      paramLabel = "N",
      description = "Show the newest N alerts (default: ${DEFAULT-VALUE}).")
  int alertLimit;

  @Override
  public Integer call() {
    if (output.format == OutputFormat.CSV) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "runs show prints one run, not a table: use --format table or json (runs list --format"
              + " csv gives a table of runs)");
    }
    if (alertLimit < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--alerts must be at least 1");
    }
    Servers servers = Servers.locate(runs.cli.env(), team.team(spec));
    try (RunQueries queries = servers.queries()) {
      FoundRun found = servers.resolve(queries.finder(), List.of(ref), project).get(0);
      RunRecord run =
          queries.runs(found.project()).stream()
              .filter(r -> r.id().equals(found.runId()))
              .findFirst()
              .orElseThrow(() -> new CliException("run " + found.runId() + " vanished"));
      Map<String, MetricSummaryRow> summaries = queries.summaries(run.id());
      List<AlertRecord> alerts = queries.alerts(run.project(), run.id(), alertLimit);
      PrintWriter out = spec.commandLine().getOut();
      out.print(
          output.format == OutputFormat.JSON
              ? OutputFormat.json(json(run, summaries, alerts))
              : text(run, summaries, alerts));
      out.flush();
    }
    return 0;
  }

  private static String text(
      RunRecord run, Map<String, MetricSummaryRow> summaries, List<AlertRecord> alerts) {
    StringBuilder out = new StringBuilder();
    Map<String, String> about = new LinkedHashMap<>();
    about.put("run", run.id());
    about.put("name", run.name());
    about.put("project", run.project() + " (team " + run.team() + ")");
    about.put("state", run.state());
    about.put("started", RunsCommand.time(run.startedAt()));
    about.put("tags", String.join(", ", run.tags()));
    if (!run.group().isBlank()) {
      about.put("group", run.group());
    }
    if (!run.jobType().isBlank()) {
      about.put("job type", run.jobType());
    }
    if (!run.notes().isBlank()) {
      about.put("notes", run.notes());
    }
    about.forEach((k, v) -> out.append(String.format("%-9s%s%n", k, v)));

    out.append("\nConfig\n");
    if (run.config().isEmpty()) {
      out.append("  (none)\n");
    } else {
      TextTable config = new TextTable(List.of("key", "value"));
      run.config().forEach((k, v) -> config.add(List.of(k, v)));
      out.append(indent(config.render()));
    }

    out.append("\nSummary\n");
    if (summaries.isEmpty()) {
      out.append("  (no metrics yet)\n");
    } else {
      TextTable summary =
          new TextTable(List.of("metric", "last", "step", "min", "max", "mean", "points", "NaN"));
      for (MetricSummaryRow row : summaries.values()) {
        double mean = row.finiteCount() == 0 ? Double.NaN : row.sum() / row.finiteCount();
        summary.add(
            List.of(
                row.metric(),
                Numbers.format(row.last()),
                Long.toString(row.lastStep()),
                Numbers.format(row.min()),
                Numbers.format(row.max()),
                Numbers.format(mean),
                Long.toString(row.count()),
                Long.toString(row.nanCount() + row.infCount())));
      }
      out.append(indent(summary.render()));
    }

    out.append("\nAlerts\n");
    if (alerts.isEmpty()) {
      out.append("  (none)\n");
    } else {
      out.append(indent(AlertsCommand.table(alerts, Map.of(), false)));
    }
    return out.toString();
  }

  private static String indent(String text) {
    StringBuilder out = new StringBuilder();
    text.lines().forEach(l -> out.append("  ").append(l).append('\n'));
    return out.toString();
  }

  private static Map<String, Object> json(
      RunRecord run, Map<String, MetricSummaryRow> summaries, List<AlertRecord> alerts) {
    Map<String, Object> json = RunsCommand.runJson(run, Map.of());
    json.remove("metrics");
    json.put("job_type", run.jobType());
    Map<String, Object> summary = new LinkedHashMap<>();
    for (MetricSummaryRow row : summaries.values()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("last", RunsCommand.jsonNumber(row.last()));
      m.put("last_step", row.lastStep());
      m.put("min", RunsCommand.jsonNumber(row.min()));
      m.put("min_step", row.minStep());
      m.put("max", RunsCommand.jsonNumber(row.max()));
      m.put("max_step", row.maxStep());
      m.put(
          "mean",
          RunsCommand.jsonNumber(
              row.finiteCount() == 0 ? Double.NaN : row.sum() / row.finiteCount()));
      m.put("points", row.count());
      m.put("non_finite", row.nanCount() + row.infCount());
      summary.put(row.metric(), m);
    }
    json.put("summary", summary);
    List<Object> alertJson = new ArrayList<>();
    alerts.forEach(a -> alertJson.add(AlertsCommand.json(a, "")));
    json.put("alerts", alertJson);
    return json;
  }
}
