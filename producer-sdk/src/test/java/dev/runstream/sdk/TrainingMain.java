package dev.runstream.sdk;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * A simulated training job for {@code RunstreamIT}'s kill -9 test: logs three metrics per step and
 * prints {@code durable <points>} on stdout whenever more points are fsynced to the run directory.
 * Arguments: bootstrap, registry URL, topic prefix, directory, run id, and optionally {@code flat}:
 * log {@value #FLAT_STEPS} steps as fast as the SDK takes them, with system metrics, then wait to
 * be killed while the SDK sends them, instead of a step every 0.2 ms without end.
 */
public final class TrainingMain {
  static final int FLAT_STEPS = 100_000;

  private TrainingMain() {}

  public static void main(String[] args) {
    boolean flat = args.length > 5 && "flat".equals(args[5]);
    Run run =
        Runstream.init(
            RunOptions.builder("killed", Map.of())
                .kafkaBootstrap(args[0])
                .schemaRegistryUrl(args[1])
                .topicPrefix(args[2])
                .directory(Path.of(args[3]))
                .runId(args[4])
                .fsyncInterval(Duration.ofMillis(100))
                .systemMetricsInterval(flat ? Duration.ofMillis(100) : Duration.ZERO)
                .build());
    long reported = 0;
    for (long step = 0; !flat || step < FLAT_STEPS; step++) {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("loss", 1.0 / (step + 1));
      m.put("acc", step / (step + 1.0));
      m.put("lr", 0.01);
      run.log(m);
      long durable = run.counters().durable();
      if (durable > reported) {
        reported = durable;
        System.out.println("durable " + durable);
        System.out.flush();
      }
      if (!flat) {
        LockSupport.parkNanos(200_000); // a training step's worth of work
      }
    }
    while (true) {
      LockSupport.park(); // the SDK's threads go on sending until the kill
    }
  }
}
