package dev.runstream.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SinkConfigTest {

  private static SinkConfig.Builder valid() {
    return SinkConfig.builder()
        .bootstrapServers("127.0.0.1:9092")
        .schemaRegistryUrl("http://127.0.0.1:8081/apis/ccompat/v7")
        .clickHouseUrl("http://127.0.0.1:8123");
  }

  @Test
  void shouldApplyDefaults() {
    SinkConfig config = valid().build();

    assertThat(config.clickHouseUser()).isEqualTo("default");
    assertThat(config.clickHousePassword()).isEmpty();
    assertThat(config.database()).isEqualTo("runstream");
    assertThat(config.groupId()).isEqualTo("runstream-sink");
    assertThat(config.batchMaxRows()).isEqualTo(50_000);
    assertThat(config.batchMaxDelay()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.replicationFactor()).as("the broker's default").isEqualTo((short) -1);
    assertThat(config.team()).isEmpty();
    assertThat(config.topics().metrics.name()).isEqualTo("runstream.metrics");
    assertThat(config.topics().deadLetters).isEqualTo("runstream.dlq");
  }

  @Test
  void shouldFetchInLargerBatchesUnlessTheUserSaysOtherwise() {
    assertThat(ClickHouseSink.consumerProperties(valid().build()))
        .containsEntry("fetch.min.bytes", 64 * 1024)
        .containsEntry("fetch.max.wait.ms", 50)
        .containsEntry("isolation.level", "read_committed");
    assertThat(
            ClickHouseSink.consumerProperties(
                valid().kafkaProperties(Map.of("fetch.max.wait.ms", "10")).build()))
        .containsEntry("fetch.max.wait.ms", "10");
  }

  @Test
  void shouldReadTheWritersPasswordFromAFileOverTheVariable(@TempDir Path dir) throws Exception {
    Path secret = Files.writeString(dir.resolve("pw"), "from-the-file\n");
    Map<String, String> env = new HashMap<>();
    env.put("KAFKA_BOOTSTRAP", "127.0.0.1:9092");
    env.put("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081");
    env.put("CLICKHOUSE_URL", "http://127.0.0.1:8123");
    env.put("CLICKHOUSE_PASSWORD", "from-the-variable");
    env.put("CLICKHOUSE_PASSWORD_FILE", secret.toString());

    assertThat(SinkConfig.fromEnv(env).clickHousePassword()).isEqualTo("from-the-file");

    env.put("CLICKHOUSE_PASSWORD_FILE", dir.resolve("missing").toString());
    assertThatThrownBy(() -> SinkConfig.fromEnv(env))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CLICKHOUSE_PASSWORD_FILE");
  }

  @Test
  void shouldNameTheMissingRequiredSetting() {
    assertThatThrownBy(() -> SinkConfig.builder().build()).hasMessageContaining("bootstrapServers");
    assertThatThrownBy(() -> SinkConfig.builder().bootstrapServers("h:1").build())
        .hasMessageContaining("schemaRegistryUrl");
    assertThatThrownBy(
            () ->
                SinkConfig.builder()
                    .bootstrapServers("h:1")
                    .schemaRegistryUrl("http://h:2")
                    .build())
        .hasMessageContaining("clickHouseUrl");
  }

  @Test
  void shouldRejectInvalidValuesNamingTheSetting() {
    assertThatThrownBy(() -> valid().bootstrapServers("no-port"))
        .hasMessageContaining("bootstrapServers");
    assertThatThrownBy(() -> valid().clickHouseUrl("127.0.0.1:8123"))
        .hasMessageContaining("clickHouseUrl");
    assertThatThrownBy(() -> valid().schemaRegistryUrl("ftp://x"))
        .hasMessageContaining("schemaRegistryUrl");
    assertThatThrownBy(() -> valid().database("run-stream")).hasMessageContaining("database");
    assertThatThrownBy(() -> valid().batchMaxRows(0)).hasMessageContaining("batchMaxRows");
    assertThatThrownBy(() -> valid().batchMaxDelay(Duration.ZERO))
        .hasMessageContaining("batchMaxDelay");
    assertThatThrownBy(() -> valid().groupId(" ")).hasMessageContaining("groupId");
    assertThatThrownBy(() -> valid().topicPrefix("bad prefix")).hasMessageContaining("topicPrefix");
    assertThatThrownBy(() -> valid().replicationFactor(0))
        .hasMessageContaining("replicationFactor");
    assertThatThrownBy(() -> valid().replicationFactor(-2))
        .hasMessageContaining("replicationFactor");
    assertThat(valid().replicationFactor(3).build().replicationFactor()).isEqualTo((short) 3);
    assertThatThrownBy(() -> valid().team("a team")).hasMessageContaining("team");
    assertThatThrownBy(() -> valid().clickHouseUser(null)).hasMessageContaining("clickHouseUser");
  }

  @Test
  void shouldReadTheEnvironment() {
    Map<String, String> env = new HashMap<>();
    env.put("KAFKA_BOOTSTRAP", "k1:9092,k2:9092");
    env.put("SCHEMA_REGISTRY_URL", "http://registry:8080/apis/ccompat/v7");
    env.put("CLICKHOUSE_URL", "http://ch:8123");
    env.put("RUNSTREAM_TOPIC_PREFIX", "team-a.runstream.");
    env.put("RUNSTREAM_SINK_BATCH_MAX_ROWS", "500");
    env.put("RUNSTREAM_SINK_BATCH_MAX_DELAY_MS", "250");
    env.put("RUNSTREAM_TEAM", "team-a");

    SinkConfig config = SinkConfig.fromEnv(env);

    assertThat(config.team()).contains("team-a");
    assertThat(config.batchMaxRows()).isEqualTo(500);
    assertThat(config.batchMaxDelay()).isEqualTo(java.time.Duration.ofMillis(250));

    assertThat(config.bootstrapServers()).isEqualTo("k1:9092,k2:9092");
    assertThat(config.schemaRegistryUrl()).isEqualTo("http://registry:8080/apis/ccompat/v7");
    assertThat(config.clickHouseUrl()).isEqualTo("http://ch:8123");
    assertThat(config.topics().runs.name()).isEqualTo("team-a.runstream.runs");
  }

  @Test
  void shouldReadDurationsWithUnitsAndKafkaClientProperties() {
    Map<String, String> env = new HashMap<>();
    env.put("RUNSTREAM_KAFKA_BOOTSTRAP", "k:9092");
    env.put("SCHEMA_REGISTRY_URL", "http://r:1");
    env.put("CLICKHOUSE_URL", "http://ch:8123");
    env.put("RUNSTREAM_SINK_BATCH_MAX_DELAY_MS", "2s");
    env.put("RUNSTREAM_SINK_ROLLUP_INTERVAL_MS", "500ms");
    env.put("RUNSTREAM_KAFKA_PROPERTIES", "security.protocol=SSL,enable.auto.commit=true");

    SinkConfig config = SinkConfig.fromEnv(env);

    assertThat(config.bootstrapServers()).isEqualTo("k:9092");
    assertThat(config.batchMaxDelay()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.rollupInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(config.kafkaProperties()).containsEntry("security.protocol", "SSL");
    assertThat(config.kafkaClients().consumer(Map.of("enable.auto.commit", false)))
        .containsEntry("security.protocol", "SSL")
        .containsEntry("enable.auto.commit", false)
        .containsEntry("isolation.level", "read_committed");
    env.put("RUNSTREAM_SINK_BATCH_MAX_DELAY_MS", "0s");
    assertThatThrownBy(() -> SinkConfig.fromEnv(env))
        .hasMessageStartingWith(
            "RUNSTREAM_SINK_BATCH_MAX_DELAY_MS: batchMaxDelay must be positive");
  }

  @Test
  void shouldNameTheMissingOrInvalidVariable() {
    Map<String, String> env = new HashMap<>();
    env.put("KAFKA_BOOTSTRAP", "k:9092");
    env.put("SCHEMA_REGISTRY_URL", "http://r:1");
    assertThatThrownBy(() -> SinkConfig.fromEnv(env)).hasMessageContaining("CLICKHOUSE_URL");
    env.put("CLICKHOUSE_URL", "http://ch:8123");
    env.put("RUNSTREAM_TOPIC_PREFIX", "bad/prefix");
    assertThatThrownBy(() -> SinkConfig.fromEnv(env))
        .hasMessageContaining("RUNSTREAM_TOPIC_PREFIX");
    env.remove("RUNSTREAM_TOPIC_PREFIX");
    env.put("RUNSTREAM_SINK_BATCH_MAX_ROWS", "many");
    assertThatThrownBy(() -> SinkConfig.fromEnv(env))
        .hasMessageContaining("RUNSTREAM_SINK_BATCH_MAX_ROWS");
    env.remove("RUNSTREAM_SINK_BATCH_MAX_ROWS");
    env.put("RUNSTREAM_TEAM", " ");
    assertThatThrownBy(() -> SinkConfig.fromEnv(env)).hasMessageContaining("RUNSTREAM_TEAM");
  }

  @Test
  void shouldKeepThePasswordOutOfToString() {
    assertThat(valid().clickHousePassword("s3cret").build().toString()).doesNotContain("s3cret");
  }

  @Test
  void shouldWarnOfStalledWritesAfterTenSecondsUnlessSet() {
    Map<String, String> env = new HashMap<>();
    env.put("KAFKA_BOOTSTRAP", "k1:9092");
    env.put("SCHEMA_REGISTRY_URL", "http://registry:8080/apis/ccompat/v7");
    env.put("CLICKHOUSE_URL", "http://ch:8123");
    assertThat(SinkConfig.fromEnv(env).stallWarning()).isEqualTo(Duration.ofSeconds(10));

    env.put("RUNSTREAM_SINK_STALL_WARNING_MS", "2500");
    assertThat(SinkConfig.fromEnv(env).stallWarning()).isEqualTo(Duration.ofMillis(2500));
    assertThatThrownBy(() -> valid().stallWarning(Duration.ZERO))
        .hasMessageContaining("stallWarning");
  }
}
