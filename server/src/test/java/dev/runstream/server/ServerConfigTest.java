package dev.runstream.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.schemas.config.ConfigProperties;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
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
                    "RUNSTREAM_TOPIC_PREFIX", "team.")));
    assertThat(config.kafkaBootstrap()).isEqualTo("k:9092");
    assertThat(config.schemaRegistryUrl()).isEqualTo("http://r:8081");
    assertThat(config.apiKeys()).containsExactly(Map.entry(KEY, "vision"));
    assertThat(config.port()).isEqualTo(9999);
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.dataDir()).isEqualTo(dir.resolve("data"));
    assertThat(config.maxBodyBytes()).isEqualTo(2048);
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

  @Test
  void shouldReadThePeersInOneFormAndNameTheVariableThatIsWrong(@TempDir Path dir)
      throws Exception {
    Path keys = Files.writeString(dir.resolve("keys"), KEY + "=vision\n");
    Map<String, String> alone =
        Map.of(
            "RUNSTREAM_KAFKA_BOOTSTRAP", "k:9092",
            "RUNSTREAM_SCHEMA_REGISTRY_URL", "http://r",
            "RUNSTREAM_SERVER_API_KEYS_FILE", keys.toString());
    ServerConfig single = ServerConfig.fromEnv(ConfigProperties.of(alone));
    assertThat(single.peers()).isEmpty();
    assertThat(single.advertisedUrl()).isEmpty();

    Map<String, String> shared = new HashMap<>(alone);
    shared.put("RUNSTREAM_SERVER_PEERS", " HTTP://Host-A:8080/ , http://host-b:9090,https://c");
    shared.put("RUNSTREAM_SERVER_ADVERTISED_URL", "http://host-b:9090/");
    ServerConfig config = ServerConfig.fromEnv(ConfigProperties.of(shared));
    assertThat(config.peers())
        .containsExactly(
            URI.create("http://host-a:8080"),
            URI.create("http://host-b:9090"),
            URI.create("https://c:443"));
    assertThat(config.advertisedUrl()).contains(URI.create("http://host-b:9090"));
    assertThat(config.toString()).contains("http://host-a:8080");

    Map<String, String> notAPeer = new HashMap<>(shared);
    notAPeer.put("RUNSTREAM_SERVER_ADVERTISED_URL", "http://host-c:8080");
    assertThatThrownBy(() -> ServerConfig.fromEnv(ConfigProperties.of(notAPeer)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RUNSTREAM_SERVER_ADVERTISED_URL=http://host-c:8080")
        .hasMessageContaining("is not one of RUNSTREAM_SERVER_PEERS");
    Map<String, String> noSelf = new HashMap<>(shared);
    noSelf.remove("RUNSTREAM_SERVER_ADVERTISED_URL");
    assertThatThrownBy(() -> ServerConfig.fromEnv(ConfigProperties.of(noSelf)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("RUNSTREAM_SERVER_ADVERTISED_URL must be set too");
    Map<String, String> noPeers = new HashMap<>(shared);
    noPeers.remove("RUNSTREAM_SERVER_PEERS");
    assertThatThrownBy(() -> ServerConfig.fromEnv(ConfigProperties.of(noPeers)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("RUNSTREAM_SERVER_PEERS must be set too");
    for (String bad :
        new String[] {
          "host-a:8080", "ftp://a:21", "http://a:1/path", "http://a:1?x=1", "http://a:1,http://a:1"
        }) {
      Map<String, String> wrong = new HashMap<>(shared);
      wrong.put("RUNSTREAM_SERVER_PEERS", bad);
      assertThatThrownBy(() -> ServerConfig.fromEnv(ConfigProperties.of(wrong)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("RUNSTREAM_SERVER_PEERS");
    }
  }
}
