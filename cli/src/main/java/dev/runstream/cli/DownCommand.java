package dev.runstream.cli;

import dev.runstream.deploy.LocalStack;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code runstream down}: stops what {@code runstream up --detach} started. */
@Command(
    name = "down",
    description = {
      "Stops the stack, processor and sink that `runstream up --detach` started. Their data"
          + " stays for the next `runstream up`, unless --delete-data."
    },
    footer = {"", "Examples:", "  runstream down", "  runstream down --delete-data"},
    mixinStandardHelpOptions = true)
final class DownCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @ParentCommand RunstreamCli cli;

  @Option(
      names = "--timeout",
      defaultValue = "PT90S",
      description = "How long to wait for a clean stop before killing (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--delete-data",
      description = "Also delete the stack's data directory: every run, metric and alert it holds.")
  boolean deleteData;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "With --delete-data and no stack up, the data directory to delete (default: as `up`).")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Optional<StackState> state = StackState.readLive(cli.env());
    Path data =
        state
            .filter(s -> !s.dataDir().isEmpty())
            .map(s -> Path.of(s.dataDir()))
            .orElseGet(() -> StackState.dataDir(cli.env(), dataDir));
    int exit = stop(out, state);
    if (exit == 0 && deleteData) {
      deleteData(out, data);
    } else if (exit == 0 && state.isPresent()) {
      out.printf("Its data stays in %s for the next `runstream up`.%n", data);
    }
    return exit;
  }

  private int stop(PrintWriter out, Optional<StackState> state) throws Exception {
    ProcessHandle process = state.flatMap(s -> ProcessHandle.of(s.pid())).orElse(null);
    if (process == null) {
      out.println("No runstream stack is up; nothing to stop.");
      return 0;
    }
    out.printf("Stopping runstream (pid %d)...%n", process.pid());
    out.flush();
    process.destroy();
    try {
      process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      out.println("Stopped.");
      return 0;
    } catch (TimeoutException e) {
      process.destroyForcibly();
      spec.commandLine()
          .getErr()
          .printf(
              "runstream: pid %d did not stop within %s and was killed%n", process.pid(), timeout);
      return 1;
    }
  }

  private void deleteData(PrintWriter out, Path data) {
    try {
      if (LocalStack.deleteDataDir(data)) {
        out.printf("Deleted the data in %s.%n", data);
      } else {
        out.printf("No data in %s; nothing to delete.%n", data);
      }
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw new CliException("did not delete " + data + ": " + e.getMessage(), e);
    }
  }
}
