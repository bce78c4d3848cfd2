package dev.runstream.cli;

import dev.runstream.cli.chart.PngChart;
import dev.runstream.cli.chart.Series;
import dev.runstream.cli.demo.CrashingRun;
import dev.runstream.cli.demo.DemoRun;
import dev.runstream.cli.demo.DemoTraining;
import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.ProcessorConfig;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.Runstream;
import dev.runstream.sdk.SyncOptions;
import dev.runstream.sdk.SyncResult;
import dev.runstream.sink.AlertRecord;
import dev.runstream.sink.MetricGoal;
import dev.runstream.sink.MetricValue;
import dev.runstream.sink.RunFilter;
import dev.runstream.sink.RunQueries;
import dev.runstream.sink.RunRow;
import dev.runstream.sink.RunSort;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
  /** The demo's processor calls a silent run crashed after this long (production: 10 min). */
  static final Duration DEMO_CRASHED_AFTER = Duration.ofSeconds(10);

  static final List<String> METRICS = List.of("val_acc", "loss");

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

  private PrintWriter out;
  private LocalStack ownStack; // the demo's own stack, or null when it uses `runstream up`'s

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    if (steps < 200) {
      // Fewer steps leave the divergence detector too few points before the blow-up to judge.
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--steps must be at least 200: " + steps);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--timeout must be positive");
    }
    Map<String, String> env = cli.env();
    Optional<StackState> up = StackState.readLive(env);
    if (up.isPresent()) {
      out.printf("Using the stack of `runstream up` (pid %d).%n", up.get().pid());
      Path runsDir = StackState.home(env).resolve("runs");
      demo(Servers.locate(env), up.get().endpoints(), runsDir, false);
      return 0;
    }
    out.println("Starting the local stack: Kafka, schema registry, ClickHouse...");
    out.flush();
    try (LocalStack stack = LocalStack.start()) {
      ownStack = stack;
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
      Endpoints endpoints =
          new Endpoints(stack.kafkaBootstrap(), stack.schemaRegistryUrl(), stack.clickhouseUrl());
      Map<String, String> servers = new HashMap<>(env);
      servers.put("KAFKA_BOOTSTRAP", endpoints.kafkaBootstrap());
      servers.put("SCHEMA_REGISTRY_URL", endpoints.schemaRegistryUrl());
      servers.put("CLICKHOUSE_URL", endpoints.clickhouseUrl());
      demo(Servers.locate(servers), endpoints, stack.dataDir().resolve("runs"), true);
      out.printf("%nStopping the processor, the sink and the local stack.%n");
      out.flush();
    }
    out.println("Done.");
    out.flush();
    return 0;
  }

  /** A run of the sweep as it went. */
  private static final class Trained {
    final DemoRun spec;
    volatile String runId;
    volatile int stepsLogged;
    volatile String ending = "";
    volatile Path directory;

    Trained(DemoRun spec) {
      this.spec = spec;
    }
  }

  private void demo(Servers servers, Endpoints endpoints, Path runsDir, boolean ownProcessor)
      throws Exception {
    String sweep = "sweep-" + LocalTime.now().format(DateTimeFormatter.ofPattern("HHmmss"));
    List<DemoRun> grid = DemoRun.grid();
    List<Trained> trained = grid.stream().map(Trained::new).toList();
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
        new DemoProgress(out, cli.terminal(), grid.stream().map(DemoRun::name).toList(), steps);
    AlertTail alerts = new AlertTail(servers, ourRuns, progress, Instant.now());
    List<RunRow> rows;
    try (RunQueries queries = servers.queries()) {
      try {
        train(trained, endpoints, runsDir, sweep, ourRuns, progress);
        Trained crashed =
            trained.stream().filter(t -> t.spec.fate() == DemoRun.Fate.CRASHES).findFirst().get();
        progress.note(syncCrashed(crashed, endpoints));
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
        rows = awaitLanded(queries, trained, sweep, ownProcessor);
      } finally {
        alerts.close();
        progress.close();
      }
      report(queries, rows, trained, sweep, runsDir, ownProcessor);
    }
  }

  private static String nameOf(List<DemoRun> grid, DemoRun.Fate fate) {
    return grid.stream().filter(r -> r.fate() == fate).findFirst().orElseThrow().name();
  }

  /** Trains every run at once, the crashing one in a process of its own; waits until all end. */
  private void train(
      List<Trained> trained,
      Endpoints endpoints,
      Path runsDir,
      String sweep,
      Map<String, String> ourRuns,
      DemoProgress progress)
      throws Exception {
    Files.createDirectories(runsDir);
    ExecutorService pool =
        Executors.newFixedThreadPool(
            trained.size(),
            r -> {
              Thread t = new Thread(r, "runstream-demo-run");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<?>> futures = new ArrayList<>();
      // The crashing run first: its JVM takes a few seconds to start.
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < trained.size(); i++) {
        order.add(trained.get(i).spec.fate() == DemoRun.Fate.CRASHES ? 0 : order.size(), i);
      }
      for (int index : order) {
        Trained run = trained.get(index);
        futures.add(
            pool.submit(
                () -> {
                  if (run.spec.fate() == DemoRun.Fate.CRASHES) {
                    crashInAProcess(run, index, endpoints, runsDir, sweep, ourRuns, progress);
                  } else {
                    trainHere(run, index, endpoints, runsDir, sweep, ourRuns, progress);
                  }
                  return null;
                }));
      }
      for (Future<?> future : futures) {
        try {
          future.get();
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof CliException ce) {
            throw ce;
          }
          throw new CliException("a demo run failed: " + cause, cause);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private void trainHere(
      Trained t,
      int index,
      Endpoints endpoints,
      Path runsDir,
      String sweep,
      Map<String, String> ourRuns,
      DemoProgress progress)
      throws InterruptedException {
    Run run =
        Runstream.init(
            CrashingRun.options(t.spec, steps, sweep, cli.env())
                .kafkaBootstrap(endpoints.kafkaBootstrap())
                .schemaRegistryUrl(endpoints.schemaRegistryUrl())
                .directory(runsDir)
                .build());
    if (ownStack != null) {
      // On Ctrl-C the stack finishes the run before it stops Kafka, so the run's end is sent.
      ownStack.closeFirst(run);
    }
    t.runId = run.id();
    t.directory = run.directory().orElse(null);
    ourRuns.put(run.id(), t.spec.name());
    try {
      DemoTraining.Outcome outcome =
          DemoTraining.train(
              run, t.spec, steps, steps, (step, loss) -> progress.step(index, step, loss));
      t.stepsLogged = outcome.stepsLogged();
      if (outcome.diverged()) {
        run.finish(1);
        t.ending = "diverged: loss NaN at step " + outcome.nanStep() + ", stopped with exit code 1";
      } else {
        run.finish(0);
        t.ending = "finished";
      }
    } finally {
      run.finish(1); // no effect after a finish; marks a run interrupted by an error as failed
    }
    progress.ended(index, t.ending);
  }

  /** Runs {@link CrashingRun} in a JVM of its own and reports its steps from what it prints. */
  private void crashInAProcess(
      Trained t,
      int index,
      Endpoints endpoints,
      Path runsDir,
      String sweep,
      Map<String, String> ourRuns,
      DemoProgress progress)
      throws IOException, InterruptedException {
    String runId = newRunId();
    t.runId = runId;
    t.directory = runsDir.resolve("run-" + runId);
    ourRuns.put(runId, t.spec.name());
    Path log = runsDir.resolve("crashing-run-" + runId + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder(
                java,
                "-XX:TieredStopAtLevel=1",
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                CrashingRun.class.getName(),
                endpoints.kafkaBootstrap(),
                endpoints.schemaRegistryUrl(),
                runsDir.toString(),
                runId,
                sweep,
                Integer.toString(steps))
            .redirectError(log.toFile());
    builder.environment().clear();
    builder.environment().putAll(cli.env());
    Process process = builder.start();
    int lastStep = -1;
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        String[] parts = line.split(" ");
        if (parts.length == 3 && parts[0].equals("step")) {
          lastStep = Integer.parseInt(parts[1]);
          progress.step(index, lastStep, Double.parseDouble(parts[2]));
        }
      }
    } finally {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
    int exit = process.exitValue();
    if (exit != CrashingRun.EXIT_CODE) {
      throw new CliException(
          "the demo's crashing run did not start or ended unexpectedly (exit code "
              + exit
              + "); its log "
              + log
              + " says:\n"
              + tail(log));
    }
    t.stepsLogged = lastStep + 1;
    t.ending = "crashed: its process died at step " + lastStep + " without finishing";
    progress.ended(index, t.ending);
  }

  /** Uploads what the crashed run's process had not delivered, as `runstream sync` does. */
  private String syncCrashed(Trained crashed, Endpoints endpoints) {
    SyncResult result =
        Runstream.sync(
            crashed.directory,
            SyncOptions.builder(cli.env())
                .kafkaBootstrap(endpoints.kafkaBootstrap())
                .schemaRegistryUrl(endpoints.schemaRegistryUrl())
                .build());
    return String.format(
        "%n%s left its run directory behind. Uploading what its process had not delivered, as"
            + " `runstream sync %s` does: %s.",
        crashed.spec.name(), crashed.directory, SyncCommand.describe(result));
  }

  /** Waits until ClickHouse holds every point, every run's end and the expected alerts. */
  private List<RunRow> awaitLanded(
      RunQueries queries, List<Trained> trained, String sweep, boolean ownProcessor)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String missing = "";
    while (System.nanoTime() < deadline) {
      List<RunRow> rows =
          queries
              .runs(
                  RunFilter.builder(DemoRun.PROJECT)
                      .tagsAll(sweep)
                      .metrics(METRICS.toArray(String[]::new))
                      .sort(RunSort.best("val_acc", MetricGoal.MAXIMIZE))
                      .build())
              .runs();
      missing = missing(queries, rows, trained, ownProcessor);
      if (missing.isEmpty()) {
        return rows;
      }
      Thread.sleep(500); // polling interval of a condition with a deadline
    }
    throw new CliException(
        "ClickHouse did not get everything within "
            + timeout
            + " (still missing: "
            + missing
            + "); the machine may be busy: try again with a longer --timeout");
  }

  private String missing(
      RunQueries queries, List<RunRow> rows, List<Trained> trained, boolean ownProcessor) {
    Map<String, RunRow> byId = new HashMap<>();
    rows.forEach(r -> byId.put(r.run().id(), r));
    for (Trained t : trained) {
      RunRow row = byId.get(t.runId);
      if (row == null) {
        return "run " + t.spec.name();
      }
      MetricValue loss = row.metrics().get("loss");
      if (loss == null || loss.points() < t.stepsLogged) {
        return "the loss of " + t.spec.name();
      }
      String expected =
          switch (t.spec.fate()) {
            case FINISHES -> "FINISHED";
            case DIVERGES -> "FAILED";
            case CRASHES -> ownProcessor ? "CRASHED" : null;
          };
      if (expected != null && !expected.equals(row.run().state())) {
        return "the state " + expected + " of " + t.spec.name();
      }
      if (t.spec.fate() != DemoRun.Fate.FINISHES && ownProcessor) {
        String rule = t.spec.fate() == DemoRun.Fate.DIVERGES ? "divergence" : "crashed";
        boolean raised =
            queries.alerts(DemoRun.PROJECT, t.runId, 100).stream()
                .anyMatch(a -> a.rule().equals(rule));
        if (!raised) {
          return "the " + rule + " alert of " + t.spec.name();
        }
      }
    }
    return "";
  }

  private void report(
      RunQueries queries,
      List<RunRow> rows,
      List<Trained> trained,
      String sweep,
      Path runsDir,
      boolean ownProcessor)
      throws IOException {
    out.printf(
        "%nThe runs side by side, read back from ClickHouse, best validation accuracy first:%n%n");
    out.print(
        Comparison.table(
            rows,
            List.of(
                new Comparison.Column("val_acc", Comparison.Value.BEST),
                new Comparison.Column("loss", Comparison.Value.FINAL),
                new Comparison.Column("loss", Comparison.Value.BEST)),
            OutputFormat.TABLE,
            false));

    List<Series> series = Comparison.series(queries, DemoRun.PROJECT, "loss", rows, 500);
    out.printf("%nloss by step%n");
    out.print(Comparison.chart(series, cli.terminal(), true));
    if (png != null) {
      Path file = png.toAbsolutePath();
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      PngChart.write(series, "loss", 1100, 550, true, file);
      out.printf("Wrote the loss chart to %s.%n", png);
    }

    List<AlertRecord> alerts = new ArrayList<>();
    Map<String, String> names = new HashMap<>();
    for (Trained t : trained) {
      alerts.addAll(queries.alerts(DemoRun.PROJECT, t.runId, 100));
      names.put(t.runId, t.spec.name());
    }
    alerts.sort(Comparator.comparing(AlertRecord::time));
    out.printf("%nAlerts the stream processor raised:%n%n");
    out.print(alerts.isEmpty() ? "(none)\n" : AlertsCommand.table(alerts, names, true));

    RunRow best = rows.get(0);
    String diverged =
        trained.stream()
            .filter(t -> t.spec.fate() == DemoRun.Fate.DIVERGES)
            .findFirst()
            .orElseThrow()
            .runId;
    if (ownProcessor) {
      // This stack and its runs are deleted when the demo ends: say how to keep them.
      out.printf(
          "%nWhere to look next: this demo's stack and its runs are deleted when it ends. Keep"
              + " them with%n  runstream up --detach && runstream demo%nthen:%n");
      out.printf("  runstream runs list --project %s --sort -best.val_acc%n", DemoRun.PROJECT);
      out.printf(
          "  runstream runs compare --project %s --top 5 --metric val_acc --png val_acc.png%n",
          DemoRun.PROJECT);
      out.printf("  runstream runs show %s%n", best.run().name());
      out.printf("  runstream runs config %s --format args%n", best.run().name());
      out.printf("  runstream alerts --follow%n");
      out.printf("  runstream down%n");
    } else {
      out.printf("%nWhere to look next:%n");
      out.printf(
          "  runstream runs list --project %s --tag %s --sort -best.val_acc%n",
          DemoRun.PROJECT, sweep);
      out.printf(
          "  runstream runs compare --project %s --tag %s --top 5 --metric val_acc --png"
              + " val_acc.png%n",
          DemoRun.PROJECT, sweep);
      out.printf(
          "  runstream runs show %s          # %s, the best run%n",
          best.run().id(), best.run().name());
      out.printf("  runstream runs config %s --format args%n", best.run().id());
      out.printf("  runstream alerts --run %s --format json%n", diverged);
      out.printf("  runstream sync %s   # safe to repeat: nothing new to send%n", runsDir);
      out.printf("  runstream alerts --follow%n");
    }
    out.flush();
  }

  private static final char[] ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

  /** A run id in the SDK's format (8 base-36 characters), for the run started in another JVM. */
  private static String newRunId() {
    SecureRandom random = new SecureRandom();
    char[] id = new char[8];
    for (int i = 0; i < id.length; i++) {
      id[i] = ID_CHARS[random.nextInt(ID_CHARS.length)];
    }
    return new String(id);
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  /** Prints the alerts of the demo's runs as the processor raises them, from Kafka. */
  private static final class AlertTail implements AutoCloseable {
    private final AlertFollower follower;
    private final Thread thread;
    private boolean closed;

    AlertTail(Servers servers, Map<String, String> runs, DemoProgress progress, Instant from) {
      this.follower =
          new AlertFollower(servers.kafkaClients(), servers.schemaRegistryUrl(), servers.topics());
      this.thread =
          new Thread(
              () ->
                  follower.follow(
                      from,
                      alert -> {
                        String name = runs.get(alert.runId());
                        if (name != null) {
                          progress.note(
                              String.format(
                                  "  alert  %-8s  %-10s  %s: %s",
                                  alert.resolved() ? "RESOLVED" : alert.severity(),
                                  alert.rule(),
                                  name,
                                  alert.message()));
                        }
                      },
                      problem -> progress.note("  (" + problem + ")")),
              "runstream-demo-alerts");
      thread.setDaemon(true);
      thread.start();
    }

    /** Stops the tail and waits for it (at most 10 s). Idempotent; not thread-safe. */
    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      follower.wakeup();
      try {
        thread.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (!thread.isAlive()) {
        follower.close(); // the consumer is single-threaded: only once its thread is done
      }
    }
  }
}
