package dev.runstream.sdk.bench;

import java.io.IOException;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the SDK's benchmarks briefly and prints each against its baseline measured in the same run
 * (these machines are shared and noisy, so only ratios mean something). Arguments: {@code log},
 * {@code delivery}, {@code lookup} (not JMH: {@link LookupBench}) or nothing for all three; {@code
 * delivery-sasl} runs the delivery benchmark on a plaintext and on a SASL/SCRAM broker with ACLs.
 * The system property {@code bench.compression} (default {@code lz4}, the SDK's) sets both
 * producers' {@code compression.type} in the delivery benchmark.
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws RunnerException, IOException {
    String which = args.length > 0 ? args[0] : "all";
    if (!List.of("all", "log", "delivery", "delivery-sasl", "lookup").contains(which)) {
      throw new IllegalArgumentException(
          "benchmark must be all, log, delivery, delivery-sasl or lookup, not '" + which + "'");
    }
    boolean all = which.equals("all");
    if (all || which.equals("log")) {
      for (int threads : new int[] {1, 8}) {
        Options o =
            new OptionsBuilder()
                .include(LogBenchmark.class.getName())
                .threads(threads)
                .forks(1)
                .warmupIterations(2)
                .warmupTime(TimeValue.seconds(2))
                .measurementIterations(3)
                .measurementTime(TimeValue.seconds(3))
                .build();
        Map<String, Double> r = scores(new Runner(o).run());
        double sdk = r.get("sdkLog");
        double base = r.get("baselineQueueHandOff");
        System.out.printf(
            "log() of a 10-metric map, %d thread(s): sdk %.0f points/s, baseline hand-off %.0f"
                + " points/s, ratio %.2f (goal on 1 thread: >= 1,000,000 points/s)%n",
            threads, sdk, base, sdk / base);
      }
    }
    if (all || which.equals("delivery")) {
      String compression = System.getProperty("bench.compression", "lz4");
      Options o =
          new OptionsBuilder()
              .include(DeliveryBenchmark.class.getName())
              .param("compression", compression)
              .forks(1)
              // Each fork starts its own broker: the first iterations time the JIT of the
              // client and of the new broker, not steady-state delivery (both benchmarks alike).
              .warmupIterations(10)
              .measurementIterations(10)
              .build();
      Collection<RunResult> results = new Runner(o).run();
      Map<String, Double> r = scores(results);
      // SingleShotTime with OperationsPerInvocation gives nanoseconds per point.
      double sdk = 1e9 / r.get("sdkRun");
      double base = 1e9 / r.get("baselineRawProducer");
      System.out.printf(
          "delivered to the local broker: sdk %.0f points/s, raw producer %.0f points/s, ratio"
              + " %.2f (goal >= 0.50)%s%n",
          sdk,
          base,
          sdk / base,
          compression.equals("lz4") ? "" : ", both with compression.type " + compression);
      // Each measured iteration too: on a shared machine their spread says how far to trust the
      // averages.
      for (String label : List.of("sdkRun", "baselineRawProducer")) {
        System.out.printf(
            "  %s, points/s per iteration: %s%n", label, perIteration(results, label));
      }
    }
    if (which.equals("delivery-sasl")) {
      Options o =
          new OptionsBuilder()
              .include(DeliveryBenchmark.class.getName())
              .param("kafka", "plaintext", "sasl")
              .forks(1)
              .warmupIterations(10)
              .measurementIterations(10)
              .build();
      Collection<RunResult> results = new Runner(o).run();
      Map<String, Double> pointsPerSecond = new HashMap<>();
      for (RunResult r : results) {
        String label = r.getParams().getBenchmark();
        pointsPerSecond.put(
            label.substring(label.lastIndexOf('.') + 1) + "/" + r.getParams().getParam("kafka"),
            1e9 / r.getPrimaryResult().getScore());
      }
      for (String label : List.of("sdkRun", "baselineRawProducer")) {
        double plain = pointsPerSecond.get(label + "/plaintext");
        double sasl = pointsPerSecond.get(label + "/sasl");
        System.out.printf(
            "delivered to the local broker, %s: plaintext %.0f points/s, SASL/SCRAM with ACLs %.0f"
                + " points/s, ratio sasl/plaintext %.2f%n",
            label, plain, sasl, sasl / plain);
      }
    }
    if (all || which.equals("lookup")) {
      LookupBench.run();
    }
  }

  private static String perIteration(Collection<RunResult> results, String label) {
    StringJoiner joined = new StringJoiner(" ");
    for (RunResult r : results) {
      if (r.getParams().getBenchmark().endsWith("." + label)) {
        for (BenchmarkResult b : r.getBenchmarkResults()) {
          for (IterationResult i : b.getIterationResults()) {
            joined.add(String.format("%.0f", 1e9 / i.getPrimaryResult().getScore()));
          }
        }
      }
    }
    return joined.toString();
  }

  private static Map<String, Double> scores(Collection<RunResult> results) {
    Map<String, Double> scores = new HashMap<>();
    for (RunResult r : results) {
      String label = r.getParams().getBenchmark();
      scores.put(label.substring(label.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
    }
    return scores;
  }
}
