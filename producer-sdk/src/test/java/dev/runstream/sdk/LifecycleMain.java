package dev.runstream.sdk;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A training program run in a child JVM by the lifecycle tests: an offline run that ends in one of
 * several ways. Arguments: scenario, directory, run id, and for {@code sample} a file whose
 * appearance tells it to finish.
 *
 * <ul>
 *   <li>{@code forget}: logs 10 steps and returns from main without finishing the run.
 *   <li>{@code server}: as {@code forget}, with {@code finishOnExit(false)} (a server's run): the
 *       exit detaches the run instead of finishing it.
 *   <li>{@code crash}: logs 10 steps and dies on an uncaught exception.
 *   <li>{@code sample}: logs a step with the GPU tag on and system metrics every 100 ms, and
 *       finishes once the stop file appears (at most after a minute).
 *   <li>{@code flatout}: logs 5 metrics per step as fast as it can, for at most a minute, and after
 *       every 1,000 steps prints on standard output how many steps {@code log()} returned for.
 * </ul>
 */
public final class LifecycleMain {
  private LifecycleMain() {}

  public static void main(String[] args) {
    String scenario = args[0];
    RunOptions.Builder options =
        RunOptions.builder("lifecycle", Map.of())
            .mode(Mode.OFFLINE)
            .directory(Path.of(args[1]))
            .runId(args[2])
            .systemMetricsInterval(Duration.ZERO);
    if (scenario.equals("server")) {
      options.finishOnExit(false);
    }
    if (scenario.equals("sample")) {
      options.gpuTag(true).systemMetricsInterval(Duration.ofMillis(100));
    }
    Run run = Runstream.init(options.build());
    switch (scenario) {
      case "forget", "server" -> {
        for (int step = 0; step < 10; step++) {
          run.log("loss", 1.0 / (step + 1));
        }
      }
      case "crash" -> {
        for (int step = 0; step < 10; step++) {
          run.log("loss", 1.0 / (step + 1));
        }
        throw new IllegalStateException("the loss diverged");
      }
      case "sample" -> {
        run.log("loss", 1.0);
        Path stop = Path.of(args[3]);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (!Files.exists(stop) && System.nanoTime() < deadline) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        run.finish();
      }
      case "flatout" -> {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        Map<String, Double> metrics = new java.util.HashMap<>();
        for (long step = 0; System.nanoTime() < deadline; step++) {
          for (int m = 0; m < 5; m++) {
            metrics.put("m" + m, step + m / 10.0);
          }
          run.log(metrics);
          if ((step + 1) % 1_000 == 0) {
            // Only after log() returned: the parent kills us at any moment after reading it.
            System.out.println(step + 1);
            System.out.flush();
          }
        }
        run.finish();
      }
      default -> throw new IllegalArgumentException("unknown scenario " + scenario);
    }
  }
}
