package dev.runstream.cli;

import dev.runstream.query.AlertRecord;
import dev.runstream.query.FoundRun;
import dev.runstream.query.RunFinder;
import dev.runstream.query.RunQueries;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code runstream alerts}: recent alerts, and with {@code --follow} new ones as they come. */
@Command(
    name = "alerts",
    description = {
      "Shows the recent alerts of every project (or of one project or run), oldest first, and with"
          + " --follow keeps printing new ones as the stream processor raises them, until Ctrl-C."
    },
    footer = {
      "",
      "Recent alerts are read from ClickHouse. New ones are read from Kafka's alerts topic: they"
          + " appear the moment the processor commits them, without polling a database, and also"
          + " while the sink is behind or down. With --format json, --follow prints one JSON"
          + " object per line.",
      "",
      "Examples:",
      "  runstream alerts",
      "  runstream alerts --project demo --limit 50",
      "  runstream alerts --run cnn-lr0.5-bs32",
      "  runstream alerts --follow",
      "  runstream alerts --follow --format json | jq .message"
    },
    mixinStandardHelpOptions = true)
final class AlertsCommand implements Callable<Integer> {
  /**
   * How far back the Kafka tail starts, so alerts the sink has not written to ClickHouse yet are
   * not missed; those already shown are recognised and skipped.
   */
  static final Duration FOLLOW_OVERLAP = Duration.ofMinutes(5);

  @Spec CommandSpec spec;
  @Mixin TeamOption team;
  @ParentCommand RunstreamCli cli;
  @Mixin RunsCommand.FormatOption output;

  @Option(
      names = {"-p", "--project"},
      paramLabel = "PROJECT",
      description = "Only alerts of this project.")
  String project;

  @Option(
      names = "--run",
      paramLabel = "RUN",
      description = "Only alerts of this run (id or name).")
  String run;

  @Option(
      names = "--limit",
      defaultValue = "20",
      paramLabel = "N",
      description = "The newest N recent alerts (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(
      names = {"-f", "--follow"},
      description = "Keep printing new alerts until Ctrl-C.")
  boolean follow;

  @Override
  public Integer call() {
    if (limit < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--limit must be at least 1");
    }
    Servers servers = Servers.locate(cli.env(), team.team(spec));
    if (follow) {
      // Fail before printing anything when the tail cannot work.
      servers.requireKafka();
      servers.requireSchemaRegistry();
    }
    try (RunQueries queries = servers.queries()) {
      return report(servers, queries);
    }
  }

  /** Prints the recent alerts, then follows new ones with {@code --follow}; blocks until then. */
  private int report(Servers servers, RunQueries queries) {
    RunFinder lookup = queries.finder();
    String runId = null;
    List<String> projects;
    if (run != null) {
      FoundRun found = servers.resolve(lookup, List.of(run), project).get(0);
      runId = found.runId();
      projects = List.of(found.project());
    } else {
      projects = project != null ? List.of(project) : lookup.projects();
    }
    // Taken before ClickHouse is read: what the processor raises from now on is in the tail.
    Instant tailFrom = Instant.now().minus(FOLLOW_OVERLAP);
    List<AlertRecord> recent = new ArrayList<>();
    for (String p : projects) {
      recent.addAll(queries.alerts(p, runId, limit));
    }
    recent.sort(Comparator.comparing(AlertRecord::time).reversed());
    boolean truncated = recent.size() >= limit;
    recent = new ArrayList<>(recent.subList(0, Math.min(limit, recent.size())));
    recent.sort(Comparator.comparing(AlertRecord::time)); // oldest first, as a log reads
    Map<String, String> names = new HashMap<>();
    Set<String> ids = new HashSet<>();
    recent.forEach(a -> ids.add(a.runId()));
    lookup.find(ids).forEach(f -> names.put(f.runId(), f.name()));

    PrintWriter out = spec.commandLine().getOut();
    if (!follow) {
      if (output.format == OutputFormat.JSON) {
        List<Object> json = new ArrayList<>();
        recent.forEach(a -> json.add(json(a, names.getOrDefault(a.runId(), ""))));
        out.print(OutputFormat.json(json));
      } else if (output.format == OutputFormat.TABLE && recent.isEmpty()) {
        out.println("No alerts" + (project == null ? "" : " in project " + project) + ".");
      } else {
        out.print(
            output.format == OutputFormat.CSV
                ? OutputFormat.CSV.render(HEADERS, rows(recent, names, true, false))
                : table(recent, names, true));
      }
      out.flush();
      return 0;
    }

    AlertLines lines = new AlertLines(out, output.format);
    Set<String> seen = new HashSet<>();
    for (AlertRecord alert : recent) {
      seen.add(key(alert.runId(), alert.episodeId(), alert.resolved(), alert.time()));
      lines.print(alert, names.getOrDefault(alert.runId(), ""));
    }
    Instant oldestShown = truncated && !recent.isEmpty() ? recent.get(0).time() : Instant.MIN;
    if (output.format == OutputFormat.TABLE) {
      out.println(
          "-- following new alerts"
              + (project == null ? "" : " of project " + project)
              + " (Ctrl-C stops) --");
    }
    out.flush();
    String onlyRun = runId;
    try (AlertFollower follower =
        new AlertFollower(servers.kafkaClients(), servers.schemaRegistryUrl(), servers.topics())) {
      follower.follow(
          tailFrom,
          alert -> {
            if ((project != null && !project.equals(alert.project()))
                || (onlyRun != null && !onlyRun.equals(alert.runId()))
                || alert.time().isBefore(oldestShown)
                || !seen.add(
                    key(alert.runId(), alert.episodeId(), alert.resolved(), alert.time()))) {
              return;
            }
            String name = names.get(alert.runId());
            if (name == null) {
              // A new run may not be in ClickHouse yet: show its id, and ask again next time.
              name =
                  lookup.find(List.of(alert.runId())).stream()
                      .map(FoundRun::name)
                      .findFirst()
                      .orElse(null);
              if (name != null) {
                names.put(alert.runId(), name);
              }
            }
            lines.print(alert, name == null ? "" : name);
          },
          problem -> {
            spec.commandLine().getErr().println("runstream: " + problem);
            spec.commandLine().getErr().flush();
          });
    }
    return 0;
  }

