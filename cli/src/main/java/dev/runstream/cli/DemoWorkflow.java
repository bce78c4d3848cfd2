package dev.runstream.cli;

import dev.runstream.cli.demo.DemoRun;
import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.ProcessorConfig;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRow;
import dev.runstream.schemas.config.ConfigProperties;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What {@code runstream demo} does: finds the stack of {@code runstream up} or starts one of its
 * own with the processor and the sink, trains the sweep ({@link DemoSweepTraining}) while showing
 * its progress and alerts, waits until ClickHouse holds it all ({@link DemoLanding}), and prints
 * what happened ({@link DemoReport}). Its own stack stops at the end, also on Ctrl-C.
 */
final class DemoWorkflow {
  /** The demo's processor calls a silent run crashed after this long (production: 10 min). */
  static final Duration DEMO_CRASHED_AFTER = Duration.ofSeconds(10);

  /**
   * What the command line chose.
   *
   * @param steps steps each run trains
   * @param png where to write the loss chart as a picture, or null
   * @param timeout how long to wait, after the runs end, for ClickHouse to hold everything
   */
  record Settings(int steps, Path png, Duration timeout) {}

  private final Settings settings;
  private final Map<String, String> env;
  private final Terminal terminal;
  private final PrintWriter out;

  DemoWorkflow(Settings settings, Map<String, String> env, Terminal terminal, PrintWriter out) {
    this.settings = settings;
    this.env = env;
    this.terminal = terminal;
    this.out = out;
  }

  /** Runs the demo; blocks until it is done. */
  void run() throws Exception {
    Optional<StackState> up = StackState.readLive(env);
    if (up.isPresent()) {
      out.printf("Using the stack of `runstream up` (pid %d).%n", up.get().pid());
      if (!up.get().serverUrl().isEmpty()) {
        printServer(up.get().serverUrl(), "", Path.of(up.get().dataDir()));
      }
      Path runsDir = StackState.home(env).resolve("runs");
      demo(Servers.locate(env), up.get().endpoints(), runsDir, null);
      return;
    }
    out.println("Starting the local stack: Kafka, schema registry, ClickHouse...");
    out.flush();
    try (LocalStack stack = LocalStack.start()) {
      out.println(stack.describe());
      out.printf("(up in %.1f s)%n", stack.startupTime().toMillis() / 1000.0);
      out.flush();
      try {
        // Closed by the stack before its servers stop, also when Ctrl-C ends the demo. The
        // demo's runs are short, so its processor notices a silent run in seconds, not minutes.
        ConfigProperties settings = ConfigProperties.of(env);
        ProcessorConfig config =
            Pipeline.processorConfig(stack, settings, stack.dataDir().resolve("processor-state"));
        stack.closeFirst(
            Pipeline.start(
                stack,
                config.withMonitor(
                    config.monitor().toBuilder()
                        .livenessCheckInterval(Duration.ofSeconds(1))
                        .unresponsiveAfter(DEMO_CRASHED_AFTER.dividedBy(2))
                        .crashedAfter(DEMO_CRASHED_AFTER)
                        .build()),
                Pipeline.sinkConfig(stack, settings)));
      } catch (IllegalArgumentException e) {
        throw new CliException("cannot start the processor and the sink: " + e.getMessage(), e);
      }
      out.println("Stream processor and sink are running.");
      // Registered after the pipeline, so it stops before it. The demo's stack is thrown away,
      // so a taken default port is no reason to stop: any free one does.
      StackServer server =
          stack.closeFirst(
              StackServer.start(
                  env,
                  stack.kafkaBootstrap(),
                  stack.schemaRegistryUrl(),
                  stack.clickhouseUrl(),
                  stack.dataDir(),
                  true));
      printServer(server.url(), server.note(), stack.dataDir());
      Endpoints endpoints =
          new Endpoints(stack.kafkaBootstrap(), stack.schemaRegistryUrl(), stack.clickhouseUrl());
      Map<String, String> servers = new HashMap<>(env);
      servers.put("KAFKA_BOOTSTRAP", endpoints.kafkaBootstrap());
      servers.put("SCHEMA_REGISTRY_URL", endpoints.schemaRegistryUrl());
      servers.put("CLICKHOUSE_URL", endpoints.clickhouseUrl());
      demo(Servers.locate(servers), endpoints, stack.dataDir().resolve("runs"), stack);
      out.printf("%nStopping the W&B server, the processor, the sink and the local stack.%n");
      out.flush();
    }
    out.println("Done.");
    out.flush();
  }

