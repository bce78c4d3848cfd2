package dev.runstream.cli;

import com.clickhouse.client.api.ClickHouseException;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.Settings;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParseResult;

/**
 * The {@code runstream} command. Exit codes: 0 done, 1 failed (the message says why and what to
 * do), 2 wrong arguments (with the usage of the command) or, for {@code runstream server}, a wrong
 * setting (naming it).
 */
@Command(
    name = "runstream",
    description = "Experiment tracking for ML training on Kafka and ClickHouse.",
    mixinStandardHelpOptions = true,
    version = "runstream 0.1.0",
    footer = {
      "",
      "Servers: KAFKA_BOOTSTRAP, SCHEMA_REGISTRY_URL and CLICKHOUSE_URL name them; otherwise the"
          + " commands use the stack of `runstream up`.",
      "",
      "Examples:",
      "  runstream demo",
      "  runstream up --detach",
      "  runstream runs list --project demo",
      "  runstream runs compare --project demo --top 5 --png loss.png",
      "  runstream alerts --follow",
      "  runstream load --runs 10 --metrics 5 --rate 50000 --duration 20s",
      "  RUNSTREAM_SERVER_API_KEYS_FILE=keys runstream server",
      "  runstream down"
    },
    subcommands = {
      UpCommand.class,
      DownCommand.class,
      ServerCommand.class,
      DemoCommand.class,
      RunsCommand.class,
      SyncCommand.class,
      AlertsCommand.class,
      LoadCommand.class,
      CommandLine.HelpCommand.class
    })
public final class RunstreamCli {
  @Mixin LoggingOptions logging;

  private final Map<String, String> env;
  private final Terminal terminal;

  private RunstreamCli(Map<String, String> env, Terminal terminal) {
    this.env = Map.copyOf(env);
    this.terminal = terminal;
  }

  /** The environment the commands read ({@code CLICKHOUSE_URL}, {@code RUNSTREAM_HOME}, …). */
  Map<String, String> env() {
    return env;
  }

  /** Where the output goes: a terminal a person watches, or a pipe. */
  Terminal terminal() {
    return terminal;
  }

  /** Runs the command line and exits with its exit code. */
  public static void main(String[] args) {
    Map<String, String> env = System.getenv();
    System.exit(newCommandLine(env, Terminal.detect(env)).execute(args));
  }

  /** The command line with every subcommand, reading the process's environment. */
  public static CommandLine newCommandLine() {
    return newCommandLine(System.getenv());
  }

  /**
   * The command line with every subcommand, reading {@code env} instead of the process's, writing
   * plain output (no colours, no progress redrawn in place).
   */
  public static CommandLine newCommandLine(Map<String, String> env) {
    return newCommandLine(env, Terminal.plain());
  }

  static CommandLine newCommandLine(Map<String, String> env, Terminal terminal) {
    CommandLine commandLine =
        new CommandLine(new RunstreamCli(Objects.requireNonNull(env, "env"), terminal));
    commandLine.setCaseInsensitiveEnumValuesAllowed(true);
    // Logging is chosen once the flags are known and before any command makes a logger.
    commandLine.setExecutionStrategy(
        parsed -> {
          CliLogging.apply(logging(parsed));
          return new CommandLine.RunLast().execute(parsed);
        });
    boolean debug = ConfigProperties.of(env).getString(Settings.DEBUG).isPresent();
    // A ParameterException a command throws is an argument error, like picocli's own: usage and 2.
    commandLine.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          Optional<ClickHouseException> clickHouse = clickHouseCause(e);
          if (e instanceof CliException) {
            cmd.getErr().println("runstream: " + e.getMessage());
          } else if (clickHouse.isPresent()) {
            cmd.getErr().println("runstream: " + clickHouseFailure(env, clickHouse.get()));
            if (debug) {
              e.printStackTrace(cmd.getErr());
            }
          } else {
            // Not foreseen: say what it was, so a bug report has something to go on.
            cmd.getErr().println("runstream: " + e);
            if (debug) {
              e.printStackTrace(cmd.getErr());
            } else {
              cmd.getErr().println("(set RUNSTREAM_DEBUG=1 for the stack trace)");
            }
          }
          cmd.getErr().flush();
          return 1;
        });
    return commandLine;
  }

  /**
   * The logging properties of the parsed command: a server's for {@code runstream server} and for
   * {@code runstream up} in the foreground (also the process {@code up --detach} starts), a
   * terminal's for every other command.
   */
  static Map<String, String> logging(ParseResult parsed) {
    CliLogging.Verbosity verbosity = LoggingOptions.verbosity(parsed);
    ParseResult command = LoggingOptions.last(parsed);
    Object program = command.commandSpec().userObject();
    boolean server =
        program instanceof ServerCommand
            || (program instanceof UpCommand && !command.hasMatchedOption("--detach"));
    return server ? CliLogging.server(verbosity) : CliLogging.console(verbosity);
  }

  /**
   * A ClickHouse failure after the command's own check of the server passed: the server stopped
   * answering, or refused a query.
   */
  private static Optional<ClickHouseException> clickHouseCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ClickHouseException c) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  private static String clickHouseFailure(Map<String, String> env, ClickHouseException e) {
    try {
      return Servers.locate(env).clickHouseFailed(e).getMessage();
    } catch (CliException noAddress) {
      return noAddress.getMessage();
    }
  }
}
