package dev.runstream.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientsTest {
  @TempDir Path dir;

  @Test
  void shouldReadTheFileAndLetTheListWinOverIt() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("kafka.properties"),
            "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nacks=1\n");
    Map<String, String> props =
        KafkaClients.userProperties(
            ConfigProperties.of(
                Map.of(
                    "RUNSTREAM_KAFKA_PROPERTIES_FILE",
                    file.toString(),
                    "RUNSTREAM_KAFKA_PROPERTIES",
                    "acks=all,linger.ms=5")));
    assertThat(props)
        .containsOnly(
            Map.entry("security.protocol", "SASL_SSL"),
            Map.entry("sasl.mechanism", "PLAIN"),
            Map.entry("acks", "all"),
            Map.entry("linger.ms", "5"));
    assertThat(KafkaClients.userProperties(ConfigProperties.of(Map.of()))).isEmpty();
  }

  @Test
  void shouldNameTheFileVariableWhenTheFileIsMissing() {
    Path missing = dir.resolve("gone.properties");
    assertThatThrownBy(
            () ->
                KafkaClients.userProperties(
                    ConfigProperties.of(
                        Map.of("RUNSTREAM_KAFKA_PROPERTIES_FILE", missing.toString()))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "RUNSTREAM_KAFKA_PROPERTIES_FILE cannot be read: " + missing + " (");
  }

  @Test
  void shouldPassUserPropertiesToEachKindOfClientThatKnowsThem() {
    KafkaClients clients =
        KafkaClients.of(
            "k:9092",
            Map.of(
                "security.protocol", "SASL_SSL",
                "acks", "1",
                "fetch.min.bytes", "10",
                "my.plugin.option", "x"));
    Map<String, Object> producer = clients.producer(Map.of("acks", "all", "linger.ms", 10));
    assertThat(producer)
        .containsEntry("bootstrap.servers", "k:9092")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("acks", "1")
        .containsEntry("linger.ms", 10)
        .containsEntry("my.plugin.option", "x")
        .doesNotContainKey("fetch.min.bytes");
    Map<String, Object> consumer = clients.consumer(Map.of("group.id", "g"));
    assertThat(consumer)
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("fetch.min.bytes", "10")
        .containsEntry("group.id", "g")
        .doesNotContainKey("acks");
    assertThat(clients.admin(Map.of()))
        .containsEntry("security.protocol", "SASL_SSL")
        .doesNotContainKeys("acks", "fetch.min.bytes");
    assertThat(clients.streams(Map.of("application.id", "a")))
        .containsEntry("acks", "1")
        .containsEntry("fetch.min.bytes", "10")
        .containsEntry("application.id", "a");
  }

  @Test
  void shouldKeepWhatRunstreamsCorrectnessRestsOn() {
    KafkaClients clients =
        KafkaClients.of(
            "k:9092",
            Map.of(
                // A properties file from the cluster's operators may name the servers: it wins.
                "bootstrap.servers", "elsewhere:1",
                "isolation.level", "read_uncommitted",
                "enable.auto.commit", "true",
                "group.id", "theirs"));
    Map<String, Object> consumer =
        clients.consumer(Map.of("group.id", "runstream-sink", "enable.auto.commit", false));
    assertThat(consumer)
        .containsEntry("bootstrap.servers", "elsewhere:1")
        .containsEntry("isolation.level", "read_committed")
        .containsEntry("enable.auto.commit", false)
        .containsEntry("group.id", "runstream-sink");
    // Runstream set no group here: the user's passes.
    assertThat(clients.consumer(Map.of())).containsEntry("group.id", "theirs");
    assertThat(clients.toString()).doesNotContain("theirs");
  }
}
