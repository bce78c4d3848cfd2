package dev.runstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.query.MetricGoal;
import dev.runstream.query.MetricValue;
import dev.runstream.query.RunFilter;
import dev.runstream.query.RunRecord;
import dev.runstream.query.RunSort;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code runstream runs}: the commands that read runs back from ClickHouse. */
@Command(
    name = "runs",
    description = "List, show, compare and reproduce runs, read from ClickHouse.",
    footer = {
      "",
      "Examples:",
      "  runstream runs list --project demo --sort -best.val_acc",
      "  runstream runs show resnet-lr0.03-bs32",
      "  runstream runs compare --project demo --top 5 --metric loss --png loss.png",
      "  runstream runs config resnet-lr0.03-bs32 --format args"
    },
    mixinStandardHelpOptions = true,
    subcommands = {
      RunsListCommand.class,
      RunsShowCommand.class,
      RunsCompareCommand.class,
      RunsConfigCommand.class
    })
final class RunsCommand implements Runnable {
  @ParentCommand RunstreamCli cli;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "say what to do with runs: list, show, compare or config");
  }

  private static final ObjectMapper CONFIG_JSON = new ObjectMapper();

  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
          .withZone(ZoneId.systemDefault());

  /** {@code --format table|json|csv}. */
  static final class FormatOption {
    @Option(
        names = "--format",
        defaultValue = "table",
        paramLabel = "FORMAT",
        description = "table (default), json or csv.")
    OutputFormat format;
  }

  /** The conditions of {@code runs list} and {@code runs compare --project}. */
  static final class FilterOptions {
    @Option(
        names = {"-p", "--project"},
        paramLabel = "PROJECT",
        description = "The project whose runs to read.")
    String project;

    @Option(
        names = "--tag",
        paramLabel = "TAG",
        description = "Only runs with this tag (repeat for runs with all of them).")
    List<String> tags = new ArrayList<>();

    @Option(
        names = "--state",
        paramLabel = "STATE",
        description =
            "Only runs in this state: RUNNING, FINISHED, FAILED, CRASHED, UNRESPONSIVE (repeat"
                + " for any of several).")
    List<String> states = new ArrayList<>();

    @Option(
        names = "--where",
        paramLabel = "EXPR",
        description =
            "Only runs whose config matches, e.g. \"config.learning_rate < 0.01 and"
                + " architecture = 'ResNet'\" (and, or, not, in (...), exists; the config."
                + " prefix is optional).")
    String where;

    /** Checks the conditions before any server is asked, so a typo is an argument error. */
    void validate(CommandSpec spec) {
      builder(spec, project == null ? "" : project);
    }

    /** A filter builder with these conditions, for {@code project}. */
    RunFilter.Builder builder(CommandSpec spec, String project) {
      RunFilter.Builder builder = RunFilter.builder(project);
      builder.tagsAll(tags.toArray(String[]::new));
      builder.states(states.stream().map(s -> s.toUpperCase(Locale.ROOT)).toArray(String[]::new));
      if (where != null) {
        try {
          builder.where(stripConfigPrefix(where));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "--where: " + e.getMessage());
        }
      }
      return builder;
    }

    /**
     * W&B users write {@code config.learning_rate}; the filter's keys are the config's own, so the
     * prefix goes (outside quoted text) unless the config really has a top-level "config" key,
     * which a back-quoted key still reaches.
     */
    static String stripConfigPrefix(String expression) {
      StringBuilder out = new StringBuilder();
      char quote = 0;
      for (int i = 0; i < expression.length(); i++) {
        char c = expression.charAt(i);
        if (quote != 0) {
          out.append(c);
          if (c == '\\' && i + 1 < expression.length()) {
            out.append(expression.charAt(++i));
          } else if (c == quote) {
            quote = 0;
          }
          continue;
        }
        if (c == '\'' || c == '"' || c == '`') {
          quote = c;
          out.append(c);
          continue;
        }
        boolean wordStart = i == 0 || !isKeyChar(expression.charAt(i - 1));
        if (wordStart && expression.startsWith("config.", i)) {
          i += "config.".length() - 1;
          continue;
        }
        out.append(c);
      }
      return out.toString();
    }

    private static boolean isKeyChar(char c) {
      return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-' || c == '/';
    }
  }

  /**
   * A {@code --sort} key: {@code started}, {@code name}, {@code summary.M} or {@code final.M} (the
   * metric's value at its last step, as W&B's summary), {@code best.M} (its best value); a leading
   * {@code -} sorts descending.
   */
  static RunSort parseSort(CommandSpec spec, String key) {
    boolean descending = key.startsWith("-");
    String k = key.startsWith("-") || key.startsWith("+") ? key.substring(1) : key;
    int dot = k.indexOf('.');
    String kind = dot < 0 ? k : k.substring(0, dot);
    String metric = dot < 0 ? null : k.substring(dot + 1);
    switch (kind) {
      case "started":
      case "created":
        return RunSort.started(descending);
      case "name":
        return RunSort.name(descending);
      case "summary":
      case "final":
        if (metric != null && !metric.isBlank()) {
          return RunSort.finalValue(metric, descending);
        }
        break;
      case "best":
        if (metric != null && !metric.isBlank()) {
          return new RunSort(RunSort.By.BEST, metric, descending);
        }
        break;
      default:
        break;
    }
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "--sort: '"
            + key
            + "' is not a sort key; use started, name, summary.METRIC (the value at the last"
            + " step), or best.METRIC, with a leading - for descending (e.g. -summary.val_acc)");
  }

  /** Config keys whose values differ between {@code configs} (all keys when there is one). */
  static List<String> varyingKeys(Collection<Map<String, String>> configs) {
    TreeSet<String> keys = new TreeSet<>();
    configs.forEach(c -> keys.addAll(c.keySet()));
    if (configs.size() <= 1) {
      return List.copyOf(keys);
    }
    List<String> varying = new ArrayList<>();
    for (String key : keys) {
      long distinct = configs.stream().map(c -> c.get(key)).distinct().count();
      if (distinct > 1) {
        varying.add(key);
      }
    }
    return varying;
  }

  /** A run as JSON for scripts: identity, state, tags, config and the requested metrics. */
  static Map<String, Object> runJson(RunRecord run, Map<String, MetricValue> metrics) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("id", run.id());
    json.put("name", run.name());
    json.put("project", run.project());
    json.put("team", run.team());
    json.put("state", run.state());
    json.put("started", run.startedAt().toString());
    json.put("tags", run.tags());
    json.put("group", run.group());
    json.put("notes", run.notes());
    json.put("config", configJson(run));
    Map<String, Object> values = new LinkedHashMap<>();
    metrics.forEach((name, value) -> values.put(name, metricJson(value)));
    json.put("metrics", values);
    return json;
  }

  /**
   * The config as the run sent it, typed and nested (as W&B's API gives {@code run.config}), so a
   * script reads {@code 0.03} and not {@code "0.03"}; the flattened text values where the original
   * is missing or not an object.
   */
  static Object configJson(RunRecord run) {
    String original = run.configJson();
    if (original != null && !original.isBlank()) {
      try {
        JsonNode tree = CONFIG_JSON.readTree(original);
        if (tree.isObject()) {
          return tree;
        }
      } catch (JsonProcessingException e) {
        // The flattened values below still say what the config was.
      }
    }
    return run.config();
  }

  static Map<String, Object> metricJson(MetricValue value) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("final", jsonNumber(value.finalValue()));
    json.put("final_step", value.finalStep());
    json.put("best", jsonNumber(value.best()));
    json.put("best_step", value.bestStep());
    json.put("goal", value.goal() == MetricGoal.MINIMIZE ? "minimize" : "maximize");
    json.put("steps", value.points());
    return json;
  }

  /** A number for JSON: NaN and infinities, which JSON lacks, as the strings scripts expect. */
  static Object jsonNumber(double value) {
    return Double.isFinite(value) ? (Object) value : Numbers.format(value);
  }

  static String time(Instant instant) {
    return TIME.format(instant);
  }

  static String nameOrId(RunRecord run) {
    return Objects.requireNonNullElse(run.name(), "").isBlank() ? run.id() : run.name();
  }
}