  /**
   * @param ownStack the demo's own stack, whose processor it configured; null for {@code up}'s
   */
  private void demo(Servers servers, Endpoints endpoints, Path runsDir, LocalStack ownStack)
      throws Exception {
    boolean ownProcessor = ownStack != null;
    int steps = settings.steps();
    String sweep = "sweep-" + LocalTime.now().format(DateTimeFormatter.ofPattern("HHmmss"));
    List<DemoRun> grid = DemoRun.grid();
    List<DemoTrainedRun> trained = grid.stream().map(DemoTrainedRun::new).toList();
    out.printf(
        "%nTraining %d simulated runs of project %s, tagged %s: learning rate 0.03 and 0.003 x"
            + " batch size 32 and 128 x ResNet and CNN, plus %s (learning rate 0.5: too large) and"
            + " %s (its process will die at step %d).%n%n",
        grid.size(),
        DemoRun.PROJECT,
        sweep,
        nameOf(grid, DemoRun.Fate.DIVERGES),
        nameOf(grid, DemoRun.Fate.CRASHES),
        (int) (steps * DemoRun.CRASH_AT));
    out.flush();

    Map<String, String> ourRuns = new ConcurrentHashMap<>(); // run id to name
    DemoProgress progress =
        new DemoProgress(out, terminal, grid.stream().map(DemoRun::name).toList(), steps);
    DemoAlertTail alerts = new DemoAlertTail(servers, ourRuns, progress, Instant.now());
    DemoSweepTraining training =
        new DemoSweepTraining(steps, env, endpoints, runsDir, sweep, ownStack, ourRuns, progress);
    List<RunRow> rows;
    try (RunQueries queries = servers.queries()) {
      try {
        training.train(trained);
        DemoTrainedRun crashed =
            trained.stream().filter(t -> t.spec.fate() == DemoRun.Fate.CRASHES).findFirst().get();
        progress.note(training.syncCrashed(crashed));
        progress.note(
            ownProcessor
                ? String.format(
                    "%nWaiting for ClickHouse to hold every point, and for the processor to call"
                        + " %s crashed (the demo's processor does after %d s without a sign of"
                        + " life)...",
                    crashed.spec.name(), DEMO_CRASHED_AFTER.toSeconds())
                : String.format(
                    "%nWaiting for ClickHouse to hold every point. (The processor of `runstream"
                        + " up` calls %s crashed after RUNSTREAM_CRASHED_AFTER_MS, 10 min by"
                        + " default; `runstream alerts --follow` shows it then.)",
                    crashed.spec.name()));
        rows = DemoLanding.await(queries, trained, sweep, ownProcessor, settings.timeout());
      } finally {
        alerts.close();
        progress.close();
      }
      new DemoReport(out, terminal, settings.png())
          .print(queries, rows, trained, sweep, runsDir, ownProcessor);
    }
  }

  private void printServer(String url, String note, Path dataDir) {
    out.printf(
        "W&B-compatible server at %s%s; a wandb script logs into it with:%n",
        url, note.isEmpty() ? "" : " " + note);
    StackServer.wandbExports(env, url, dataDir).forEach(line -> out.println("  " + line));
    out.printf(
        "The web page compares the runs at %s/web/ (any user name, that key as password).%n", url);
    out.flush();
  }

  private static String nameOf(List<DemoRun> grid, DemoRun.Fate fate) {
    return grid.stream().filter(r -> r.fate() == fate).findFirst().orElseThrow().name();
  }
}
