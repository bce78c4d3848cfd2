package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.StreamProcessor;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.RunSummary;
import dev.runstream.sink.ClickHouseSink;
import dev.runstream.sink.SinkConfig;
import dev.runstream.testing.LocalStackExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor and the sink together on the real stack: a processor JVM killed with SIGKILL while
 * a transaction of it holds summaries and alerts leaves no phantom row in ClickHouse. The sink runs
 * throughout; afterwards ClickHouse holds exactly the summaries and alerts of committed
 * transactions, none of the aborted ones, which the topics still hold.
 *
 * <p>Here rather than in the sink's tests because only this module sees both the processor and the
 * sink.
 */
@ExtendWith(LocalStackExtension.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class KilledProcessorSinkIT {
  private static final Duration DEADLINE = Duration.ofMinutes(3);
  private static final int RUNS = 6;
  // The pace of the simulated training jobs, not synchronisation: the processor must be busy.
  private static final Duration TICK = Duration.ofMillis(30);

  private final String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private final Topics topics = Topics.withPrefix("kill" + id + ".runstream.");
  private final String database = "kill_" + id;
  private final String appId = "kill-" + id;
  private ClickHouseHttp http;

  @BeforeEach
  void setUp(LocalStack stack) {
    http = new ClickHouseHttp(ClickHouseHttp.newClient(stack.clickhouseUrl(), "default", ""), true);
  }

  @AfterEach
  void tearDown() {
    http.execute("DROP DATABASE IF EXISTS " + database);
    http.close();
  }

  /** NaN every fifth step, finite after: a non-finite alert and its resolution every 5 steps. */
  private static double loss(int step) {
    return step % 5 == 3 ? Double.NaN : 1.0 / (step + 1);
  }

  @Test
  void shouldStoreOnlyCommittedSummariesAndAlertsWhenTheProcessorIsKilledMidTransaction(
      LocalStack stack, @TempDir Path dir) throws Exception {
    try (Admin admin = admin(stack)) {
      TopicSetup.ensure(admin, topics, TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    Path stateDir = dir.resolve("state");
    Path logFile =
        Files.createDirectories(Paths.get("target")).resolve("killed-processor-" + id + ".log");
    List<Process> children = new ArrayList<>();
    AtomicBoolean feeding = new AtomicBoolean(true);
    try (ClickHouseSink sink =
            ClickHouseSink.start(
                SinkConfig.builder()
                    .bootstrapServers(stack.kafkaBootstrap())
                    .schemaRegistryUrl(stack.schemaRegistryUrl())
                    .clickHouseUrl(stack.clickhouseUrl())
                    .database(database)
                    .topics(topics)
                    .groupId("sink-" + id)
                    .batchMaxDelay(Duration.ofMillis(200))
                    .build());
        KafkaProducer<String, SpecificRecord> producer = producer(stack);
        Admin admin = admin(stack)) {
      Process first = startProcessor(stack, stateDir, logFile);
      children.add(first);
      for (int run = 0; run < RUNS; run++) {
        producer.send(
            new ProducerRecord<>(
                topics.runs.name(),
                runId(run),
                event(run, 1, RunStarted.newBuilder().setName("run " + run).build())));
      }
      producer.flush();
      CompletableFuture<Integer> feeder =
          CompletableFuture.supplyAsync(() -> feed(producer, feeding));

      // Killed while frozen (SIGSTOP) with a transaction open that already wrote output, once
      // some output was committed and stored.
      boolean[] open = new boolean[1];
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                if (!first.isAlive()) {
                  throw new IllegalStateException("the processor died on its own: " + logFile);
                }
                if (stableEnd(admin, topics.alerts.name()) == 0) {
                  return false;
                }
                signal(first, "STOP");
                open[0] = openTransactionWithOutput(admin);
                if (!open[0]) {
                  signal(first, "CONT");
                }
                return open[0];
              });
      first.destroyForcibly(); // SIGKILL: no commit, no abort, no shutdown hook
      assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();

      feeding.set(false);
      int steps = feeder.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      for (int run = 0; run < RUNS; run++) {
        producer.send(
            new ProducerRecord<>(
                topics.runs.name(),
                runId(run),
                event(run, 2, RunFinished.newBuilder().setExitCode(0).build())));
      }
      producer.flush();

      // Restarted on the same state directory: the same transactional id fences the dead one, so
      // its open transaction is aborted at once.
      Process second = startProcessor(stack, stateDir, logFile);
      children.add(second);
      await()
          .atMost(DEADLINE)
          .until(
              () ->
                  http.queryJson(
                              "SELECT run_id FROM "
                                  + database
                                  + ".run_states FINAL WHERE state = 'FINISHED'")
                          .size()
                      == RUNS);
      // Stopped, so that the topics hold still while they are compared with ClickHouse.
      second.destroy();
      assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();

      Deserializer<RunSummary> summaries =
          topics.runSummaries.serde(SerdeConfig.registry(stack.schemaRegistryUrl())).deserializer();
      Deserializer<Alert> alerts =
          topics.alerts.serde(SerdeConfig.registry(stack.schemaRegistryUrl())).deserializer();
      Function<ConsumerRecord<String, byte[]>, String> summaryKey =
          r -> {
            RunSummary s = summaries.deserialize(r.topic(), r.headers(), r.value());
            return s.getRunId() + " " + s.getUpdatedMs();
          };
      Function<ConsumerRecord<String, byte[]>, String> alertKey =
          r -> {
            Alert a = alerts.deserialize(r.topic(), r.headers(), r.value());
            return a.getEpisodeId() + " " + (a.getResolved() ? 1 : 0) + " " + a.getTimestampMs();
          };
      List<ConsumerRecord<String, byte[]>> summariesCommitted =
          read(stack, topics.runSummaries.name(), IsolationLevel.READ_COMMITTED);
      List<ConsumerRecord<String, byte[]>> summariesWritten =
          read(stack, topics.runSummaries.name(), IsolationLevel.READ_UNCOMMITTED);
      List<ConsumerRecord<String, byte[]>> alertsCommitted =
          read(stack, topics.alerts.name(), IsolationLevel.READ_COMMITTED);
      List<ConsumerRecord<String, byte[]>> alertsWritten =
          read(stack, topics.alerts.name(), IsolationLevel.READ_UNCOMMITTED);
      int abortedRecords =
          summariesWritten.size()
              - summariesCommitted.size()
              + alertsWritten.size()
              - alertsCommitted.size();
      Set<String> committedSummaries = keys(summariesCommitted, summaryKey);
      Set<String> committedAlerts = keys(alertsCommitted, alertKey);
      // Aborted output the restarted processor did not write again in the same form.
      Set<String> abortedSummaries = keys(summariesWritten, summaryKey);
      abortedSummaries.removeAll(committedSummaries);
      Set<String> abortedAlerts = keys(alertsWritten, alertKey);
      abortedAlerts.removeAll(committedAlerts);

      assertThat(steps).as("steps fed").isPositive();
      assertThat(open[0]).as("the kill left a transaction holding output open").isTrue();
      assertThat(abortedRecords)
          .as("output of aborted transactions is on the topics, so the test proves something")
          .isPositive();
      assertThat(committedAlerts).isNotEmpty();
      Map<String, String> latestCommitted = new HashMap<>();
      for (String key : committedSummaries) {
        String[] runAndTime = key.split(" ");
        latestCommitted.merge(
            runAndTime[0], runAndTime[1], (a, b) -> Long.parseLong(a) >= Long.parseLong(b) ? a : b);
      }
      // The sink runs on: wait until it has written one row per committed record, and no more.
      // The summary rows of a run merge in the background, so their count is the sink's own.
      await()
          .atMost(DEADLINE)
          .untilAsserted(
              () -> {
                assertThat(sink.stats().rowsWritten("run_states"))
                    .as("one row per committed summary")
                    .isEqualTo(summariesCommitted.size());
                assertThat(sink.stats().rowsWritten("alerts"))
                    .as("one row per committed alert")
                    .isEqualTo(alertsCommitted.size());
              });
      assertThat(storedSummaries()).as("summary rows").isSubsetOf(committedSummaries);
      assertThat(storedSummaries()).noneMatch(abortedSummaries::contains);
      Map<String, String> latestStored = new HashMap<>();
      http.queryJson("SELECT run_id, updated_ms FROM " + database + ".run_states FINAL")
          .forEach(r -> latestStored.put(r.get("run_id").asText(), r.get("updated_ms").asText()));
      assertThat(latestStored).as("each run's latest summary").isEqualTo(latestCommitted);
      assertThat(storedAlerts()).as("alerts in ClickHouse").isEqualTo(committedAlerts);
      assertThat(storedAlerts()).noneMatch(abortedAlerts::contains);
      assertThat(sink.stats().deadLettered()).isZero();
    } finally {
      feeding.set(false);
      for (Process p : children) {
        signal(p, "CONT");
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  private static String runId(int run) {
    return "killed-" + run;
  }

  private static RunEvent event(int run, long sequence, Object payload) {
    return RunEvent.newBuilder()
        .setRunId(runId(run))
        .setEntity("team")
        .setProject("kill")
        .setTimestampMs(System.currentTimeMillis())
        .setSequence(sequence)
        .setPayload(payload)
        .build();
  }

  /** Logs a step of every run per tick until {@code feeding} turns false; returns the steps. */
  private int feed(KafkaProducer<String, SpecificRecord> producer, AtomicBoolean feeding) {
    int step = 0;
    for (; feeding.get(); step++) {
      for (int run = 0; run < RUNS; run++) {
        producer.send(
            new ProducerRecord<>(
                topics.metrics.name(),
                runId(run),
                MetricBatch.newBuilder()
                    .setRunId(runId(run))
                    .setEntity("team")
                    .setProject("kill")
                    .setStep(step)
                    .setTimestampMs(System.currentTimeMillis())
                    .setSequence(step + 1)
                    .setNames(List.of("loss"))
                    .setValues(List.of(loss(step)))
                    .build()));
      }
      producer.flush();
      try {
        Thread.sleep(TICK.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while feeding", e);
      }
    }
    return step;
  }

  private static KafkaProducer<String, SpecificRecord> producer(LocalStack stack) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            stack.kafkaBootstrap(),
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true,
            ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
            1),
        new StringSerializer(),
        new AvroSerializer<>(SerdeConfig.registry(stack.schemaRegistryUrl())));
  }

  private static Admin admin(LocalStack stack) {
    return Admin.create(
        Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()));
  }

  private Process startProcessor(LocalStack stack, Path stateDir, Path logFile) throws IOException {
    Map<String, String> env =
        Map.of(
            "KAFKA_BOOTSTRAP",
            stack.kafkaBootstrap(),
            "SCHEMA_REGISTRY_URL",
            stack.schemaRegistryUrl(),
            "RUNSTREAM_TOPIC_PREFIX",
            topics.prefix(),
            "RUNSTREAM_PROCESSOR_APPLICATION_ID",
            appId,
            "RUNSTREAM_STATE_DIR",
            stateDir.toString(),
            // Summaries five times as often as by default: more transactions hold output at the
            // kill.
            "RUNSTREAM_SUMMARY_INTERVAL_MS",
            "200");
    return ChildJvm.start("processor", StreamProcessor.class, "256m", env, logFile, false)
        .process();
  }

  private Map<TopicPartition, OffsetSpec> outputPartitions() {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (String topic : List.of(topics.runSummaries.name(), topics.alerts.name())) {
      for (int p = 0; p < TopicSetup.DEFAULT_PARTITIONS; p++) {
        request.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
    }
    return request;
  }

  private Map<TopicPartition, Long> ends(Admin admin, IsolationLevel level) throws Exception {
    Map<TopicPartition, Long> ends = new HashMap<>();
    admin
        .listOffsets(outputPartitions(), new ListOffsetsOptions(level))
        .all()
        .get(30, TimeUnit.SECONDS)
        .forEach((tp, info) -> ends.put(tp, info.offset()));
    return ends;
  }

  /** The sum of {@code topic}'s last stable offsets: what read_committed readers may see. */
  private long stableEnd(Admin admin, String topic) throws Exception {
    return ends(admin, IsolationLevel.READ_COMMITTED).entrySet().stream()
        .filter(e -> e.getKey().topic().equals(topic))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }

  /** Whether an open transaction already wrote summaries or alerts beyond the stable offsets. */
  private boolean openTransactionWithOutput(Admin admin) throws Exception {
    Map<TopicPartition, Long> written = ends(admin, IsolationLevel.READ_UNCOMMITTED);
    Map<TopicPartition, Long> stable = ends(admin, IsolationLevel.READ_COMMITTED);
    return written.keySet().stream().anyMatch(tp -> written.get(tp) > stable.get(tp));
  }

  /** The distinct (run, updated_ms) of every summary row in ClickHouse, merged or not. */
  private Set<String> storedSummaries() {
    Set<String> stored = new HashSet<>();
    http.queryJson("SELECT DISTINCT run_id, updated_ms FROM " + database + ".run_states")
        .forEach(r -> stored.add(r.get("run_id").asText() + " " + r.get("updated_ms").asText()));
    return stored;
  }

  /** The distinct (episode, resolved, time_ms) of every alert row in ClickHouse. */
  private Set<String> storedAlerts() {
    Set<String> stored = new HashSet<>();
    http.queryJson("SELECT DISTINCT episode_id, resolved, time_ms FROM " + database + ".alerts")
        .forEach(
            r ->
                stored.add(
                    r.get("episode_id").asText()
                        + " "
                        + r.get("resolved").asText()
                        + " "
                        + r.get("time_ms").asText()));
    return stored;
  }

  private static Set<String> keys(
      List<ConsumerRecord<String, byte[]>> records,
      Function<ConsumerRecord<String, byte[]>, String> key) {
    Set<String> keys = new HashSet<>();
    records.forEach(r -> keys.add(key.apply(r)));
    return keys;
  }

  /** Every record of {@code topic} that a {@code level} reader sees, read by assignment. */
  private static List<ConsumerRecord<String, byte[]>> read(
      LocalStack stack, String topic, IsolationLevel level) {
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrap(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                level.toString(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < TopicSetup.DEFAULT_PARTITIONS; p++) {
        partitions.add(new TopicPartition(topic, p));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      await()
          .atMost(DEADLINE)
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
              });
    }
    return records;
  }

  /** Sends {@code signal} (STOP, CONT) to {@code process} with the {@code kill} command. */
  private static void signal(Process process, String signal)
      throws IOException, InterruptedException {
    ChildJvm.signal(process, signal);
  }
}
