package dev.runstream.cli;

import dev.runstream.cli.demo.DemoReport;
import dev.runstream.cli.demo.TutorialRuns;
import dev.runstream.cli.demo.TutorialRuns.SimulatedRun;
import dev.runstream.deploy.LocalStack;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sink.RunComparison;
import dev.runstream.sink.RunQueries;
import dev.runstream.sink.RunRecord;
import dev.runstream.sink.SinkConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code runstream demo}: the whole pipeline on this machine with simulated training runs. */
@Command(
    name = "demo",
    description = {
      "Brings up the local stack (Kafka, schema registry, ClickHouse), the stream processor and"
          + " the sink, runs simulated training runs through the SDK, prints them side by side as"
          + " read back from ClickHouse, then stops everything."
    },
    footer = {"", "Examples:", "  runstream demo", "  runstream demo --runs 3"},
    mixinStandardHelpOptions = true)
final class DemoCommand implements Callable<Integer> {
  static final List<String> METRICS = List.of("acc", "loss");

  @Spec CommandSpec spec;
  @ParentCommand RunstreamCli cli;

  @Option(
      names = "--runs",
      defaultValue = "10",
      description = "How many tutorial runs to simulate (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(
      names = "--timeout",
      defaultValue = "PT2M",
      description =
          "How long to wait for ClickHouse to hold every point (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (runs < 1) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--runs must be at least 1");
    }
    Optional<StackState> up = StackState.readLive(cli.env());
    if (up.isPresent()) {
      out.printf("Using the stack of `runstream up` (pid %d).%n", up.get().pid());
      simulateAndCompare(out, up.get().endpoints());
      return 0;
    }
    out.println("Starting the local stack: Kafka, schema registry, ClickHouse...");
    out.flush();
    try (LocalStack stack = LocalStack.start()) {
      out.println(stack.describe());
      out.printf("(up in %.1f s)%n", stack.startupTime().toMillis() / 1000.0);
      // Closed by the stack before its servers stop, also when Ctrl-C ends the demo.
      stack.closeFirst(Pipeline.start(stack, stack.dataDir().resolve("processor-state")));
      out.println("Stream processor and sink are running.");
      simulateAndCompare(
          out,
          new Endpoints(stack.kafkaBootstrap(), stack.schemaRegistryUrl(), stack.clickhouseUrl()));
      out.printf("%nStopping the processor, the sink and the local stack.%n");
      out.flush();
    }
    out.println("Done.");
    return 0;
  }

  private void simulateAndCompare(PrintWriter out, Endpoints endpoints)
      throws InterruptedException {
    try (RunQueries queries =
        RunQueries.connect(
            endpoints.clickhouseUrl(),
            SinkConfig.DEFAULT_CLICKHOUSE_USER,
            SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD,
            SinkConfig.DEFAULT_DATABASE)) {
      out.printf("%nSimulating %d training runs of project %s:%n", runs, TutorialRuns.PROJECT);
      out.flush();
      List<SimulatedRun> simulated =
          TutorialRuns.run(
              runs,
              name ->
                  RunOptions.builder(TutorialRuns.PROJECT)
                      .kafkaBootstrap(endpoints.kafkaBootstrap())
                      .schemaRegistryUrl(endpoints.schemaRegistryUrl()));
      for (SimulatedRun run : simulated) {
        out.printf(
            "  %-8s %-7s %d steps logged, finished%n",
            run.runId(), run.name(), run.points().get("loss").size());
      }
      out.printf("%nWaiting for every point and summary to reach ClickHouse...%n");
      out.flush();
      List<RunComparison> compared = awaitLanded(queries, simulated);
      Map<String, String> states =
          queries.runs(TutorialRuns.PROJECT).stream()
              .collect(Collectors.toMap(RunRecord::id, RunRecord::state, (a, b) -> b));
      out.printf("%nRuns side by side, read back from ClickHouse (best = max acc, min loss):%n%n");
      out.print(DemoReport.sideBySide(compared, METRICS, states));
      out.flush();
    }
  }

  /** Waits until ClickHouse holds every logged point, every summary and every run's end. */
  private List<RunComparison> awaitLanded(RunQueries queries, List<SimulatedRun> simulated)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String missing = "";
    while (System.nanoTime() < deadline) {
      missing = missing(queries, simulated);
      if (missing.isEmpty()) {
        Map<String, RunComparison> byId =
            queries.compare(TutorialRuns.PROJECT, METRICS).stream()
                .collect(Collectors.toMap(RunComparison::runId, r -> r, (a, b) -> b));
        // In the order the runs were made, as a person reads test1, test2, ...
        return simulated.stream().map(r -> byId.get(r.runId())).filter(Objects::nonNull).toList();
      }
      Thread.sleep(250); // polling interval of a condition with a deadline
    }
    throw new IllegalStateException(
        "ClickHouse did not receive everything within " + timeout + ": " + missing);
  }

  private static String missing(RunQueries queries, List<SimulatedRun> simulated) {
    for (SimulatedRun run : simulated) {
      Map<String, ?> points = queries.points(run.runId());
      for (var metric : run.points().entrySet()) {
        Object landed = points.get(metric.getKey());
        if (landed == null || ((Map<?, ?>) landed).size() < metric.getValue().size()) {
          return "points of " + run.name() + " (" + run.runId() + ")";
        }
      }
      var summaries = queries.summaries(run.runId());
      for (var metric : run.points().entrySet()) {
        var summary = summaries.get(metric.getKey());
        if (summary == null || summary.count() < metric.getValue().size()) {
          return "summary of " + run.name() + " (" + run.runId() + ")";
        }
      }
    }
    Map<String, String> states =
        queries.runs(TutorialRuns.PROJECT).stream()
            .collect(Collectors.toMap(RunRecord::id, RunRecord::state, (a, b) -> b));
    for (SimulatedRun run : simulated) {
      if (!"FINISHED".equals(states.get(run.runId()))) {
        return "the finished state of " + run.name() + " (" + run.runId() + ")";
      }
    }
    return "";
  }
}
