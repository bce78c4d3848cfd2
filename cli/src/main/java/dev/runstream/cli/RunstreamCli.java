package dev.runstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code runstream} command. */
@Command(
    name = "runstream",
    description = "Experiment tracking for ML training on Kafka and ClickHouse.",
    mixinStandardHelpOptions = true,
    version = "runstream 0.1.0",
    subcommands = {DemoCommand.class, CommandLine.HelpCommand.class})
public final class RunstreamCli {

  /** Runs the command line and exits with its exit code. */
  public static void main(String[] args) {
    System.exit(newCommandLine().execute(args));
  }

  /** The command line with every subcommand, for {@link #main} and for tests. */
  public static CommandLine newCommandLine() {
    CommandLine commandLine = new CommandLine(new RunstreamCli());
    commandLine.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          cmd.getErr().println("runstream: " + e.getMessage());
          return 1;
        });
    return commandLine;
  }
}
