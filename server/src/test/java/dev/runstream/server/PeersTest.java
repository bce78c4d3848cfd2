package dev.runstream.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.schemas.config.ConfigProperties;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeersTest {
  private static final String KEY = "k".repeat(40);

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

  @Test
  void shouldRefuseABuilderSelfOutsideThePeersOrAPeerTwice() {
    URI a = URI.create("http://a:1");
    URI b = URI.create("http://b:1");
    assertThat(new Peers(URI.create("HTTP://A:1/"), List.of(a, b)).self()).isEqualTo(a);
    assertThatThrownBy(() -> new Peers(URI.create("http://c:1"), List.of(a, b)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("http://c:1 is not one of the peers");
    assertThatThrownBy(() -> new Peers(a, List.of(a, URI.create("http://A:1"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("listed twice");
  }
}
