package dev.runstream.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.schemas.avro.Severity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
  private static Map<String, String> env(String... kv) {
    Map<String, String> env = new HashMap<>();
    env.put("KAFKA_BOOTSTRAP", "localhost:9092");
    env.put("SCHEMA_REGISTRY_URL", "http://localhost:8080/apis/ccompat/v7");
    for (int i = 0; i < kv.length; i += 2) {
      env.put(kv[i], kv[i + 1]);
    }
    return env;
  }

  @Test
  void shouldUseTheDocumentedDefaults() {
    ProcessorConfig config = ProcessorConfig.fromEnv(env());
    MonitorSettings m = config.monitor();
    assertThat(m.unresponsiveAfter()).isEqualTo(Duration.ofMinutes(2));
    assertThat(m.crashedAfter()).isEqualTo(Duration.ofMinutes(10));
    assertThat(m.stateRetention()).isEqualTo(Duration.ofDays(7));
    assertThat(m.detectors().defaultSettings()).isEqualTo(DetectorSettings.defaults());
    assertThat(config.notifier().enabled()).isFalse();
    assertThat(m.team()).isEmpty();
    assertThat(ProcessorConfig.fromEnv(env("RUNSTREAM_TEAM", "vision")).monitor().team())
        .contains("vision");
  }

  @Test
  void shouldReadDurationsAsMillisecondsOrIso8601AndWebhooks() {
    ProcessorConfig config =
        ProcessorConfig.fromEnv(
            env(
                "RUNSTREAM_UNRESPONSIVE_AFTER_MS", "60000",
                "RUNSTREAM_CRASHED_AFTER_MS", "PT5M",
                "RUNSTREAM_WEBHOOK_URLS", "http://a.example/hook, https://b.example/x",
                "RUNSTREAM_WEBHOOK_MIN_SEVERITY", "warning"));
    assertThat(config.monitor().unresponsiveAfter()).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.monitor().crashedAfter()).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.notifier().webhooks()).hasSize(2);
    assertThat(config.notifier().minSeverity()).isEqualTo(Severity.WARNING);
  }

  @Test
  void shouldNameTheVariableThatIsWrong() {
    assertThatThrownBy(() -> ProcessorConfig.fromEnv(env("RUNSTREAM_CRASHED_AFTER_MS", "soon")))
        .hasMessageContaining("RUNSTREAM_CRASHED_AFTER_MS");
    assertThatThrownBy(
            () ->
                ProcessorConfig.fromEnv(
                    env(
                        "RUNSTREAM_UNRESPONSIVE_AFTER_MS", "600000",
                        "RUNSTREAM_CRASHED_AFTER_MS", "60000")))
        .hasMessageContaining("RUNSTREAM_CRASHED_AFTER_MS")
        .hasMessageContaining("longer than RUNSTREAM_UNRESPONSIVE_AFTER_MS");
    assertThatThrownBy(() -> ProcessorConfig.fromEnv(env("RUNSTREAM_WEBHOOK_URLS", "ftp://x")))
        .hasMessageContaining("RUNSTREAM_WEBHOOK_URLS");
    assertThatThrownBy(() -> ProcessorConfig.fromEnv(env("RUNSTREAM_EMA_ALPHA", "2")))
        .hasMessageContaining("RUNSTREAM_EMA_ALPHA");
    assertThatThrownBy(() -> ProcessorConfig.fromEnv(env("RUNSTREAM_TEAM", "a team")))
        .hasMessageContaining("RUNSTREAM_TEAM");
    assertThatThrownBy(() -> ProcessorConfig.fromEnv(Map.of()))
        .hasMessageContaining("KAFKA_BOOTSTRAP");
  }

  @Test
  void shouldNameTheServerOrNameSettingThatIsMalformed() {
    assertThatThrownBy(() -> ProcessorConfig.fromEnv(env("KAFKA_BOOTSTRAP", "localhost")))
        .hasMessage("KAFKA_BOOTSTRAP must be comma-separated host:port pairs: localhost");
    assertThatThrownBy(() -> ProcessorConfig.fromEnv(env("KAFKA_BOOTSTRAP", "a:9092,b:90x2")))
        .hasMessageContaining("KAFKA_BOOTSTRAP");
    assertThatThrownBy(
            () -> ProcessorConfig.fromEnv(env("SCHEMA_REGISTRY_URL", "localhost:8080/apis")))
        .hasMessageStartingWith("SCHEMA_REGISTRY_URL must be an http(s) URL");
    assertThatThrownBy(
            () -> ProcessorConfig.fromEnv(env("RUNSTREAM_PROCESSOR_APPLICATION_ID", "my app")))
        .hasMessageStartingWith("RUNSTREAM_PROCESSOR_APPLICATION_ID may hold only");
    assertThatThrownBy(() -> ProcessorConfig.fromEnv(env("RUNSTREAM_TOPIC_PREFIX", "team a.")))
        .hasMessageStartingWith("RUNSTREAM_TOPIC_PREFIX: ");
    assertThatThrownBy(() -> ProcessorConfig.fromEnv(env("RUNSTREAM_WEBHOOK_ATTEMPTS", "0")))
        .hasMessageContaining("RUNSTREAM_WEBHOOK_ATTEMPTS");
    assertThatThrownBy(() -> ProcessorConfig.fromEnv(env("RUNSTREAM_STATE_RETENTION_MS", "-5")))
        .hasMessageContaining("RUNSTREAM_STATE_RETENTION_MS");
    assertThatThrownBy(
            () -> ProcessorConfig.fromEnv(env("RUNSTREAM_DETECTORS_FILE", "no/such/file")))
        .hasMessageContaining("RUNSTREAM_DETECTORS_FILE cannot be read: no/such/file");

    ProcessorConfig ok =
        ProcessorConfig.fromEnv(
            env(
                "KAFKA_BOOTSTRAP", "k1.example:9092, 10.0.0.2:9093,[::1]:9094",
                "RUNSTREAM_PROCESSOR_APPLICATION_ID", "team-a.processor_2",
                "RUNSTREAM_TOPIC_PREFIX", "team-a.runstream."));
    assertThat(ok.topics().metrics.name()).isEqualTo("team-a.runstream.metrics");
    assertThat(ok.applicationId()).isEqualTo("team-a.processor_2");
  }

  @Test
  void shouldReadDurationsWithUnitsAndPassKafkaPropertiesToStreams() {
    ProcessorConfig config =
        ProcessorConfig.fromEnv(
            env(
                "RUNSTREAM_CRASHED_AFTER_MS", "15m",
                "RUNSTREAM_WEBHOOK_BACKOFF_MS", "2s",
                "RUNSTREAM_KAFKA_PROPERTIES",
                    "security.protocol=SASL_SSL,processing.guarantee=at_least_once"));
    assertThat(config.monitor().crashedAfter()).isEqualTo(Duration.ofMinutes(15));
    assertThat(config.notifier().initialBackoff()).isEqualTo(Duration.ofSeconds(2));
    Properties streams = StreamProcessor.streamsProperties(config);
    assertThat(streams)
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("processing.guarantee", "exactly_once_v2")
        .containsEntry("bootstrap.servers", "localhost:9092");
  }

  @Test
  void shouldFetchInLargerBatchesAndCompressWhatItWritesUnlessTheUserSaysOtherwise() {
    Properties defaults = StreamProcessor.streamsProperties(ProcessorConfig.fromEnv(env()));
    assertThat(defaults)
        .containsEntry("main.consumer.fetch.min.bytes", 64 * 1024)
        .containsEntry("main.consumer.fetch.max.wait.ms", 50)
        .containsEntry("producer.compression.type", "lz4");

    Properties user =
        StreamProcessor.streamsProperties(
            ProcessorConfig.fromEnv(
                env(
                    "RUNSTREAM_KAFKA_PROPERTIES",
                    "main.consumer.fetch.max.wait.ms=10,producer.compression.type=zstd")));
    assertThat(user)
        .containsEntry("main.consumer.fetch.max.wait.ms", "10")
        .containsEntry("producer.compression.type", "zstd");
  }

  @Test
  @Timeout(120)
  void shouldStopTheProcessorAtStartUpWithTheSettingNamed() throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            StreamProcessor.class.getName());
    pb.environment().put("KAFKA_BOOTSTRAP", "localhost:9092");
    pb.environment().put("SCHEMA_REGISTRY_URL", "http://localhost:8080");
    pb.environment().put("RUNSTREAM_CRASHED_AFTER_MS", "ten minutes");
    pb.redirectErrorStream(true);
    Process child = pb.start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).as(output).isEqualTo(2);
    assertThat(output)
        .contains("invalid configuration, not starting: RUNSTREAM_CRASHED_AFTER_MS must be");
  }

  @Test
  void shouldApplyOverridesByProjectAndMetricPatternInOrder(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("detectors.properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "divergence.factor=4",
            "rule.1.project=tinyllm*",
            "rule.1.metric=val_*",
            "rule.1.divergence.factor=6",
            "rule.2.metric=val_loss",
            "rule.2.spike.enabled=false"));
    DetectorRules rules =
        ProcessorConfig.fromEnv(env("RUNSTREAM_DETECTORS_FILE", file.toString()))
            .monitor()
            .detectors();
    assertThat(rules.resolve("other", "val_loss").divergenceFactor()).isEqualTo(4);
    assertThat(rules.resolve("other", "val_loss").spikeEnabled()).isFalse();
    assertThat(rules.resolve("tinyllm-2", "val_loss").divergenceFactor()).isEqualTo(6);
    assertThat(rules.resolve("tinyllm-2", "train_loss").divergenceFactor()).isEqualTo(4);
    assertThat(rules.resolve("tinyllm-2", "train_loss").spikeEnabled()).isTrue();
  }

  @Test
  void shouldNameTheDetectorKeyThatIsUnknownOrWrong() {
    Properties unknown = new Properties();
    unknown.setProperty("divergance.factor", "3");
    assertThatThrownBy(() -> DetectorRules.fromProperties(unknown))
        .hasMessageContaining("divergance.factor");

    Properties bad = new Properties();
    bad.setProperty("rule.3.divergence.factor", "0.5");
    assertThatThrownBy(() -> DetectorRules.fromProperties(bad))
        .hasMessageContaining("rule.3.divergence.factor")
        .hasMessageContaining("greater than 1");

    Properties notANumber = new Properties();
    notANumber.setProperty("spike.z", "high");
    assertThatThrownBy(() -> DetectorRules.fromProperties(notANumber))
        .hasMessageContaining("spike.z must be a number: high");
  }
}
