package dev.runstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builder validation and failures that happen before any server process exists. */
class LocalStackBuilderTest {
  @TempDir Path tmp;

  @Test
  void settersRejectInvalidValues() {
    LocalStack.Builder builder = LocalStack.builder();

    assertThatThrownBy(() -> builder.startupTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("startupTimeout");
    assertThatThrownBy(() -> builder.shutdownTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("shutdownTimeout");
    assertThatThrownBy(() -> builder.dataDir(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> builder.stackDist(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void secureKafkaNeedsTeamNamesThatCannotOverlapAndABrokerStartedHere() {
    assertThatThrownBy(() -> LocalStack.builder().secureKafka(List.of("team.a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no '.'");
    assertThatThrownBy(() -> LocalStack.builder().secureKafka(List.of("a", "a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("distinct");
    assertThatThrownBy(
            () ->
                LocalStack.builder()
                    .environment(Map.of("KAFKA_BOOTSTRAP", "127.0.0.1:9"))
                    .dataDir(tmp.resolve("d"))
                    .withSchemaRegistry(false)
                    .withClickHouse(false)
                    .secureKafka(List.of("a"))
                    .start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("KAFKA_BOOTSTRAP");
  }

  @Test
  void aStackWithoutSecureKafkaHasNoCredentials() {
    LocalStack stack = new LocalStack(tmp, false, null, null, null);

    assertThat(stack.kafkaTeams()).isEmpty();
    assertThatThrownBy(() -> stack.kafkaTeamProperties("a"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("secureKafka");
  }

  @Test
  void requestingNothingIsAnError() {
    assertThatThrownBy(
            () ->
                LocalStack.builder()
                    .withKafka(false)
                    .withSchemaRegistry(false)
                    .withClickHouse(false)
                    .start())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesToTakeOverAForeignNonEmptyDirectory() throws Exception {
    Files.writeString(tmp.resolve("precious.txt"), "keep me");

    assertThatThrownBy(
            () ->
                LocalStack.builder()
                    .environment(Map.of())
                    .dataDir(tmp)
                    .withKafka(false)
                    .withSchemaRegistry(false)
                    .start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not empty");
    assertThat(tmp.resolve("precious.txt")).exists();
  }

  @Test
  void missingDistributionFailsBeforeCreatingAnything() {
    Path dataDir = tmp.resolve("stack");

    assertThatThrownBy(
            () ->
                LocalStack.builder()
                    .environment(Map.of())
                    .stackDist(tmp.resolve("nowhere"))
                    .dataDir(dataDir)
                    .start())
        .isInstanceOf(LocalStackException.class)
        .hasMessageContaining("kafka")
        .hasMessageContaining("nowhere");
    assertThat(dataDir).doesNotExist();
  }

  @Test
  void malformedEnvironmentVariableIsNamed() {
    assertThatThrownBy(
            () -> LocalStack.builder().environment(Map.of("KAFKA_BOOTSTRAP", "nohost")).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("KAFKA_BOOTSTRAP");
  }

  @Test
  void externalServerThatDoesNotAnswerIsNamedByItsVariable() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    String url = "http://127.0.0.1:" + closedPort;

    assertThatThrownBy(
            () ->
                LocalStack.builder()
                    .environment(Map.of("CLICKHOUSE_URL", url))
                    .dataDir(tmp.resolve("stack"))
                    .withKafka(false)
                    .withSchemaRegistry(false)
                    .startupTimeout(Duration.ofSeconds(1))
                    .start())
        .isInstanceOf(LocalStackException.class)
        .hasMessageContaining("CLICKHOUSE_URL=" + url)
        .hasMessageContaining("did not answer");
    assertThat(tmp.resolve("stack")).doesNotExist();
  }

  @Test
  void aServerThatCrashesIsNamedWithItsAddressAndLogTailAndNothingIsLeftBehind() throws Exception {
    // A "distribution" whose broker jar is empty: the JVM starts and cannot find the class.
    Path dist = tmp.resolve("dist");
    Files.createDirectories(dist.resolve("kafka-libs"));
    Files.write(dist.resolve("kafka-libs").resolve("kafka_2.13-0.0.jar"), new byte[0]);
    Path dataDir = tmp.resolve("stack");

    assertThatThrownBy(
            () ->
                LocalStack.builder()
                    .environment(Map.of())
                    .stackDist(dist)
                    .dataDir(dataDir)
                    .withSchemaRegistry(false)
                    .withClickHouse(false)
                    .start())
        .isInstanceOf(LocalStackException.class)
        .hasMessageMatching("(?s)kafka on 127\\.0\\.0\\.1:\\d+ .*exit code.*")
        .hasMessageContaining("--- last lines of")
        .hasMessageContaining("kafka.tools.StorageTool");
    assertThat(dataDir).doesNotExist();
    assertThat(StackProcesses.of(dataDir)).isEmpty();
  }

  @Test
  void deleteDataDirRemovesOnlyADirectoryAStackUsed() throws Exception {
    Path stranger = Files.createDirectories(tmp.resolve("not-a-stack"));
    Files.writeString(stranger.resolve("thesis.tex"), "years of work");
    assertThatThrownBy(() -> LocalStack.deleteDataDir(stranger))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not the data directory of a runstream stack");
    assertThat(stranger.resolve("thesis.tex")).exists();

    Path used = Files.createDirectories(tmp.resolve("stack").resolve("kafka"));
    Files.writeString(used.resolveSibling(".runstream-stack"), "marker");
    Files.writeString(used.resolve("00000.log"), "records");
    assertThat(LocalStack.deleteDataDir(used.getParent())).isTrue();
    assertThat(used.getParent()).doesNotExist();
    assertThat(LocalStack.deleteDataDir(used.getParent())).isFalse();
  }
}
