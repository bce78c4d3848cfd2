package dev.runstream.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.clickhouse.client.api.Client;
import com.fasterxml.jackson.databind.JsonNode;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.MetricGoal;
import dev.runstream.query.MetricSummaryRow;
import dev.runstream.query.RunComparison;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRecord;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.MetricAggregate;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.RunSummary;
import dev.runstream.schemas.avro.Severity;
import dev.runstream.schemas.avro.TagsUpdated;
import dev.runstream.sink.internal.DeadLetters;
import dev.runstream.testing.LocalStackExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The sink on the real stack: Kafka broker, Apicurio registry, ClickHouse 18.16. Each test uses its
 * own topic prefix, consumer group and database, so tests do not see each other's data.
 */
@ExtendWith(LocalStackExtension.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClickHouseSinkIT {
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final String TRICKY_NAME = "it's a \\'test\\' run'); DROP TABLE runs; --";

  private final LocalStack stack;
  private final String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private final Topics topics = Topics.withPrefix("it" + id + ".runstream.");
  private final String database = "it_" + id;
  private final List<ClickHouseSink> sinks = new ArrayList<>();
  private KafkaProducer<String, SpecificRecord> producer;
  private Client client;
  private RunQueries queries;

  ClickHouseSinkIT(LocalStack stack) {
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
                "all"),
            new StringSerializer(),
            new AvroSerializer<>(SerdeConfig.registry(stack.schemaRegistryUrl())));
    // Created up front, as a deployment does; a broker that auto-creates topics would otherwise
    // make single-partition ones when the test's producer first sends.
    try (Admin admin =
        Admin.create(
            Map.<String, Object>of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
      TopicSetup.ensure(admin, topics, TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    client = ClickHouseHttp.newClient(stack.clickhouseUrl(), "default", "");
    queries = new RunQueries(client, database);
  }

  @AfterEach
  void tearDown() {
    sinks.forEach(ClickHouseSink::close);
    producer.close();
    queries.close();
    try (ClickHouseHttp ch = new ClickHouseHttp(client, true)) {
      ch.execute("DROP DATABASE IF EXISTS " + database);
    }
  }

  private ClickHouseSink startSink(String groupId) {
    ClickHouseSink sink =
        ClickHouseSink.start(
            SinkConfig.builder()
                .bootstrapServers(stack.kafkaBootstrap())
                .schemaRegistryUrl(stack.schemaRegistryUrl())
                .clickHouseUrl(stack.clickhouseUrl())
                .database(database)
                .topics(topics)
                .groupId(groupId)
                .batchMaxDelay(Duration.ofMillis(200))
                .build());
    sinks.add(sink);
    return sink;
  }

  private void send(String topic, String key, SpecificRecord value) throws Exception {
    producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
  }

  /** A run with every kind of record: 11 records in all. */
  private void produceRun(String runId, String project, String name) throws Exception {
    long t0 = 1_700_000_000_000L;
    send(
        topics.runs.name(),
        runId,
        RunEvent.newBuilder()
            .setRunId(runId)
            .setEntity("acme")
            .setProject(project)
            .setTimestampMs(t0)
            .setSequence(0)
            .setPayload(
                RunStarted.newBuilder()
                    .setName(name)
                    .setNotes("baseline with it's quote")
                    .setTags(List.of("baseline", "o'brien"))
                    .setConfigJson(
                        "{\"lr\": 0.001, \"optimizer\": {\"name\": \"adam\"}, \"layers\": [64, 128]}")
                    .setGroup("sweep-1")
                    .setJobType("train")
                    .setEnvironment(Map.of("host", "gpu-1", "os", "linux"))
                    .build())
            .build());
    double[][] values = {
      {1.0, 0.10}, {0.7, 0.30}, {0.5, 0.50}, {Double.NaN, 0.55}, {0.6, Double.POSITIVE_INFINITY}
    };
    for (int step = 0; step < values.length; step++) {
      send(
          topics.metrics.name(),
          runId,
          MetricBatch.newBuilder()
              .setRunId(runId)
              .setEntity("acme")
              .setProject(project)
              .setStep(step)
              .setTimestampMs(t0 + 1000L * (step + 1))
              .setSequence(step + 1)
              .setNames(List.of("loss", "accuracy"))
              .setValues(List.of(values[step][0], values[step][1]))
              .build());
    }
    send(
        topics.system.name(),
        runId,
        MetricBatch.newBuilder()
            .setRunId(runId)
            .setEntity("acme")
            .setProject(project)
            .setStep(0)
            .setTimestampMs(t0 + 500)
            .setNames(List.of("system.cpu.percent"))
            .setValues(List.of(42.5))
            .build());
    send(
        topics.runs.name(),
        runId,
        RunEvent.newBuilder()
            .setRunId(runId)
            .setEntity("acme")
            .setProject(project)
            .setTimestampMs(t0 + 6000)
            .setSequence(7)
            .setPayload(TagsUpdated.newBuilder().setTags(List.of("best", "o'brien")).build())
            .build());
    send(
        topics.runs.name(),
        runId,
        RunEvent.newBuilder()
            .setRunId(runId)
            .setEntity("acme")
            .setProject(project)
            .setTimestampMs(t0 + 7000)
            .setSequence(8)
            .setPayload(RunFinished.newBuilder().setExitCode(0).setLastStep(4).build())
            .build());
    MetricAggregate loss =
        MetricAggregate.newBuilder()
            .setCount(5)
            .setFiniteCount(4)
            .setSum(2.8)
            .setMin(0.5)
            .setMinStep(2)
            .setMax(1.0)
            .setMaxStep(0)
            .setFirst(1.0)
            .setFirstStep(0)
            .setLast(0.6)
            .setLastStep(4)
            .setLastTimestampMs(t0 + 5000)
            .setNanCount(1)
            .setInfCount(0)
            .build();
    send(
        topics.runSummaries.name(),
        runId,
        RunSummary.newBuilder()
            .setRunId(runId)
            .setEntity("acme")
            .setProject(project)
            .setState(RunState.FINISHED)
            .setUpdatedMs(t0 + 8000)
            .setStartedMs(t0)
            .setFinishedMs(t0 + 7000)
            .setExitCode(0)
            .setLastSeenMs(t0 + 7000)
            .setMetrics(Map.of("loss", loss))
            .build());
    send(
        topics.alerts.name(),
        runId,
        Alert.newBuilder()
            .setRunId(runId)
            .setEntity("acme")
            .setProject(project)
            .setTimestampMs(t0 + 4000)
            .setRule("non-finite")
            .setSeverity(Severity.CRITICAL)
            .setTitle("loss is NaN")
            .setMessage("loss became NaN at step 3")
            .setMetric("loss")
            .setStep(3L)
            .setValue(Double.NaN)
            .setEpisodeId("ep-1")
            .build());
  }

  private List<JsonNode> sql(String select) {
    return new ClickHouseHttp(client, false).queryJson(select);
  }

  private long count(String table) {
    return sql("SELECT count() AS c FROM " + database + "." + table + " FINAL")
        .get(0)
        .get("c")
        .asLong();
  }

  @Test
  void shouldStoreEveryTopicAndAnswerQueries() throws Exception {
    produceRun("run-a", "vision", TRICKY_NAME);
    ClickHouseSink sink = startSink("sink-" + id);

    await()
        .atMost(DEADLINE)
        .untilAsserted(() -> assertThat(sink.stats().recordsRead()).isEqualTo(11));
    await().atMost(DEADLINE).untilAsserted(() -> assertThat(queries.runs("vision")).hasSize(1));
    await().atMost(DEADLINE).until(() -> count("alerts") == 1 && count("run_states") == 1);

    RunRecord run = queries.runs("vision").get(0);
    assertThat(run.id()).isEqualTo("run-a");
    assertThat(run.team()).isEqualTo("acme");
    assertThat(run.name()).isEqualTo(TRICKY_NAME);
    assertThat(run.notes()).isEqualTo("baseline with it's quote");
    assertThat(run.tags()).containsExactly("best", "o'brien");
    assertThat(run.config())
        .containsExactly(
            Map.entry("layers", "[64,128]"),
            Map.entry("lr", "0.001"),
            Map.entry("optimizer.name", "adam"));
    assertThat(run.configJson()).contains("\"adam\"");
    assertThat(run.group()).isEqualTo("sweep-1");
    assertThat(run.jobType()).isEqualTo("train");
    assertThat(run.startedAt()).isEqualTo(Instant.ofEpochSecond(1_700_000_000L));
    assertThat(run.state()).isEqualTo("FINISHED");

    Map<String, NavigableMap<Long, Double>> points = queries.points("run-a");
    assertThat(points.keySet()).containsExactly("accuracy", "loss");
    assertThat(points.get("loss")).hasSize(5).containsEntry(0L, 1.0).containsEntry(4L, 0.6);
    assertThat(points.get("loss").get(3L)).isNaN();
    assertThat(points.get("accuracy").get(4L)).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(queries.systemPoints("run-a").get("system.cpu.percent"))
        .containsExactly(Map.entry(0L, 42.5));

    MetricSummaryRow loss = queries.summaries("run-a").get("loss");
    assertThat(loss.count()).isEqualTo(5);
    assertThat(loss.finiteCount()).isEqualTo(4);
    assertThat(loss.sum()).isCloseTo(2.8, within(1e-12));
    assertThat(loss.min()).isEqualTo(0.5);
    assertThat(loss.minStep()).isEqualTo(2);
    assertThat(loss.last()).isEqualTo(0.6);
    assertThat(loss.nanCount()).isEqualTo(1);

    List<RunComparison> compared = queries.compare("vision", List.of("loss", "accuracy", "none"));
    assertThat(compared).hasSize(1);
    RunComparison row = compared.get(0);
    assertThat(row.name()).isEqualTo(TRICKY_NAME);
    assertThat(row.metrics().keySet()).containsExactly("loss", "accuracy");
    assertThat(row.metrics().get("loss"))
        .isEqualTo(new RunComparison.MetricResult(0.6, 4, 0.5, MetricGoal.MINIMIZE));
    assertThat(row.metrics().get("accuracy").finalValue()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(row.metrics().get("accuracy").best()).isEqualTo(0.55);

    JsonNode alert = sql("SELECT * FROM " + database + ".alerts FINAL").get(0);
    assertThat(alert.get("rule").asText()).isEqualTo("non-finite");
    assertThat(alert.get("value").asText()).isEqualTo("nan");
    assertThat(alert.get("step").asText()).isEqualTo("3");
    assertThat(alert.get("baseline").isNull()).isTrue();
    assertThat(count("run_events")).isEqualTo(3);

    assertThat(sink.stats().rowsWritten("metrics")).isEqualTo(10);
    assertThat(sink.stats().deadLettered()).isZero();
    assertThat(sink.stats().batches()).isPositive();
    assertThat(ClickHouseSchema.migrate(client, database)).as("already current").isEmpty();
    assertThat(sql("SELECT version FROM " + database + ".schema_migrations FINAL"))
        .hasSize(ClickHouseSchema.latestVersion());
  }

  @Test
  void shouldNotLetQuotesInValuesChangeAQuery() throws Exception {
    String project = "p'q\\";
    produceRun("run-'x", project, TRICKY_NAME);
    ClickHouseSink sink = startSink("sink-" + id);
    await().atMost(DEADLINE).untilAsserted(() -> assertThat(queries.runs(project)).hasSize(1));
    await().atMost(DEADLINE).until(() -> sink.stats().rowsWritten("metrics") == 10);

    assertThat(queries.runs(project).get(0).name()).isEqualTo(TRICKY_NAME);
    assertThat(queries.points("run-'x").get("loss")).hasSize(5);
    assertThat(queries.runs("' OR 1=1 --")).isEmpty();
    assertThat(queries.runs("p'q")).isEmpty();
    assertThat(queries.points("x' OR run_id != '")).isEmpty();
    assertThat(queries.compare(project, List.of("loss') OR ('1'='1", "loss")).get(0).metrics())
        .containsOnlyKeys("loss");
    assertThat(count("runs")).as("the DROP in the name stayed text").isEqualTo(1);
  }

  @Test
  void shouldGiveTheSameAnswersWhenBatchesAreWrittenAgain() throws Exception {
    produceRun("run-b", "nlp", "bert");
    ClickHouseSink first = startSink("sink-" + id);
    await().atMost(DEADLINE).until(() -> first.stats().recordsRead() == 11);
    await().atMost(DEADLINE).until(() -> count("alerts") == 1 && count("metric_summaries") == 1);
    // Every table of the batch, not only some, must be written before the answers are taken.
    await()
        .atMost(DEADLINE)
        .until(
            () ->
                first.stats().bufferedRows() == 0
                    && queries.runs("nlp").size() == 1
                    && queries.runs("nlp").get(0).state().equals("FINISHED")
                    && queries.runs("nlp").get(0).tags().contains("best"));
    List<RunRecord> runs = queries.runs("nlp");
    Map<String, NavigableMap<Long, Double>> points = queries.points("run-b");
    Map<String, MetricSummaryRow> summaries = queries.summaries("run-b");
    List<RunComparison> compared = queries.compare("nlp", List.of("loss", "accuracy"));

    // The same records produced again, as a retrying producer would.
    produceRun("run-b", "nlp", "bert");
    await().atMost(DEADLINE).until(() -> first.stats().recordsRead() == 22);
    await().atMost(DEADLINE).until(() -> first.stats().rowsWritten("metrics") == 20);
    first.close();

    // A sink of a new group has no committed offsets: it writes everything once more, like a
    // restart after a crash between insert and commit.
    ClickHouseSink second = startSink("sink-again-" + id);
    await().atMost(DEADLINE).until(() -> second.stats().rowsWritten("metrics") == 20);

    assertThat(sql("SELECT count() AS c FROM " + database + ".metrics").get(0).get("c").asLong())
        .as("the duplicates are really there until merged")
        .isGreaterThan(10);
    assertThat(queries.runs("nlp")).isEqualTo(runs);
    assertThat(queries.points("run-b").toString()).isEqualTo(points.toString());
    assertThat(queries.summaries("run-b").toString()).isEqualTo(summaries.toString());
    assertThat(queries.compare("nlp", List.of("loss", "accuracy")).toString())
        .isEqualTo(compared.toString());
    assertThat(count("runs")).isEqualTo(1);
    assertThat(count("run_events")).isEqualTo(3);
    assertThat(count("alerts")).isEqualTo(1);
    assertThat(count("metrics")).isEqualTo(10);
    assertThat(count("system_metrics")).isEqualTo(1);
  }

  @Test
  void shouldDeadLetterPoisonRecordsWithTheirReasonsAndIngestTheRest() throws Exception {
    byte[] garbage = new byte[64];
    new Random(42).nextBytes(garbage);
    garbage[0] = 0x7f; // not the wire format's magic byte
    // The wire format, naming a schema id the registry does not have.
    byte[] unknownSchema = {0, 0x7f, 0x7f, 0x7f, 0x7f, 2, 4, 6};
    // Valid Avro that violates the contract: two names, one value.
    MetricBatch mismatched =
        MetricBatch.newBuilder()
            .setRunId("run-c")
            .setProject("rl")
            .setStep(99)
            .setTimestampMs(1)
            .setNames(List.of("loss", "accuracy"))
            .setValues(List.of(1.0))
            .build();
    // Valid Avro against the contract in other ways: a negative step, a metric named twice.
    MetricBatch negativeStep =
        MetricBatch.newBuilder(mismatched).setValues(List.of(1.0, 2.0)).setStep(-1).build();
    MetricBatch namedTwice =
        MetricBatch.newBuilder(mismatched)
            .setNames(List.of("loss", "loss"))
            .setValues(List.of(1.0, 2.0))
            .build();
    produceRun("run-c", "rl", "ppo");
    send(topics.metrics.name(), "run-c", mismatched);
    send(topics.metrics.name(), "run-c", negativeStep);
    send(topics.metrics.name(), "run-c", namedTwice);
    try (KafkaProducer<byte[], byte[]> raw =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (byte[] poison : List.of(garbage, unknownSchema)) {
        raw.send(
                new ProducerRecord<>(
                    topics.metrics.name(), "run-c".getBytes(StandardCharsets.UTF_8), poison))
            .get(30, TimeUnit.SECONDS);
      }
    }
    ClickHouseSink sink = startSink("sink-" + id);

    await().atMost(DEADLINE).until(() -> sink.stats().deadLettered() == 5);
    await().atMost(DEADLINE).until(() -> sink.stats().rowsWritten("metrics") == 10);
    assertThat(queries.points("run-c").get("loss")).hasSize(5);
    assertThat(sink.isRunning()).isTrue();

    try (KafkaConsumer<byte[], byte[]> dlq =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "dlq-reader-" + id,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      dlq.subscribe(List.of(topics.deadLetters));
      List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
      await()
          .atMost(DEADLINE)
          .until(
              () -> {
                dlq.poll(Duration.ofMillis(200)).forEach(dead::add);
                return dead.size() >= 5;
              });
      Map<String, ConsumerRecord<byte[], byte[]>> byReason = new java.util.HashMap<>();
      for (ConsumerRecord<byte[], byte[]> record : dead) {
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("run-c");
        assertThat(header(record, DeadLetters.SOURCE_TOPIC_HEADER))
            .isEqualTo(topics.metrics.name());
        assertThat(header(record, DeadLetters.SOURCE_PARTITION_HEADER)).matches("\\d+");
        assertThat(header(record, DeadLetters.SOURCE_OFFSET_HEADER)).matches("\\d+");
        byReason.put(header(record, DeadLetters.ERROR_HEADER), record);
      }
      assertThat(byReason.keySet())
          .anySatisfy(reason -> assertThat(reason).contains("magic byte"))
          .anySatisfy(reason -> assertThat(reason).contains("schema id 2139062143"))
          .anySatisfy(reason -> assertThat(reason).contains("2 names but 1 values"))
          .anySatisfy(reason -> assertThat(reason).contains("negative step -1"))
          .anySatisfy(reason -> assertThat(reason).contains("names metric 'loss' twice"))
          .hasSize(5);
      assertThat(dead).hasSize(5);
      assertThat(dead).extracting(ConsumerRecord::value).contains(garbage, unknownSchema);
    }
  }

  @Test
  void shouldHoldTheBatchUncommittedWhileClickHouseIsDownAndWriteItAfter() throws Exception {
    assumeFalse(stack.clickhouse().isExternal(), "needs a ClickHouse this test may stop and start");
    String group = "sink-" + id;
    ClickHouseSink sink = startSink(group);
    stack.clickhouse().stop();
    try {
      produceRun("run-d", "speech", "whisper");
      await().atMost(DEADLINE).until(() -> sink.stats().failedFlushes() >= 1);
      assertThat(sink.stats().batches()).isZero();
      assertThat(sink.stats().retries()).isPositive();
      assertThat(committedOffsets(group)).as("nothing committed while down").isEmpty();
    } finally {
      stack.clickhouse().start();
    }

    await().atMost(DEADLINE).until(() -> sink.stats().rowsWritten("metrics") == 10);
    assertThat(queries.points("run-d").get("loss")).hasSize(5);
    // The tables of one batch are written one after another: wait for the last of them.
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () ->
                assertThat(queries.runs("speech"))
                    .extracting(RunRecord::state)
                    .containsExactly("FINISHED"));
    await().atMost(DEADLINE).until(() -> !committedOffsets(group).isEmpty());
    assertThat(sink.stats().recordsRead()).isEqualTo(11);
    assertThat(sink.stats().deadLettered()).isZero();
  }

  /**
   * The processor writes summaries and alerts in exactly-once transactions; a transaction it aborts
   * (or that a killed processor leaves open until the broker aborts it) must not reach ClickHouse.
   * The committed records come after the aborted ones in the same partitions, so once they are
   * stored the sink has read past the aborted ones.
   */
  @Test
  void shouldNotStoreSummariesOrAlertsOfAbortedTransactions() throws Exception {
    try (KafkaProducer<String, SpecificRecord> tx =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrap(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "processor-" + id),
            new StringSerializer(),
            new AvroSerializer<>(SerdeConfig.registry(stack.schemaRegistryUrl())))) {
      tx.initTransactions();
      tx.beginTransaction();
      sendOutput(tx, "run-aborted", "ep-aborted");
      tx.flush();
      tx.abortTransaction();
      tx.beginTransaction();
      sendOutput(tx, "run-committed", "ep-committed");
      tx.commitTransaction();
    }
    ClickHouseSink sink = startSink("sink-" + id);

    await()
        .atMost(DEADLINE)
        .until(
            () ->
                count("alerts") >= 1 && count("run_states") >= 1 && count("metric_summaries") >= 1);
    String table = database + ".%s FINAL";
    assertThat(sql("SELECT run_id, episode_id FROM " + table.formatted("alerts")))
        .extracting(r -> r.get("run_id").asText() + " " + r.get("episode_id").asText())
        .containsExactly("run-committed ep-committed");
    assertThat(sql("SELECT run_id FROM " + table.formatted("run_states")))
        .extracting(r -> r.get("run_id").asText())
        .containsExactly("run-committed");
    assertThat(sql("SELECT run_id FROM " + table.formatted("metric_summaries")))
        .extracting(r -> r.get("run_id").asText())
        .containsExactly("run-committed");
    assertThat(sink.stats().recordsRead()).isEqualTo(2);
  }

  /** A run summary and an alert of {@code runId}, both to partition 0 of their topics. */
  private void sendOutput(KafkaProducer<String, SpecificRecord> tx, String runId, String episode) {
    long t0 = 1_700_000_000_000L;
    tx.send(
        new ProducerRecord<>(
            topics.runSummaries.name(),
            0,
            runId,
            RunSummary.newBuilder()
                .setRunId(runId)
                .setEntity("acme")
                .setProject("eos")
                .setState(RunState.RUNNING)
                .setUpdatedMs(t0 + 1000)
                .setStartedMs(t0)
                .setLastSeenMs(t0 + 1000)
                .setMetrics(
                    Map.of(
                        "loss",
                        MetricAggregate.newBuilder()
                            .setCount(1)
                            .setFiniteCount(1)
                            .setSum(0.5)
                            .setMin(0.5)
                            .setMinStep(0)
                            .setMax(0.5)
                            .setMaxStep(0)
                            .setFirst(0.5)
                            .setFirstStep(0)
                            .setLast(0.5)
                            .setLastStep(0)
                            .setLastTimestampMs(t0 + 1000)
                            .setNanCount(0)
                            .setInfCount(0)
                            .build()))
                .build()));
    tx.send(
        new ProducerRecord<>(
            topics.alerts.name(),
            0,
            runId,
            Alert.newBuilder()
                .setRunId(runId)
                .setEntity("acme")
                .setProject("eos")
                .setTimestampMs(t0 + 1000)
                .setRule("divergence")
                .setSeverity(Severity.WARNING)
                .setTitle("loss diverges")
                .setMessage("loss grew tenfold")
                .setMetric("loss")
                .setStep(0L)
                .setValue(5.0)
                .setEpisodeId(episode)
                .build()));
  }

  private Map<TopicPartition, OffsetAndMetadata> committedOffsets(String group) throws Exception {
    try (Admin admin =
        Admin.create(
            Map.<String, Object>of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
      return admin
          .listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata()
          .get(30, TimeUnit.SECONDS);
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
    return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
  }
}
