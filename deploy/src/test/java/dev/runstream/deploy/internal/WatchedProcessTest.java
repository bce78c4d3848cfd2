package dev.runstream.deploy.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchedProcessTest {
  @TempDir Path dir;
  private final List<WatchedProcess> started = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    started.forEach(p -> p.stop(Duration.ofSeconds(2)));
  }

  private WatchedProcess start(String script, Duration grace) {
    // The script line carries the temp dir, so its processes can be found by command line.
    WatchedProcess p =
        WatchedProcess.start(
            "test",
            List.of("bash", "-c", script, "server-" + dir),
            dir,
            dir.resolve("out.log"),
            grace,
            Map.of());
    started.add(p);
    return p;
  }

  private long serverProcesses() {
    return ProcessHandle.allProcesses()
        .filter(h -> h.info().commandLine().orElse("").contains("server-" + dir))
        .count();
  }

  @Test
  void stopEndsTheServerGracefully() throws Exception {
    WatchedProcess p =
        start(
            "trap 'echo got-term; exit 0' TERM; echo up; while :; do sleep 0.1; done", seconds(10));
    await().atMost(Duration.ofSeconds(10)).until(() -> log().contains("up"));

    p.stop(seconds(10));

    assertThat(p.isAlive()).isFalse();
    assertThat(serverProcesses()).isZero();
    assertThat(log()).contains("got-term");
  }

  @Test
  void aServerIgnoringTermIsKilledAfterTheGracePeriod() throws Exception {
    WatchedProcess p = start("trap '' TERM; echo up; while :; do sleep 0.1; done", seconds(1));
    await().atMost(Duration.ofSeconds(10)).until(() -> log().contains("up"));

    p.stop(seconds(10));

    assertThat(serverProcesses()).isZero();
  }

  @Test
  void theWatchdogEndsWithTheServersExitCode() throws Exception {
    WatchedProcess p = start("echo bye; exit 7", seconds(1));

    assertThat(p.waitFor(Duration.ofSeconds(10))).isTrue();
    assertThat(p.exitCode()).hasValue(7);
    assertThat(log()).contains("bye");
  }

  @Test
  void aSignalToTheWatchdogStillStopsTheServer() throws Exception {
    WatchedProcess p = start("echo up; while :; do sleep 0.1; done", seconds(5));
    await().atMost(Duration.ofSeconds(10)).until(() -> log().contains("up"));

    ProcessHandle.of(p.pid()).orElseThrow().destroy(); // SIGTERM to bash, not to the server

    assertThat(p.waitFor(Duration.ofSeconds(10))).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> serverProcesses() == 0);
  }

  private String log() throws Exception {
    Path log = dir.resolve("out.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  private static Duration seconds(long s) {
    return Duration.ofSeconds(s);
  }
}
