package dev.runstream.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.clickhouse.client.api.Client;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.CurvePoint;
import dev.runstream.query.LeaderboardEntry;
import dev.runstream.query.MetricCurve;
import dev.runstream.query.RunQueries;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.testing.LocalStackExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The sink's promises under failure, on the real stack: killed with SIGKILL mid-ingest and started
 * again, and ClickHouse stopped during ingest. Afterwards every point is in ClickHouse exactly as
 * logged, and every count, curve and leaderboard equals the one computed from the logged data.
 */
@ExtendWith(LocalStackExtension.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SinkResilienceIT {
  private static final Duration DEADLINE = Duration.ofSeconds(120);
  private static final String PROJECT = "resilience";
  private static final int RUNS = 20;
  private static final int STEPS = 1000;
  private static final int BATCH_ROWS = 1000;

  private final LocalStack stack;
  private final String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private final Topics topics = Topics.withPrefix("res" + id + ".runstream.");
  private final String database = "res_" + id;
  private final String group = "sink-" + id;
  private final List<ClickHouseSink> sinks = new ArrayList<>();
  private final List<Process> children = new ArrayList<>();
  private KafkaProducer<String, SpecificRecord> producer;
  private Client client;
  private ClickHouseHttp http;
  private RunQueries queries;

  SinkResilienceIT(LocalStack stack) {
    this.stack = stack;
  }

  @BeforeEach
  void setUp() {
    producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrap(),
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.LINGER_MS_CONFIG,
                20,
                // A broker that just created the topics may move a partition's leadership; an
                // idempotent producer can then loop on OUT_OF_ORDER_SEQUENCE. Plain retries may
                // duplicate a record instead, which is exactly what the sink must absorb.
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                false,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                1),
            new StringSerializer(),
            new AvroSerializer<>(SerdeConfig.registry(stack.schemaRegistryUrl())));
    try (Admin admin =
        Admin.create(
            Map.<String, Object>of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
      TopicSetup.ensure(admin, topics, TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    client = ClickHouseHttp.newClient(stack.clickhouseUrl(), "default", "");
    http = new ClickHouseHttp(client, false);
    queries = new RunQueries(client, database);
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    for (Process child : children) {
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
    }
    sinks.forEach(ClickHouseSink::close);
    producer.close();
    http.execute("DROP DATABASE IF EXISTS " + database);
    queries.close();
    client.close();
  }

  /** The logged value of a metric of a run at a step; NaN now and then, as diverging runs do. */
  private static double value(int run, String metric, int step) {
    if (metric.equals("loss")) {
      return step % 397 == 7 && run % 3 == 0 ? Double.NaN : (run + 1.0) / (step + 1.0);
    }
    return 1.0 - 1.0 / (step + run + 2.0);
  }

  private static String runId(int run) {
    return "run-" + run;
  }

  /** Produces steps [from, to) of every run (and each run's start at step 0); waits for acks. */
  private void produce(int from, int to) {
    for (int run = 0; run < RUNS; run++) {
      if (from == 0) {
        send(
            topics.runs.name(),
            runId(run),
            RunEvent.newBuilder()
                .setRunId(runId(run))
                .setEntity("acme")
                .setProject(PROJECT)
                .setTimestampMs(1_700_000_000_000L + run)
                .setPayload(
                    RunStarted.newBuilder()
                        .setName("run " + run)
                        .setConfigJson("{\"lr\": " + (run % 4) + "}")
                        .build())
                .build());
      }
      for (int step = from; step < to; step++) {
        send(
            topics.metrics.name(),
            runId(run),
            MetricBatch.newBuilder()
                .setRunId(runId(run))
                .setEntity("acme")
                .setProject(PROJECT)
                .setStep(step)
                .setTimestampMs(1_700_000_000_000L + step * 100L)
                .setSequence(step + 1)
                .setNames(List.of("loss", "acc"))
                .setValues(List.of(value(run, "loss", step), value(run, "acc", step)))
                .build());
      }
    }
    producer.flush();
  }

  private void send(String topic, String key, SpecificRecord value) {
    producer.send(new ProducerRecord<>(topic, key, value));
  }

  private long distinctPoints() {
    return Long.parseLong(
        http.queryJson("SELECT count() AS c FROM " + database + ".metrics FINAL")
            .get(0)
            .get("c")
            .asText());
  }

  private boolean tableExists() {
    return !http.queryJson(
            "SELECT name FROM system.tables WHERE database = '"
                + database
                + "' AND name = 'metrics'")
        .isEmpty();
  }

  private ClickHouseSink startSink() {
    ClickHouseSink sink =
        ClickHouseSink.start(
            SinkConfig.builder()
                .bootstrapServers(stack.kafkaBootstrap())
                .schemaRegistryUrl(stack.schemaRegistryUrl())
                .clickHouseUrl(stack.clickhouseUrl())
                .database(database)
                .topics(topics)
                .groupId(group)
                .batchMaxRows(BATCH_ROWS)
                .batchMaxDelay(Duration.ofMillis(200))
                .build());
    sinks.add(sink);
    return sink;
  }

  /**
   * {@link SinkMain} in a child JVM with this test's settings, logging to target/; {@code
   * rollupIntervalMs} is how long it holds inserted batches uncommitted.
   */
  private Process startChildSink(long rollupIntervalMs) throws Exception {
    return startChildSink(rollupIntervalMs, Map.of());
  }

  /** {@link #startChildSink(long)} with more environment variables; logs to {@link #childLog}. */
  private Process startChildSink(long rollupIntervalMs, Map<String, String> more) throws Exception {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            SinkMain.class.getName());
    Map<String, String> env = pb.environment();
    env.put(SinkConfig.ENV_KAFKA_BOOTSTRAP, stack.kafkaBootstrap());
    env.put(SinkConfig.ENV_SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    env.put(SinkConfig.ENV_CLICKHOUSE_URL, stack.clickhouseUrl());
    env.put(SinkConfig.ENV_TOPIC_PREFIX, topics.prefix());
    env.put(SinkConfig.ENV_CLICKHOUSE_DATABASE, database);
    env.put(SinkConfig.ENV_GROUP_ID, group);
    env.put(SinkConfig.ENV_BATCH_MAX_ROWS, Integer.toString(BATCH_ROWS));
    env.put(SinkConfig.ENV_BATCH_MAX_DELAY_MS, "200");
    env.put(SinkConfig.ENV_ROLLUP_INTERVAL_MS, Long.toString(rollupIntervalMs));
    env.putAll(more);
    pb.redirectErrorStream(true).redirectOutput(childLog(children.size()).toFile());
    Process child = pb.start();
    children.add(child);
    return child;
  }

  /** The log of the {@code n}-th child sink of this test. */
  private Path childLog(int n) {
    return Paths.get("target", "sink-child-" + id + "-" + n + ".log");
  }

  /** Every stored point, every curve and the leaderboard equal what was logged. */
  private void assertEverythingExactlyOnce() {
    assertThat(distinctPoints()).isEqualTo(2L * RUNS * STEPS);
    // Curves follow the points within the sink's rollup interval (2 s by default).
    await()
        .atMost(DEADLINE)
        .until(
            () ->
                Long.parseLong(
                        http.queryJson(
                                "SELECT sum(points) AS c FROM "
                                    + database
                                    + ".metric_rollups FINAL WHERE width = 256")
                            .get(0)
                            .get("c")
                            .asText())
                    == 2L * RUNS * STEPS);
    for (int run = 0; run < RUNS; run++) {
      Map<String, NavigableMap<Long, Double>> points = queries.points(runId(run));
      assertThat(points.keySet()).containsExactly("acc", "loss");
      for (String metric : List.of("acc", "loss")) {
        NavigableMap<Long, Double> expected = new TreeMap<>();
        for (int step = 0; step < STEPS; step++) {
          expected.put((long) step, value(run, metric, step));
        }
        assertThat(points.get(metric)).as("%s of run %d", metric, run).isEqualTo(expected);
      }
    }
    List<MetricCurve> curves = queries.curves(PROJECT, "loss", 100);
    assertThat(curves).hasSize(RUNS);
    for (MetricCurve curve : curves) {
      int run = Integer.parseInt(curve.runId().substring(4));
      assertThat(curve.bucketWidth()).isEqualTo(12); // 1000 steps / 100 points, rounded to 4s
      assertThat(curve.points()).hasSize(84);
      for (CurvePoint p : curve.points()) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        int finite = 0;
        for (long step = p.firstStep(); step <= p.lastStep(); step++) {
          double v = value(run, "loss", (int) step);
          if (Double.isFinite(v)) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
            finite++;
          }
        }
        assertThat(p.points()).isEqualTo(p.lastStep() - p.firstStep() + 1);
        assertThat(p.finitePoints()).isEqualTo(finite);
        assertThat(p.min()).isEqualTo(min);
        assertThat(p.max()).isEqualTo(max);
        assertThat(p.mean()).isCloseTo(sum / finite, within(1e-12));
      }
    }
    List<LeaderboardEntry> top = queries.leaderboard(PROJECT, "loss", 3);
    assertThat(top).extracting(LeaderboardEntry::runId).containsExactly("run-0", "run-1", "run-2");
    assertThat(top.get(0).value()).isEqualTo(1.0 / STEPS);
    assertThat(top.get(0).step()).isEqualTo(STEPS - 1);
    assertThat(top.get(0).config()).containsEntry("lr", "0");
  }

  @Test
  void shouldStoreEveryPointExactlyOnceAfterTheSinkIsKilledMidIngest() throws Exception {
    produce(0, STEPS / 2);
    // A sink that commits nothing for ten minutes: when it is killed, every row it inserted is
    // uncommitted, the case of a crash between insert and commit.
    Process first = startChildSink(600_000);
    await().atMost(DEADLINE).until(() -> tableExists() && distinctPoints() >= 4 * BATCH_ROWS);
    first.destroyForcibly(); // SIGKILL: no flush, no commit, no shutdown hook
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(committedOffsets()).as("nothing committed before the kill").isEmpty();
    long atFirstKill = distinctPoints();
    assertThat(atFirstKill).isPositive();

    // A sink with the default interval, killed again once it committed something; more points
    // arrive meanwhile.
    Process second = startChildSink(SinkConfig.DEFAULT_ROLLUP_INTERVAL.toMillis());
    produce(STEPS / 2, STEPS);
    await().atMost(DEADLINE).until(() -> !committedOffsets().isEmpty());
    second.destroyForcibly();
    assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();

    ClickHouseSink third = startSink();
    await()
        .atMost(DEADLINE)
        .untilAsserted(() -> assertThat(distinctPoints()).isEqualTo(2L * RUNS * STEPS));
    await().atMost(DEADLINE).until(this::everythingCommitted);
    assertEverythingExactlyOnce();
    assertThat(third.stats().deadLettered()).isZero();
    assertThat(third.stats().rollupFailures()).isZero();
  }

  private Map<TopicPartition, OffsetAndMetadata> committedOffsets() throws Exception {
    try (Admin admin = admin()) {
      return admin
          .listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata()
          .get(30, TimeUnit.SECONDS);
    }
  }

  /** Whether the group committed every record of the runs and metrics topics. */
  private boolean everythingCommitted() throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed = committedOffsets();
    try (Admin admin = admin()) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (String topic : List.of(topics.runs.name(), topics.metrics.name())) {
        for (int p = 0; p < TopicSetup.DEFAULT_PARTITIONS; p++) {
          latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
      }
      for (var e : admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).entrySet()) {
        OffsetAndMetadata c = committed.get(e.getKey());
        if (e.getValue().offset() > 0 && (c == null || c.offset() < e.getValue().offset())) {
          return false;
        }
      }
      return true;
    }
  }

  private Admin admin() {
    return Admin.create(
        Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()));
  }

  @Test
  void shouldPauseWithBoundedMemoryWhileClickHouseIsDownAndLoseNothing() throws Exception {
    assumeFalse(stack.clickhouse().isExternal(), "needs a ClickHouse this test may stop and start");
    ClickHouseSink sink = startSink();
    produce(0, STEPS / 4);
    await().atMost(DEADLINE).until(() -> distinctPoints() == 2L * RUNS * STEPS / 4);

    stack.clickhouse().stop();
    try {
      produce(STEPS / 4, STEPS); // 30,000 points arrive while ClickHouse is down
      await().atMost(DEADLINE).until(() -> sink.stats().failedFlushes() >= 1);
      long read = sink.stats().recordsRead();
      // Paused: the consumer fetches nothing more while the held batch cannot be written.
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10))
          .until(() -> sink.stats().recordsRead() == read);
      assertThat(read).as("most records wait in Kafka, not in memory").isLessThan(RUNS * STEPS);
    } finally {
      stack.clickhouse().start();
    }

    await()
        .atMost(DEADLINE)
        .untilAsserted(() -> assertThat(distinctPoints()).isEqualTo(2L * RUNS * STEPS));
    await().atMost(DEADLINE).until(this::everythingCommitted);
    // At most two batches (one being written, one being filled), each at most one poll's records
    // (500 records of 2 points) over its size, were ever held.
    assertThat(sink.stats().maxBufferedRows()).isLessThanOrEqualTo(2 * (BATCH_ROWS + 1000));
    assertThat(sink.stats().retries()).isPositive();
    assertThat(sink.stats().deadLettered()).isZero();
    assertEverythingExactlyOnce();
  }

  @Test
  void shouldWarnOnceWhenClickHouseStopsAnsweringAndSayWhenItAnswersAgain() throws Exception {
    assumeFalse(stack.clickhouse().isExternal(), "needs a ClickHouse this test may freeze");
    // A child JVM logging to a file: its log is read whole, whatever the test's own logging does.
    startChildSink(
        SinkConfig.DEFAULT_ROLLUP_INTERVAL.toMillis(),
        Map.of(SinkConfig.ENV_STALL_WARNING_MS, "2000"));
    Path log = childLog(0);
    produce(0, STEPS / 4);
    await()
        .atMost(DEADLINE)
        .until(() -> tableExists() && distinctPoints() == 2L * RUNS * STEPS / 4);

    List<ProcessHandle> clickHouse = clickHouseProcesses();
    signal(clickHouse, "STOP"); // frozen: connections are accepted, nothing is answered
    try {
      produce(STEPS / 4, STEPS / 2);
      await().atMost(DEADLINE).until(() -> read(log).contains(" stalls: "));
    } finally {
      signal(clickHouse, "CONT");
    }
    await().atMost(DEADLINE).until(() -> read(log).contains(" answers again: "));
    await()
        .atMost(DEADLINE)
        .untilAsserted(() -> assertThat(distinctPoints()).isEqualTo(2L * RUNS * STEPS / 2));

    String where = Pattern.quote(stack.clickhouseUrl() + " (database " + database + ")");
    List<String> lines = read(log).lines().toList();
    assertThat(lines.stream().filter(l -> l.contains(" stalls: ")))
        .as("one warning for the whole stall")
        .singleElement(InstanceOfAssertFactories.STRING)
        .containsPattern(
            "WARN .*ClickHouse at "
                + where
                + " stalls: writes into (metrics|metric_rollups|runs) have not been answered for"
                + " \\d+ ms");
    assertThat(lines.stream().filter(l -> l.contains(" answers again: ")))
        .as("one recovery message")
        .singleElement(InstanceOfAssertFactories.STRING)
        .containsPattern(
            "INFO .*ClickHouse at "
                + where
                + " answers again: writes into \\w+ were stalled for \\d+ ms");
  }

  private static String read(Path log) throws IOException {
    // Leniently decoded: the child may be in the middle of writing a line.
    return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
  }

  /** The ClickHouse server this JVM's stack started (its watchdog shell excluded). */
  private static List<ProcessHandle> clickHouseProcesses() {
    List<ProcessHandle> found =
        ProcessHandle.current()
            .descendants()
            .filter(
                p -> {
                  String command = p.info().command().orElse("");
                  return command.contains("clickhouse") && !command.endsWith("sh");
                })
            .toList();
    assertThat(found).as("the ClickHouse server started by this test's stack").isNotEmpty();
    return found;
  }

  private static void signal(List<ProcessHandle> processes, String signal) throws Exception {
    for (ProcessHandle p : processes) {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid()))
              .redirectErrorStream(true)
              .start();
      String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(kill.waitFor(30, TimeUnit.SECONDS) && kill.exitValue() == 0)
          .as("kill -%s %d: %s", signal, p.pid(), output)
          .isTrue();
    }
  }
}
