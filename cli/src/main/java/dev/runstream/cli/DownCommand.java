package dev.runstream.cli;

import java.io.PrintWriter;
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
    description = "Stops the stack, processor and sink that `runstream up --detach` started.",
    footer = {"", "Example:", "  runstream down"},
    mixinStandardHelpOptions = true)
final class DownCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @ParentCommand RunstreamCli cli;

  @Option(
      names = "--timeout",
      defaultValue = "PT90S",
      description = "How long to wait for a clean stop before killing (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Optional<StackState> state = StackState.readLive(cli.env());
    if (state.isEmpty()) {
      out.println("No runstream stack is up; nothing to stop.");
      return 0;
    }
    ProcessHandle process = ProcessHandle.of(state.get().pid()).orElse(null);
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
}
