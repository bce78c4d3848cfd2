package dev.runstream.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.schemas.config.ConfigProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {
  private static final String KEY = "k".repeat(40);

  @Test
  void shouldReadEveryServerVariable(@TempDir Path dir) throws Exception {
    Path keys = Files.writeString(dir.resolve("keys"), KEY + "=vision\n");
    ServerConfig config =
        ServerConfig.fromEnv(
            ConfigProperties.of(
                Map.of(
                    "RUNSTREAM_KAFKA_BOOTSTRAP", "k:9092",
                    "RUNSTREAM_SCHEMA_REGISTRY_URL", "http://r:8081",
                    "RUNSTREAM_SERVER_API_KEYS_FILE", keys.toString(),
                    "RUNSTREAM_SERVER_PORT", "9999",
                    "RUNSTREAM_SERVER_HOST", "127.0.0.1",
                    "RUNSTREAM_SERVER_DATA_DIR", dir.resolve("data").toString(),
                    "RUNSTREAM_SERVER_MAX_BODY_BYTES", "2048",
                    "RUNSTREAM_SERVER_RUN_IDLE_TIMEOUT", "90",
                    "RUNSTREAM_TOPIC_PREFIX", "team.")));
    assertThat(config.kafkaBootstrap()).isEqualTo("k:9092");
    assertThat(config.schemaRegistryUrl()).isEqualTo("http://r:8081");
    assertThat(config.apiKeys()).containsExactly(Map.entry(KEY, "vision"));
    assertThat(config.port()).isEqualTo(9999);
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.dataDir()).isEqualTo(dir.resolve("data"));
    assertThat(config.maxBodyBytes()).isEqualTo(2048);
    assertThat(config.runIdleTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(config.topicPrefix()).isEqualTo("team.");
    assertThat(config.toString()).doesNotContain(KEY);
  }

  @Test
  void shouldRequireAKeysFileAndNameTheVariableThatIsWrong(@TempDir Path dir) throws Exception {
    Map<String, String> servers =
        Map.of("RUNSTREAM_KAFKA_BOOTSTRAP", "k:9092", "RUNSTREAM_SCHEMA_REGISTRY_URL", "http://r");
    assertThatThrownBy(() -> ServerConfig.fromEnv(ConfigProperties.of(servers)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RUNSTREAM_SERVER_API_KEYS_FILE");
    Path keys = Files.writeString(dir.resolve("keys"), KEY + "=vision\n");
    Map<String, String> badPort = new HashMap<>(servers);
    badPort.put("RUNSTREAM_SERVER_API_KEYS_FILE", keys.toString());
    badPort.put("RUNSTREAM_SERVER_PORT", "70000");
    assertThatThrownBy(() -> ServerConfig.fromEnv(ConfigProperties.of(badPort)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RUNSTREAM_SERVER_PORT");
  }

  @Test
  void shouldReadTheRunIdleTimeoutWithAUnitAndRefuseOneThatIsNotPositive(@TempDir Path dir)
      throws Exception {
    Path keys = Files.writeString(dir.resolve("keys"), KEY + "=vision\n");
    Map<String, String> env = new HashMap<>();
    env.put("RUNSTREAM_KAFKA_BOOTSTRAP", "k:9092");
    env.put("RUNSTREAM_SCHEMA_REGISTRY_URL", "http://r:8081");
    env.put("RUNSTREAM_SERVER_API_KEYS_FILE", keys.toString());
    assertThat(ServerConfig.fromEnv(ConfigProperties.of(env)).runIdleTimeout())
        .isEqualTo(ServerConfig.DEFAULT_RUN_IDLE_TIMEOUT);
    env.put("RUNSTREAM_SERVER_RUN_IDLE_TIMEOUT", "1500ms");
    assertThat(ServerConfig.fromEnv(ConfigProperties.of(env)).runIdleTimeout())
        .isEqualTo(Duration.ofMillis(1500));
    for (String wrong : new String[] {"0s", "-5s", "soon"}) {
      env.put("RUNSTREAM_SERVER_RUN_IDLE_TIMEOUT", wrong);
      assertThatThrownBy(() -> ServerConfig.fromEnv(ConfigProperties.of(env)))
          .as(wrong)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("RUNSTREAM_SERVER_RUN_IDLE_TIMEOUT");
    }
  }

  @Test
  void shouldReadTheClickHouseOfTheWebPageAsTheSinkDoesAndNeverShowItsPassword(@TempDir Path dir)
      throws Exception {
    Path keys = Files.writeString(dir.resolve("keys"), KEY + "=vision\n");
    Map<String, String> env = new HashMap<>();
    env.put("RUNSTREAM_KAFKA_BOOTSTRAP", "k:9092");
    env.put("RUNSTREAM_SCHEMA_REGISTRY_URL", "http://r:8081");
    env.put("RUNSTREAM_SERVER_API_KEYS_FILE", keys.toString());
    assertThat(ServerConfig.fromEnv(ConfigProperties.of(env)).clickHouse()).isEmpty();
    env.put("CLICKHOUSE_URL", "http://ch:8123");
    assertThat(ServerConfig.fromEnv(ConfigProperties.of(env)).clickHouse())
        .contains(new ServerConfig.ClickHouse("http://ch:8123", "default", "", "runstream"));
    env.put("CLICKHOUSE_USER", "reader");
    env.put("CLICKHOUSE_PASSWORD", "s3cret-pw");
    env.put("CLICKHOUSE_DATABASE", "team_a");
    ServerConfig config = ServerConfig.fromEnv(ConfigProperties.of(env));
    assertThat(config.clickHouse())
        .contains(new ServerConfig.ClickHouse("http://ch:8123", "reader", "s3cret-pw", "team_a"));
    assertThat(config.toString()).contains("http://ch:8123").doesNotContain("s3cret-pw");
  }
}
