package dev.runstream.sdk.bench;

import dev.runstream.sdk.Mode;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of {@code run.log()} of a 10-metric map, in metric points per second, against the
 * cheapest possible hand-off measured side by side: copying the map into a bounded queue that a
 * thread drains and drops. The run is offline, so every point is also journalled (the SDK does that
 * online too), by the caller, into the run's memory-mapped journal segment.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(10)
public class LogBenchmark {

  @State(Scope.Thread)
  public static class Metrics {
    final Map<String, Double> map = new LinkedHashMap<>();
    long step;

    @Setup
    public void setUp() {
      for (int i = 0; i < 10; i++) {
        map.put("metric_" + i, 0.0);
      }
    }

    Map<String, Double> next() {
      step++;
      map.put("metric_0", 1.0 / step);
      return map;
    }
  }

  @State(Scope.Benchmark)
  public static class SdkRun {
    Path dir;
    Run run;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      dir = Files.createTempDirectory("runstream-bench");
      run =
          Runstream.init(
              RunOptions.builder("bench", Map.of())
                  .mode(Mode.OFFLINE)
                  .directory(dir)
                  .systemMetricsInterval(Duration.ZERO)
                  .build());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      run.finish();
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @State(Scope.Benchmark)
  public static class Baseline {
    final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(65_536);
    Thread drainer;

    @Setup(Level.Trial)
    public void setUp() {
      drainer =
          new Thread(
              () -> {
                try {
                  while (true) {
                    queue.take();
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      drainer.setDaemon(true);
      drainer.start();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      drainer.interrupt();
    }
  }

  /** The floor: copy the points and hand them to a bounded queue (dropping when it is full). */
  @Benchmark
  public boolean baselineQueueHandOff(Baseline b, Metrics m) {
    return b.queue.offer(new LinkedHashMap<>(m.next()));
  }

  @Benchmark
  public void sdkLog(SdkRun r, Metrics m) {
    r.run.log(m.next());
  }
}