  static String key(String runId, String episodeId, boolean resolved, Instant time) {
    return runId + '\u0000' + episodeId + '\u0000' + resolved + '\u0000' + time.toEpochMilli();
  }

  static final List<String> HEADERS =
      List.of("time", "severity", "rule", "run", "metric", "step", "message");

  /** A table of alerts; {@code names} gives run names by id (the id is shown for others). */
  static String table(List<AlertRecord> alerts, Map<String, String> names, boolean withRun) {
    List<String> headers = new ArrayList<>(HEADERS);
    if (!withRun) {
      headers.remove("run");
    }
    TextTable table = new TextTable(headers);
    rows(alerts, names, withRun, true).forEach(table::add);
    return table.render();
  }

  static List<List<String>> rows(
      List<AlertRecord> alerts, Map<String, String> names, boolean withRun, boolean forPeople) {
    List<List<String>> rows = new ArrayList<>();
    for (AlertRecord a : alerts) {
      List<String> row = new ArrayList<>();
      row.add(forPeople ? RunsCommand.time(a.time()) : a.time().toString());
      row.add(a.resolved() ? "RESOLVED" : a.severity());
      row.add(a.rule());
      if (withRun) {
        String name = names.getOrDefault(a.runId(), "");
        row.add(name.isBlank() ? a.runId() : name);
      }
      row.add(a.metric() == null ? "" : a.metric());
      row.add(a.step() == null ? "" : Long.toString(a.step()));
      row.add(a.message());
      rows.add(row);
    }
    return rows;
  }

  /** An alert as JSON for scripts. */
  static Map<String, Object> json(AlertRecord a, String runName) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("time", a.time().toString());
    json.put("run_id", a.runId());
    json.put("run_name", runName);
    json.put("project", a.project());
    json.put("team", a.team());
    json.put("severity", a.severity());
    json.put("resolved", a.resolved());
    json.put("rule", a.rule());
    json.put("metric", a.metric());
    json.put("step", a.step());
    json.put("value", a.value() == null ? null : RunsCommand.jsonNumber(a.value()));
    json.put("baseline", a.baseline() == null ? null : RunsCommand.jsonNumber(a.baseline()));
    json.put("episode", a.episodeId());
    json.put("title", a.title());
    json.put("message", a.message());
    return json;
  }

  /** Prints alerts one at a time, as they come, in a layout that does not need them all first. */
  static final class AlertLines {
    private final PrintWriter out;
    private final OutputFormat format;
    private boolean headerDone;

    AlertLines(PrintWriter out, OutputFormat format) {
      this.out = out;
      this.format = format;
    }

    void print(AlertRecord alert, String runName) {
      switch (format) {
        case JSON -> out.print(OutputFormat.jsonLine(json(alert, runName)));
        case CSV -> {
          if (!headerDone) {
            out.print(OutputFormat.CSV.render(HEADERS, List.of()));
          }
          String csv =
              OutputFormat.CSV.render(
                  HEADERS, rows(List.of(alert), Map.of(alert.runId(), runName), true, false));
          out.print(csv.substring(csv.indexOf('\n') + 1));
        }
        default -> {
          if (!headerDone) {
            out.println(line("time", "severity", "rule", "run", "message"));
          }
          List<String> row =
              rows(List.of(alert), Map.of(alert.runId(), runName), true, true).get(0);
          out.println(line(row.get(0), row.get(1), row.get(2), row.get(3), row.get(6)));
        }
      }
      headerDone = true;
      out.flush();
    }

    private static String line(
        String time, String severity, String rule, String run, String message) {
      return String.format("%-19s  %-8s  %-10s  %-22s  %s", time, severity, rule, run, message);
    }
  }
}
