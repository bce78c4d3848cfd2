package dev.runstream.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunOptionsTest {
  @TempDir Path dir;

  record Hyperparameters(double learningRate, int epochs, Model model) {}

  record Model(String architecture, int layers) {}

  @Test
  void shouldUseDocumentedDefaultsWithAnEmptyEnvironment() {
    RunOptions o = RunOptions.builder("p", Map.of()).build();
    assertThat(o.entity()).isEqualTo(RunOptions.DEFAULT_ENTITY);
    assertThat(o.mode()).isEqualTo(Mode.ONLINE);
    assertThat(o.resume()).isEqualTo(Resume.NEVER);
    assertThat(o.directory()).isEqualTo(Path.of("runstream"));
    assertThat(o.kafkaBootstrap()).isEqualTo(RunOptions.DEFAULT_KAFKA_BOOTSTRAP);
    assertThat(o.schemaRegistryUrl()).isEqualTo(RunOptions.DEFAULT_SCHEMA_REGISTRY_URL);
    assertThat(o.topicPrefix()).isEqualTo("runstream.");
    assertThat(o.systemMetricsInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(o.fsyncInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(o.heartbeatInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(o.resumeLookupTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(o.name()).isNull();
    assertThat(o.runId()).isNull();
  }

  @Test
  void shouldTakeEveryOptionFromRunstreamEnvironmentVariables() throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("config.json"), "{\"lr\": 0.1, \"opt\": {\"name\": \"adam\"}}");
    Map<String, String> env =
        Map.ofEntries(
            Map.entry("RUNSTREAM_ENTITY", "team-a"),
            Map.entry("RUNSTREAM_NAME", "env-name"),
            Map.entry("RUNSTREAM_NOTES", "env notes"),
            Map.entry("RUNSTREAM_TAGS", "a, b,,a"),
            Map.entry("RUNSTREAM_RUN_GROUP", "sweep-1"),
            Map.entry("RUNSTREAM_JOB_TYPE", "train"),
            Map.entry("RUNSTREAM_RUN_ID", "abc123"),
            Map.entry("RUNSTREAM_RESUME", "allow"),
            Map.entry("RUNSTREAM_MODE", "Offline"),
            Map.entry("RUNSTREAM_DIR", dir.toString()),
            Map.entry("RUNSTREAM_CONFIG_FILE", config.toString()),
            Map.entry("RUNSTREAM_KAFKA_BOOTSTRAP", "k:1"),
            Map.entry("KAFKA_BOOTSTRAP", "ignored:2"),
            Map.entry("SCHEMA_REGISTRY_URL", "http://r"),
            Map.entry("RUNSTREAM_TOPIC_PREFIX", "team-a."),
            Map.entry("RUNSTREAM_HEARTBEAT_INTERVAL", "5"),
            Map.entry("RUNSTREAM_SYSTEM_METRICS_INTERVAL", "PT2S"),
            Map.entry("RUNSTREAM_FSYNC_INTERVAL", "0.25"),
            Map.entry("RUNSTREAM_FINISH_TIMEOUT", "60"),
            Map.entry("RUNSTREAM_RESUME_LOOKUP_TIMEOUT", "2.5"),
            Map.entry("RUNSTREAM_QUEUE_CAPACITY", "1024"));
    RunOptions o = RunOptions.builder("p", env).build();

    assertThat(o.entity()).isEqualTo("team-a");
    assertThat(o.name()).isEqualTo("env-name");
    assertThat(o.notes()).isEqualTo("env notes");
    assertThat(o.tags()).containsExactly("a", "b");
    assertThat(o.group()).isEqualTo("sweep-1");
    assertThat(o.jobType()).isEqualTo("train");
    assertThat(o.runId()).isEqualTo("abc123");
    assertThat(o.resume()).isEqualTo(Resume.ALLOW);
    assertThat(o.mode()).isEqualTo(Mode.OFFLINE);
    assertThat(o.directory()).isEqualTo(dir);
    assertThat(o.config()).containsEntry("lr", 0.1).containsEntry("opt", Map.of("name", "adam"));
    assertThat(o.kafkaBootstrap()).isEqualTo("k:1");
    assertThat(o.schemaRegistryUrl()).isEqualTo("http://r");
    assertThat(o.topicPrefix()).isEqualTo("team-a.");
    assertThat(o.heartbeatInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(o.systemMetricsInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(o.fsyncInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(o.finishTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(o.resumeLookupTimeout()).isEqualTo(Duration.ofMillis(2500));
    assertThat(o.queueCapacity()).isEqualTo(1024);
  }

  @Test
  void shouldLetExplicitArgumentsWinOverTheEnvironment() {
    Map<String, String> env =
        Map.of(
            "RUNSTREAM_ENTITY", "env-team",
            "RUNSTREAM_TAGS", "env-tag",
            "RUNSTREAM_MODE", "offline",
            "KAFKA_BOOTSTRAP", "env:9092");
    RunOptions o =
        RunOptions.builder("p", env)
            .entity("team")
            .tags("mine")
            .mode(Mode.ONLINE)
            .kafkaBootstrap("mine:9092")
            .build();
    assertThat(o.entity()).isEqualTo("team");
    assertThat(o.tags()).containsExactly("mine");
    assertThat(o.mode()).isEqualTo(Mode.ONLINE);
    assertThat(o.kafkaBootstrap()).isEqualTo("mine:9092");
  }

  @Test
  void shouldTakeConfigFromARecordAndFromAPropertiesFile() throws Exception {
    Path props = Files.writeString(dir.resolve("c.properties"), "b=2\na=one\n");
    RunOptions o =
        RunOptions.builder("p", Map.of())
            .config(new Hyperparameters(0.02, 10, new Model("CNN", 4)))
            .configFile(props)
            .config("epochs", 12)
            .build();
    assertThat(o.config())
        .containsEntry("learningRate", 0.02)
        .containsEntry("epochs", 12)
        .containsEntry("model", Map.of("architecture", "CNN", "layers", 4))
        .containsEntry("a", "one")
        .containsEntry("b", "2");
  }

  @Test
  void shouldRefuseInvalidSettingsWithAMessageNamingThem() {
    assertThatThrownBy(() -> RunOptions.builder("p", Map.of("RUNSTREAM_MODE", "sometimes")))
        .hasMessageContaining("RUNSTREAM_MODE");
    assertThatThrownBy(() -> RunOptions.builder("p", Map.of("RUNSTREAM_FSYNC_INTERVAL", "soon")))
        .hasMessageContaining("RUNSTREAM_FSYNC_INTERVAL");
    assertThatThrownBy(() -> RunOptions.builder("p", Map.of("RUNSTREAM_QUEUE_CAPACITY", "x")))
        .hasMessageContaining("RUNSTREAM_QUEUE_CAPACITY");
    assertThatThrownBy(() -> RunOptions.builder("p", Map.of()).runId("has space"))
        .hasMessageContaining("runId");
    assertThatThrownBy(() -> RunOptions.builder("p", Map.of()).resume(Resume.MUST).build())
        .hasMessageContaining("needs a runId");
    assertThatThrownBy(() -> RunOptions.builder(" ", Map.of())).hasMessageContaining("project");
    assertThatThrownBy(
            () -> RunOptions.builder("p", Map.of()).configFile(dir.resolve("missing.json")))
        .hasMessageContaining("missing.json");
    assertThatThrownBy(() -> RunOptions.builder("p", Map.of()).config(List.of(1, 2)))
        .hasMessageContaining("not a map");
  }

  @Test
  void shouldTakeNestedConfigFromMapsAndAJsonFile() throws Exception {
    Path json =
        Files.writeString(
            dir.resolve("hp.json"),
            "{\"optimizer\": {\"name\": \"adam\", \"betas\": [0.9, 0.999]}, \"epochs\": 3}");
    RunOptions o =
        RunOptions.builder("p", Map.of())
            .config(Map.of("model", Map.of("layers", 4, "heads", Map.of("count", 8))))
            .configFile(json)
            .build();
    assertThat(o.config())
        .containsEntry("model", Map.of("layers", 4, "heads", Map.of("count", 8)))
        .containsEntry("optimizer", Map.of("name", "adam", "betas", List.of(0.9, 0.999)))
        .containsEntry("epochs", 3);
    assertThatThrownBy(
            () ->
                RunOptions.builder("p", Map.of())
                    .configFile(Files.writeString(dir.resolve("list.json"), "[1, 2]")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("list.json")
        .hasMessageContaining("not a JSON object");
  }

  @Test
  void shouldRefuseAConfigValueThatCannotBeWrittenAsJsonWhenBuilt() {
    RunOptions.Builder b = RunOptions.builder("p", Map.of()).config("optimizer", new Object());
    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("config cannot be written as JSON");
  }

  @Test
  void shouldTakeGpuTagAndKafkaPropertiesFromTheEnvironment() {
    RunOptions o =
        RunOptions.builder(
                "p",
                Map.of(
                    "RUNSTREAM_GPU_TAG",
                    "true",
                    "RUNSTREAM_KAFKA_PROPERTIES",
                    "linger.ms=50, compression.type=zstd"))
            .build();
    assertThat(o.gpuTag()).isTrue();
    assertThat(o.kafkaProperties())
        .containsEntry("linger.ms", "50")
        .containsEntry("compression.type", "zstd");
    assertThat(RunOptions.builder("p", Map.of()).build().gpuTag()).isFalse();
  }

  @Test
  void shouldLetEveryExplicitArgumentWinOverItsVariable() {
    Map<String, String> env =
        Map.ofEntries(
            Map.entry("RUNSTREAM_NAME", "env-name"),
            Map.entry("RUNSTREAM_NOTES", "env notes"),
            Map.entry("RUNSTREAM_RUN_GROUP", "env-group"),
            Map.entry("RUNSTREAM_JOB_TYPE", "env-job"),
            Map.entry("RUNSTREAM_RUN_ID", "env-id"),
            Map.entry("RUNSTREAM_RESUME", "must"),
            Map.entry("RUNSTREAM_DIR", "env-dir"),
            Map.entry("RUNSTREAM_SCHEMA_REGISTRY_URL", "http://env"),
            Map.entry("RUNSTREAM_TOPIC_PREFIX", "env."),
            Map.entry("RUNSTREAM_HEARTBEAT_INTERVAL", "5"),
            Map.entry("RUNSTREAM_SYSTEM_METRICS_INTERVAL", "5"),
            Map.entry("RUNSTREAM_FSYNC_INTERVAL", "5"),
            Map.entry("RUNSTREAM_FINISH_TIMEOUT", "5"),
            Map.entry("RUNSTREAM_RESUME_LOOKUP_TIMEOUT", "5"),
            Map.entry("RUNSTREAM_QUEUE_CAPACITY", "5"),
            Map.entry("RUNSTREAM_GPU_TAG", "yes"),
            Map.entry("RUNSTREAM_KAFKA_PROPERTIES", "linger.ms=50"));
    RunOptions o =
        RunOptions.builder("p", env)
            .name("mine")
            .notes("my notes")
            .group("my-group")
            .jobType("eval")
            .runId("my-id")
            .resume(Resume.ALLOW)
            .directory(dir)
            .schemaRegistryUrl("http://mine")
            .topicPrefix("mine.")
            .heartbeatInterval(Duration.ofSeconds(1))
            .systemMetricsInterval(Duration.ZERO)
            .fsyncInterval(Duration.ofSeconds(2))
            .finishTimeout(Duration.ofSeconds(3))
            .resumeLookupTimeout(Duration.ZERO)
            .queueCapacity(7)
            .gpuTag(false)
            .kafkaProperty("linger.ms", 1)
            .config("lr", 0.5)
            .build();
    assertThat(o.name()).isEqualTo("mine");
    assertThat(o.notes()).isEqualTo("my notes");
    assertThat(o.group()).isEqualTo("my-group");
    assertThat(o.jobType()).isEqualTo("eval");
    assertThat(o.runId()).isEqualTo("my-id");
    assertThat(o.resume()).isEqualTo(Resume.ALLOW);
    assertThat(o.directory()).isEqualTo(dir);
    assertThat(o.schemaRegistryUrl()).isEqualTo("http://mine");
    assertThat(o.topicPrefix()).isEqualTo("mine.");
    assertThat(o.heartbeatInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(o.systemMetricsInterval()).isZero();
    assertThat(o.fsyncInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(o.finishTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(o.resumeLookupTimeout()).isZero();
    assertThat(o.queueCapacity()).isEqualTo(7);
    assertThat(o.gpuTag()).isFalse();
    assertThat(o.kafkaProperties()).containsEntry("linger.ms", 1);
  }

  @Test
  void shouldReadDurationsWithUnitsAndKafkaPropertiesFromAFile() throws Exception {
    Path file =
        Files.writeString(dir.resolve("kafka.properties"), "security.protocol=SSL\nacks=1\n");
    RunOptions o =
        RunOptions.builder(
                "p",
                Map.of(
                    "RUNSTREAM_HEARTBEAT_INTERVAL", "500ms",
                    "RUNSTREAM_FINISH_TIMEOUT", "2m",
                    "RUNSTREAM_KAFKA_PROPERTIES_FILE", file.toString(),
                    "RUNSTREAM_KAFKA_PROPERTIES", "acks=all"))
            .build();
    assertThat(o.heartbeatInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(o.finishTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(o.kafkaProperties())
        .containsEntry("security.protocol", "SSL")
        .containsEntry("acks", "all");
    assertThatThrownBy(
            () ->
                RunOptions.builder(
                    "p", Map.of("RUNSTREAM_KAFKA_PROPERTIES_FILE", dir.resolve("gone").toString())))
        .hasMessageStartingWith("RUNSTREAM_KAFKA_PROPERTIES_FILE cannot be read");
  }

  @Test
  void shouldNameTheVariableWhoseValueIsOutOfRange() {
    assertThatThrownBy(() -> RunOptions.builder("p", Map.of("RUNSTREAM_HEARTBEAT_INTERVAL", "0")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RUNSTREAM_HEARTBEAT_INTERVAL")
        .hasMessageContaining("must be positive");
    assertThatThrownBy(
            () -> RunOptions.builder("p", Map.of("RUNSTREAM_SYSTEM_METRICS_INTERVAL", "-1")))
        .hasMessageContaining("RUNSTREAM_SYSTEM_METRICS_INTERVAL");
    assertThatThrownBy(() -> RunOptions.builder("p", Map.of("RUNSTREAM_QUEUE_CAPACITY", "0")))
        .hasMessageContaining("RUNSTREAM_QUEUE_CAPACITY");
    assertThatThrownBy(
            () -> RunOptions.builder("p", Map.of("RUNSTREAM_RESUME_LOOKUP_TIMEOUT", "-2")))
        .hasMessageContaining("RUNSTREAM_RESUME_LOOKUP_TIMEOUT")
        .hasMessageContaining("resumeLookupTimeout must not be negative");
    assertThatThrownBy(() -> RunOptions.builder("p", Map.of("RUNSTREAM_RUN_ID", "a b")))
        .hasMessageContaining("RUNSTREAM_RUN_ID");
    assertThatThrownBy(() -> RunOptions.builder("p", Map.of("RUNSTREAM_GPU_TAG", "maybe")))
        .hasMessageContaining("RUNSTREAM_GPU_TAG");
    assertThatThrownBy(() -> RunOptions.builder("p", Map.of("RUNSTREAM_KAFKA_PROPERTIES", "acks")))
        .hasMessageContaining("RUNSTREAM_KAFKA_PROPERTIES");
    assertThatThrownBy(
            () ->
                RunOptions.builder(
                    "p", Map.of("RUNSTREAM_CONFIG_FILE", dir.resolve("gone.json").toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RUNSTREAM_CONFIG_FILE");
    // A blank variable is unset, not an error.
    assertThat(RunOptions.builder("p", Map.of("RUNSTREAM_ENTITY", " ")).build().entity())
        .isEqualTo(RunOptions.DEFAULT_ENTITY);
  }

  @Test
  void shouldAcceptEverythingAndSendNothingWhenDisabled() {
    Run run = Runstream.init(RunOptions.builder("p", Map.of("RUNSTREAM_MODE", "disabled")).build());
    run.log(Map.of("loss", 1.0));
    run.log("loss", 0.5);
    run.finish();
    assertThat(run.mode()).isEqualTo(Mode.DISABLED);
    assertThat(run.directory()).isEmpty();
    assertThat(run.step()).isEqualTo(2);
    assertThat(run.counters().accepted()).isEqualTo(2);
    assertThat(run.counters().sent()).isZero();
  }
}
