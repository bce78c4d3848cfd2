package dev.runstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runstream.deploy.internal.IoUtil;
import dev.runstream.deploy.internal.JavaRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starting, closing and crashing stacks of their own; no server may be left behind. */
class LocalStackLifecycleIT {
  private static final Logger LOG = LoggerFactory.getLogger(LocalStackLifecycleIT.class);

  @TempDir Path tmp;

  @Test
  void closeStopsEveryServerAndDeletesTheDataDirectory() {
    Path dataDir = tmp.resolve("stack");
    LocalStack stack = LocalStack.builder().dataDir(dataDir).useEnvironment(false).start();
    LOG.info("own stack started in {} ms", stack.startupTime().toMillis());
    assertThat(StackProcesses.of(dataDir))
        .as("kafka, registry and clickhouse processes")
        .anySatisfy(c -> assertThat(c).contains("kafka.Kafka"))
        .anySatisfy(c -> assertThat(c).contains("apicurio-registry-app"))
        .anySatisfy(c -> assertThat(c).contains("clickhouse-server"));

    stack.close();
    stack.close(); // idempotent

    assertThat(StackProcesses.of(dataDir)).isEmpty();
    assertThat(dataDir).doesNotExist();
    assertThat(stack.servers()).allSatisfy(s -> assertThat(s.isRunning()).isFalse());
  }

  @Test
  void aKeptDataDirectoryGivesEveryServerItsDataBackOnNewPorts() throws Exception {
    Path dataDir = tmp.resolve("kept");
    String topic = "kept-" + UUID.randomUUID();
    String schema =
        "{\"type\":\"record\",\"name\":\"Kept\",\"namespace\":\"dev.runstream.test\","
            + "\"fields\":[{\"name\":\"step\",\"type\":\"long\"}]}";
    String firstKafka;
    int schemaId;
    try (LocalStack stack =
        LocalStack.builder().dataDir(dataDir).keepDataDir(true).useEnvironment(false).start()) {
      firstKafka = stack.kafkaBootstrap();
      StackClients.produce(stack.kafkaBootstrap(), topic, "run-1", "before");
      // Another subject first, so the schema under test does not get id 1 by chance alone.
      StackClients.registerSchema(stack, "other-value", schema.replace("Kept", "Other"));
      schemaId = StackClients.registerSchema(stack, topic + "-value", schema);
      StackClients.clickhouse(stack, "CREATE TABLE kept (x UInt32) ENGINE = MergeTree ORDER BY x");
      StackClients.clickhouse(stack, "INSERT INTO kept VALUES (42)");
    }
    assertThat(dataDir).isDirectory();
    assertThat(StackProcesses.of(dataDir)).isEmpty();

    try (LocalStack stack =
        LocalStack.builder().dataDir(dataDir).keepDataDir(true).useEnvironment(false).start()) {
      LOG.info("kafka was at {}, is now at {}", firstKafka, stack.kafkaBootstrap());
      assertThat(StackClients.consumeAll(stack.kafkaBootstrap(), topic, 1))
          .containsExactly("before");
      assertThat(StackClients.clickhouse(stack, "SELECT sum(x) FROM kept")).isEqualTo("42");
      assertThat(StackClients.schemaById(stack, schemaId)).contains("dev.runstream.test", "Kept");
      // Registering the same schema again gives the id the records already carry.
      assertThat(StackClients.registerSchema(stack, topic + "-value", schema)).isEqualTo(schemaId);
    }
    assertThat(LocalStack.deleteDataDir(dataDir)).isTrue();
    assertThat(dataDir).doesNotExist();
  }

  @Test
  void noServerOutlivesAJvmKilledWithSigkill() throws Exception {
    Path dataDir = tmp.resolve("orphan-stack");
    Path ready = tmp.resolve("ready.txt");
    Path out = tmp.resolve("child.log");
    Process child =
        new ProcessBuilder(
                JavaRuntime.javaExecutable(),
                "-cp",
                System.getProperty("java.class.path"),
                OrphanProbeMain.class.getName(),
                dataDir.toString(),
                ready.toString())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    try {
      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(200))
          .failFast("the child JVM exited", () -> !child.isAlive())
          .until(() -> Files.exists(ready));
      List<String> servers = StackProcesses.of(dataDir);
      assertThat(servers).hasSizeGreaterThanOrEqualTo(3);

      child.destroyForcibly(); // SIGKILL: no shutdown hook runs
      child.waitFor();

      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .untilAsserted(() -> assertThat(StackProcesses.of(dataDir)).isEmpty());
    } finally {
      child.destroyForcibly();
      if (Files.exists(out)) {
        LOG.info("child JVM output:\n{}", IoUtil.tail(out, 30));
      }
      IoUtil.deleteRecursively(dataDir);
    }
  }

  @Test
  void serversNamedByEnvironmentVariablesAreReusedNotStarted() {
    Path dataDir = tmp.resolve("reusing");
    try (LocalStack shared =
            LocalStack.builder().dataDir(tmp.resolve("shared")).useEnvironment(false).start();
        LocalStack stack =
            LocalStack.builder()
                .environment(
                    Map.of(
                        "KAFKA_BOOTSTRAP", shared.kafkaBootstrap(),
                        "SCHEMA_REGISTRY_URL", shared.schemaRegistryUrl() + "/",
                        "CLICKHOUSE_URL", shared.clickhouseUrl()))
                .dataDir(dataDir)
                .start()) {
      assertThat(stack.kafkaBootstrap()).isEqualTo(shared.kafkaBootstrap());
      assertThat(stack.schemaRegistryUrl()).isEqualTo(shared.schemaRegistryUrl());
      assertThat(stack.clickhouseUrl()).isEqualTo(shared.clickhouseUrl());
      assertThat(stack.servers()).allSatisfy(s -> assertThat(s.isExternal()).isTrue());
      assertThat(stack.describe())
          .contains("reused from KAFKA_BOOTSTRAP")
          .contains("reused from SCHEMA_REGISTRY_URL")
          .contains("reused from CLICKHOUSE_URL")
          .doesNotContain("started here");
      assertThat(StackProcesses.of(dataDir)).isEmpty();
      stack.close();
      // Closing it left the shared servers alone.
      assertThat(shared.servers()).allSatisfy(s -> assertThat(s.isRunning()).isTrue());
    }
  }
}
