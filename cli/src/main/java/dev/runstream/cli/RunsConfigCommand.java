package dev.runstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.query.FoundRun;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRecord;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code runstream runs config RUN}: a run's config, to reproduce the experiment. */
@Command(
    name = "config",
    description = {
      "Prints a run's config (its current one, after any updates during the run) as JSON, or as"
          + " command-line arguments to start the same experiment again."
    },
    footer = {
      "",
      "With --format args, nested keys are dotted (--optimizer.lr=0.01) and values are quoted for"
          + " a POSIX shell where needed.",
      "",
      "Examples:",
      "  runstream runs config resnet-lr0.03-bs32 > config.json",
      "  java -jar train.jar $(runstream runs config 3f9a2c1b --format args)"
    },
    mixinStandardHelpOptions = true)
final class RunsConfigCommand implements Callable<Integer> {
  /** How the config is printed. */
  enum ConfigFormat {
    JSON,
    ARGS
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec CommandSpec spec;
  @Mixin TeamOption team;
  @ParentCommand RunsCommand runs;

  @Parameters(paramLabel = "RUN", description = "The run's id or name.")
  String ref;

  @Option(
      names = {"-p", "--project"},
      paramLabel = "PROJECT",
      description = "Look for a run name in this project only.")
  String project;

  @Option(
      names = "--format",
      defaultValue = "json",
      paramLabel = "FORMAT",
      description = "json (default) or args.")
  ConfigFormat format;

  @Override
  public Integer call() throws JsonProcessingException {
    Servers servers = Servers.locate(runs.cli.env(), team.team(spec));
    RunRecord run;
    try (RunQueries queries = servers.queries()) {
      FoundRun found = servers.resolve(queries.finder(), List.of(ref), project).get(0);
      run =
          queries.runs(found.project()).stream()
              .filter(r -> r.id().equals(found.runId()))
              .findFirst()
              .orElseThrow(() -> new CliException("run " + found.runId() + " vanished"));
    }
    PrintWriter out = spec.commandLine().getOut();
    if (format == ConfigFormat.ARGS) {
      out.println(args(run.config()));
    } else {
      String json = run.configJson().isBlank() ? "{}" : run.configJson();
      out.print(OutputFormat.json(JSON.readTree(json)));
    }
    out.flush();
    return 0;
  }

  /** {@code --key=value} for each flattened key, values shell-quoted where needed. */
  static String args(Map<String, String> config) {
    StringJoiner args = new StringJoiner(" ");
    config.forEach((key, value) -> args.add(shellQuote("--" + key + "=" + value)));
    return args.toString();
  }

  /** {@code word} as one POSIX shell word: as it is when safe, else in single quotes. */
  static String shellQuote(String word) {
    if (word.matches("[A-Za-z0-9_./:=+,@%-]+")) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
