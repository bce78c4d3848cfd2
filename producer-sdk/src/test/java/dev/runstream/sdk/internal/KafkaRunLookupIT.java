package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.deploy.LocalStack;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import dev.runstream.sdk.internal.BackwardScan.Goal;
import dev.runstream.sdk.internal.RunHistory.Outcome;
import dev.runstream.testing.LocalStackExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The lookup against the real broker: partitions, windows, time floors, an absent broker. */
@ExtendWith(LocalStackExtension.class)
@Timeout(180)
class KafkaRunLookupIT {
  @TempDir Path dir;

  private static String prefix() {
    return "lookup-it-" + UUID.randomUUID().toString().substring(0, 8) + ".";
  }

  /**
   * A new team prefix whose topics exist, as in a deployment: left to auto-creation, a partition's
   * leadership can move under the run's idempotent producer, which then retries
   * OUT_OF_ORDER_SEQUENCE_NUMBER for as long as the test waits.
   */
  private static String prefixWithTopics(LocalStack stack) {
    String prefix = prefix();
    try (Admin admin =
        Admin.create(
            Map.<String, Object>of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
      TopicSetup.ensure(admin, Topics.withPrefix(prefix), TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    return prefix;
  }

  /** A finished run of {@code steps} steps; returns the highest sequence it journalled. */
  private long logRun(LocalStack stack, String prefix, String id, int steps) throws IOException {
    Run run =
        Runstream.init(
            RunOptions.builder("tinyllm", Map.of())
                .kafkaBootstrap(stack.kafkaBootstrap())
                .schemaRegistryUrl(stack.schemaRegistryUrl())
                .topicPrefix(prefix)
                .directory(dir)
                .entity("team-a")
                .runId(id)
                .name("lookup-name")
                .systemMetricsInterval(Duration.ZERO)
                .build());
    for (int step = 0; step < steps; step++) {
      run.log(Map.of("loss", 1.0 / (step + 1)));
    }
    run.finish();
    assertThat(run.counters().unsent()).isZero();
    return JournalReader.readAll(run.directory().orElseThrow(), 0).stream()
        .mapToLong(JournalRecord::sequence)
        .max()
        .orElseThrow();
  }

  /**
   * Appends {@code n} records of other runs to the partition that holds {@code runId} in {@code
   * topic}, stamped {@code timestamp}: a busy team's traffic after the run.
   */
  private static void fill(LocalStack stack, String topic, String runId, int n, long timestamp) {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrap(),
                ProducerConfig.LINGER_MS_CONFIG,
                20),
            new StringSerializer(),
            new ByteArraySerializer())) {
      int partitions = producer.partitionsFor(topic).size();
      int partition =
          BuiltInPartitioner.partitionForKey(runId.getBytes(StandardCharsets.UTF_8), partitions);
      byte[] value = new byte[64];
      for (int i = 0; i < n; i++) {
        producer.send(new ProducerRecord<>(topic, partition, timestamp, "other-" + i, value));
      }
      producer.flush();
    }
  }

  private static KafkaRunLookup lookup(LocalStack stack, String prefix, String bootstrap) {
    return new KafkaRunLookup(
        bootstrap,
        Map.of(),
        Topics.withPrefix(prefix),
        SerdeConfig.registry(stack.schemaRegistryUrl()),
        Duration.ofSeconds(60));
  }

  @Test
  void shouldReadBackPastOtherRunsToTheRunAndNotBelowItsLastEvent(LocalStack stack)
      throws IOException {
    String prefix = prefixWithTopics(stack);
    Topics topics = Topics.withPrefix(prefix);
    String id = "busy-" + prefix.substring(10, 18);
    long lastSequence = logRun(stack, prefix, id, 30);
    long now = System.currentTimeMillis();
    fill(stack, topics.runs.name(), id, 5_000, now);
    fill(stack, topics.metrics.name(), id, 5_000, now);
    // Partitions without the run's records (system metrics off, no alerts), holding only older
    // records: reading them back to their start would be wasted.
    fill(stack, topics.system.name(), id, 50_000, now - 7_200_000);
    fill(stack, topics.alerts.name(), id, 50_000, now - 7_200_000);

    RunHistory history = lookup(stack, prefix, stack.kafkaBootstrap()).find(id, Goal.RESUME, true);

    assertThat(history.outcome()).isEqualTo(Outcome.FOUND);
    assertThat(history.complete()).as(history.detail()).isTrue();
    assertThat(history.lastStep()).isEqualTo(29);
    assertThat(history.lastSequence()).isEqualTo(lastSequence);
    assertThat(history.name()).isEqualTo("lookup-name");
    assertThat(history.entity()).isEqualTo("team-a");
    assertThat(history.project()).isEqualTo("tinyllm");
    // Past 5,000 records of others in the runs and in the metrics partition, but not through the
    // 100,000 older ones of the system and alerts partitions.
    assertThat(history.recordsRead()).as(history.detail()).isBetween(10_000L, 60_000L);
  }

  @Test
  void shouldTellWhetherARunExistsFromItsLifecyclePartition(LocalStack stack) throws IOException {
    String prefix = prefixWithTopics(stack);
    String id = "exists-" + prefix.substring(10, 18);
    logRun(stack, prefix, id, 3);
    KafkaRunLookup lookup = lookup(stack, prefix, stack.kafkaBootstrap());

    assertThat(lookup.find(id, Goal.EXISTS, false).outcome()).isEqualTo(Outcome.FOUND);
    RunHistory nobody = lookup.find("nobody-" + prefix.substring(10, 18), Goal.RESUME, true);
    assertThat(nobody.outcome()).isEqualTo(Outcome.ABSENT);
    assertThat(nobody.complete()).isTrue();
    // Another team's prefix: its topics do not exist, so neither does the run there.
    RunHistory elsewhere =
        lookup(stack, prefix(), stack.kafkaBootstrap()).find(id, Goal.EXISTS, false);
    assertThat(elsewhere.outcome()).isEqualTo(Outcome.ABSENT);
    assertThat(elsewhere.detail()).contains("no topics");
  }

  @Test
  void shouldSayUnreachableWhenNoBrokerAnswersWithinTheBudget(LocalStack stack) throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    KafkaRunLookup lookup =
        new KafkaRunLookup(
            "127.0.0.1:" + closedPort,
            Map.of(),
            Topics.withPrefix(prefix()),
            SerdeConfig.registry(stack.schemaRegistryUrl()),
            Duration.ofSeconds(1));

    RunHistory history = lookup.find("any", Goal.RESUME, true);

    assertThat(history.outcome()).isEqualTo(Outcome.UNREACHABLE);
    assertThat(history.detail())
        .isEqualTo("Kafka at 127.0.0.1:" + closedPort + " did not answer within 1000 ms");
  }
}
