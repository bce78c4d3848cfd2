package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;

class KafkaRunLookupTest {
  @Test
  void shouldReadWithTheProducersClientSettingsButNeverCommitOrCreateTopics() {
    Map<String, Object> config =
        KafkaRunLookup.consumerConfig(
            "broker:9092",
            Map.of(
                "security.protocol",
                "SASL_SSL",
                "sasl.mechanism",
                "PLAIN",
                "linger.ms",
                50,
                "enable.auto.commit",
                true,
                "group.id",
                "someone",
                "allow.auto.create.topics",
                true),
            Duration.ofSeconds(10));

    assertThat(config)
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "PLAIN")
        .containsEntry(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "broker:9092")
        .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false)
        .containsEntry(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
        .containsEntry(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false)
        .containsEntry(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000)
        .doesNotContainKey("linger.ms")
        .doesNotContainKey(ConsumerConfig.GROUP_ID_CONFIG);
  }

  @Test
  void shouldLetTheProducersBootstrapOverrideWinAsItDoesForTheProducer() {
    Map<String, Object> config =
        KafkaRunLookup.consumerConfig(
            "default:9092", Map.of("bootstrap.servers", "override:9092"), Duration.ofSeconds(1));

    assertThat(config).containsEntry(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "override:9092");
    assertThat(config).containsEntry(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1_000);
  }
}
