package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.deploy.LocalStack;
import dev.runstream.sdk.Mode;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import dev.runstream.testing.LocalStackExtension;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code runstream sync}: uploads an offline run once, however often it is repeated. */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class SyncIT {
  private static final int STEPS = 1500;
  private DemoSweep sweep;

  @BeforeAll
  void pipeline(LocalStack stack) throws Exception {
    sweep = DemoSweep.get(stack);
  }

  @Test
  void uploadsAnOfflineRunOnceHoweverOftenItIsSynced(@TempDir Path dir) throws Exception {
    TreeMap<Long, Double> logged = new TreeMap<>();
    String runId;
    try (Run run =
        Runstream.init(
            RunOptions.builder("sync-it", Map.of())
                .name("offline-run")
                .mode(Mode.OFFLINE)
                .directory(dir)
                .systemMetricsInterval(Duration.ZERO)
                .build())) {
      runId = run.id();
      for (long step = 0; step < STEPS; step++) {
        double loss = 2.0 / (1 + step);
        run.log(Map.of("loss", loss), step);
        logged.put(step, loss);
      }
    }

    CliRunner.Result first = sweep.cli("sync", dir.toString());

    assertThat(first.exit()).as("%s", first).isZero();
    assertThat(first.out())
        .startsWith("offline-run (" + runId + ")  ")
        .contains("100%")
        .containsPattern(
            "  [0-9,]+ records sent \\(1,500 points\\), 0 already in Kafka; the run had finished");
    DemoSweep.eventually(
        () -> {
          NavigableMap<Long, Double> points = sweep.queries.points(runId).get("loss");
          assertThat(points).isEqualTo(logged);
        });
    long records =
        Long.parseLong(
            first.out().replaceAll("(?s).*  ([0-9,]+) records sent.*", "$1").replace(",", ""));
    assertThat(records).isGreaterThan(STEPS); // the points and the run's start and finish

    CliRunner.Result again = sweep.cli("sync", dir.resolve("run-" + runId).toString());

    assertThat(again.exit()).as("%s", again).isZero();
    assertThat(again.out())
        .contains(
            "0 records sent (0 points), "
                + String.format(Locale.ROOT, "%,d", records)
                + " already in Kafka");
    assertThat(sweep.queries.points(runId).get("loss")).isEqualTo(logged);
  }

  @Test
  void aDirectoryWithoutRunsIsAnArgumentError(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("empty"));

    CliRunner.Result sync = sweep.cli("sync", dir.resolve("empty").toString());

    assertThat(sync.exit()).isEqualTo(2);
    assertThat(sync.err()).contains("is not a run directory (no run.json) and holds none");
  }

  @Test
  void anUnreachableKafkaIsNamedWithItsAddressAndWhereItCameFrom(@TempDir Path dir)
      throws Exception {
    Files.createDirectories(dir.resolve("run-x"));
    Files.writeString(dir.resolve("run-x/run.json"), "{\"runId\":\"x\"}");
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    Map<String, String> env = new HashMap<>(sweep.serverEnv);
    env.put("KAFKA_BOOTSTRAP", "127.0.0.1:" + closed);

    CliRunner.Result sync = CliRunner.run(env, "sync", dir.toString());

    assertThat(sync.exit()).isEqualTo(1);
    assertThat(sync.err())
        .startsWith(
            "runstream: Kafka did not answer at 127.0.0.1:" + closed + " (from KAFKA_BOOTSTRAP)")
        .contains("point KAFKA_BOOTSTRAP at one that runs");
  }
}
