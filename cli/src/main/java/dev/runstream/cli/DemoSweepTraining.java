package dev.runstream.cli;

import dev.runstream.cli.demo.CrashingRun;
import dev.runstream.cli.demo.DemoRun;
import dev.runstream.cli.demo.DemoTraining;
import dev.runstream.deploy.LocalStack;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.Runstream;
import dev.runstream.sdk.SyncOptions;
import dev.runstream.sdk.SyncResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Trains the demo's sweep through the SDK: every run at once, the crashing one in a JVM of its own,
 * each step reported to the progress display; then uploads what the crashed process left behind.
 */
final class DemoSweepTraining {
  private static final char[] ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

  private final int steps;
  private final Map<String, String> env;
  private final Endpoints endpoints;
  private final Path runsDir;
  private final String sweep;
  private final LocalStack ownStack; // the demo's own stack, or null when it uses `runstream up`'s
  private final Map<String, String> ourRuns;
  private final DemoProgress progress;

  /**
   * @param ownStack the demo's own stack, which finishes the runs before Kafka stops on Ctrl-C;
   *     null when the demo uses the stack of {@code runstream up}
   * @param ourRuns filled with run id to name as the runs start
   */
  DemoSweepTraining(
      int steps,
      Map<String, String> env,
      Endpoints endpoints,
      Path runsDir,
      String sweep,
      LocalStack ownStack,
      Map<String, String> ourRuns,
      DemoProgress progress) {
    this.steps = steps;
    this.env = env;
    this.endpoints = endpoints;
    this.runsDir = runsDir;
    this.sweep = sweep;
    this.ownStack = ownStack;
    this.ourRuns = ourRuns;
    this.progress = progress;
  }

  /** Trains every run at once, the crashing one in a process of its own; waits until all end. */
  void train(List<DemoTrainedRun> trained) throws Exception {
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
        DemoTrainedRun run = trained.get(index);
        futures.add(
            pool.submit(
                () -> {
                  if (run.spec.fate() == DemoRun.Fate.CRASHES) {
                    crashInAProcess(run, index);
                  } else {
                    trainHere(run, index);
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

  private void trainHere(DemoTrainedRun t, int index) throws InterruptedException {
    Run run =
        Runstream.init(
            CrashingRun.options(t.spec, steps, sweep, env)
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
  private void crashInAProcess(DemoTrainedRun t, int index)
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
    builder.environment().putAll(env);
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

  /**
   * Uploads what the crashed run's process had not delivered, as `runstream sync` does.
   *
   * @return what to tell the user about it
   */
  String syncCrashed(DemoTrainedRun crashed) {
    SyncResult result =
        Runstream.sync(
            crashed.directory,
            SyncOptions.builder(env)
                .kafkaBootstrap(endpoints.kafkaBootstrap())
                .schemaRegistryUrl(endpoints.schemaRegistryUrl())
                .build());
    return String.format(
        "%n%s left its run directory behind. Uploading what its process had not delivered, as"
            + " `runstream sync %s` does: %s.",
        crashed.spec.name(), crashed.directory, SyncCommand.describe(result));
  }

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
}
