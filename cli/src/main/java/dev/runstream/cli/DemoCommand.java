package dev.runstream.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code runstream demo}: the whole pipeline on this machine with a simulated sweep. */
@Command(
    name = "demo",
    description = {
      "Trains ten simulated runs through the SDK, a grid of learning rate x batch size x"
          + " architecture plus one whose loss diverges and one whose process dies, and shows"
          + " their progress and the alerts the stream processor raises as they run. Then prints"
          + " the runs side by side and a chart of their loss, read back from ClickHouse, the"
          + " alerts, and what to try next.",
      "Uses the stack of `runstream up` when one is running; otherwise starts the local stack,"
          + " the processor and the sink, and stops them all at the end (Ctrl-C too)."
    },
    footer = {
      "",
      "Examples:",
      "  runstream demo",
      "  runstream demo --png loss.png",
      "  runstream up --detach && runstream demo"
    },
    mixinStandardHelpOptions = true)
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @ParentCommand RunstreamCli cli;

  @Option(
      names = "--steps",
      defaultValue = "300",
      paramLabel = "N",
      description = "Steps each run trains (default: ${DEFAULT-VALUE}, at least 200).")
  int steps;

  @Option(
      names = "--png",
      paramLabel = "FILE",
      description = "Also write the loss chart as a PNG picture with a legend.")
  Path png;

  @Option(
      names = "--timeout",
      defaultValue = "PT2M",
      paramLabel = "DURATION",
      description =
          "How long to wait, after the runs end, for ClickHouse to hold everything (default:"
              + " ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    if (steps < 200) {
      // Fewer steps leave the divergence detector too few points before the blow-up to judge.
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--steps must be at least 200: " + steps);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--timeout must be positive");
    }
    new DemoWorkflow(
            new DemoWorkflow.Settings(steps, png, timeout),
            cli.env(),
            cli.terminal(),
            spec.commandLine().getOut())
        .run();
    return 0;
  }
}
