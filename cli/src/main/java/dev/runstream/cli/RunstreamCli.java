package dev.runstream.cli;

import java.util.Map;
import java.util.Objects;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code runstream} command. */
@Command(
    name = "runstream",
    description = "Experiment tracking for ML training on Kafka and ClickHouse.",
    mixinStandardHelpOptions = true,
    version = "runstream 0.1.0",
    subcommands = {
      UpCommand.class,
      DownCommand.class,
      DemoCommand.class,
      CommandLine.HelpCommand.class
    })
public final class RunstreamCli {
  private final Map<String, String> env;

  private RunstreamCli(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  /** The environment the commands read ({@code CLICKHOUSE_URL}, {@code RUNSTREAM_HOME}, …). */
  Map<String, String> env() {
    return env;
  }

  /** Runs the command line and exits with its exit code. */
  public static void main(String[] args) {
    System.exit(newCommandLine(System.getenv()).execute(args));
  }

  /** The command line with every subcommand, reading the process's environment. */
  public static CommandLine newCommandLine() {
    return newCommandLine(System.getenv());
  }

  /** The command line with every subcommand, reading {@code env} instead of the process's. */
  public static CommandLine newCommandLine(Map<String, String> env) {
    CommandLine commandLine = new CommandLine(new RunstreamCli(Objects.requireNonNull(env, "env")));
    commandLine.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          cmd.getErr().println("runstream: " + e.getMessage());
          return 1;
        });
    return commandLine;
  }
}
