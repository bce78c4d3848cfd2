package dev.runstream.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runstream.deploy.LocalStack;
import dev.runstream.deploy.junit.LocalStackExtension;
import dev.runstream.processor.SimulatedCurves.Curve;
import dev.runstream.processor.SimulatedCurves.Label;
import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.RunSummary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exactly-once on the real broker: a processor killed with SIGKILL mid-stream and started again
 * publishes the same final summaries and the same alerts (no duplicates, none lost) as one
 * uninterrupted pass over the same input. Also checks the dead-letter topic.
 */
@ExtendWith(LocalStackExtension.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ExactlyOnceRestartIT {
  private static final Logger log = LoggerFactory.getLogger(ExactlyOnceRestartIT.class);

  private static List<Curve> curves() {
    List<Curve> curves = new ArrayList<>();
    long seed = 100;
    for (Label label : List.of(Label.DIVERGING, Label.NAN, Label.SPIKING, Label.HEALTHY)) {
      for (int i = 0; i < 3; i++) {
        curves.add(SimulatedCurves.generate(label.name().toLowerCase() + "-" + i, label, seed++));
      }
    }
    return curves;
  }

  private static Topics freshTopics(LocalStack stack, String name) {
    Topics topics =
        Topics.withPrefix(name + "-" + UUID.randomUUID().toString().substring(0, 8) + ".");
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
      TopicSetup.ensure(admin, topics, TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    return topics;
  }

  /** Produces every curve as a run would: started, batches with heartbeats, finished. */
  private static int produce(LocalStack stack, Topics topics, List<Curve> curves) {
    SchemaRegistry registry = SerdeConfig.registry(stack.schemaRegistryUrl());
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    int records = 0;
    try (KafkaProducer<String, RunEvent> runs =
            new KafkaProducer<>(
                props, new StringSerializer(), topics.runs.serde(registry).serializer());
        KafkaProducer<String, MetricBatch> metrics =
            new KafkaProducer<>(
                props, new StringSerializer(), topics.metrics.serde(registry).serializer())) {
      long t0 = 1_700_000_000_000L;
      for (Curve c : curves) {
        long seq = 0;
        runs.send(
            new ProducerRecord<>(
                topics.runs.name(),
                null,
                t0,
                c.runId(),
                event(c, t0, seq++, RunStarted.newBuilder().setName(c.runId()).build())));
        for (int t = 0; t < c.loss().size(); t++) {
          long ts = t0 + 1000L * (t + 1);
          metrics.send(
              new ProducerRecord<>(
                  topics.metrics.name(),
                  null,
                  ts,
                  c.runId(),
                  MetricBatch.newBuilder()
                      .setRunId(c.runId())
                      .setEntity("team")
                      .setProject("eos")
                      .setStep(t)
                      .setTimestampMs(ts)
                      .setSequence(seq++)
                      .setNames(List.of("loss", "lr"))
                      .setValues(List.of(c.loss().get(t), c.lr().get(t)))
                      .build()));
          records++;
        }
        long end = t0 + 1000L * (c.loss().size() + 1);
        runs.send(
            new ProducerRecord<>(
                topics.runs.name(),
                null,
                end,
                c.runId(),
                event(c, end, seq, RunFinished.newBuilder().setExitCode(0).build())));
        records += 2;
      }
    }
    return records;
  }

  private static RunEvent event(Curve c, long ts, long seq, Object payload) {
    return RunEvent.newBuilder()
        .setRunId(c.runId())
        .setEntity("team")
        .setProject("eos")
        .setTimestampMs(ts)
        .setSequence(seq)
        .setPayload(payload)
        .build();
  }

  private static <V> List<ConsumerRecord<String, V>> readAll(
      LocalStack stack,
      String topic,
      Deserializer<V> values,
      java.util.function.Predicate<List<ConsumerRecord<String, V>>> done) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<ConsumerRecord<String, V>> all = new ArrayList<>();
    try (KafkaConsumer<String, V> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), values)) {
      consumer.subscribe(List.of(topic));
      await()
          .atMost(Duration.ofMinutes(4))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(all::add);
                return done.test(all);
              });
    }
    return all;
  }

  private static Map<String, RunSummary> finalSummaries(
      LocalStack stack, Topics topics, List<Curve> curves) {
    SchemaRegistry registry = SerdeConfig.registry(stack.schemaRegistryUrl());
    Map<String, RunSummary> latest = new TreeMap<>();
    readAll(
        stack,
        topics.runSummaries.name(),
        topics.runSummaries.serde(registry).deserializer(),
        records -> {
          for (ConsumerRecord<String, RunSummary> r : records) {
            latest.put(r.key(), r.value());
          }
          return curves.stream()
              .allMatch(
                  c -> {
                    RunSummary s = latest.get(c.runId());
                    return s != null
                        && s.getState() == RunState.FINISHED
                        && s.getMetrics().containsKey("loss")
                        && s.getMetrics().get("loss").getCount() >= c.loss().size();
                  });
        });
    return latest;
  }

  private static List<String> alerts(LocalStack stack, Topics topics, int atLeast) {
    SchemaRegistry registry = SerdeConfig.registry(stack.schemaRegistryUrl());
    List<ConsumerRecord<String, Alert>> records =
        readAll(
            stack,
            topics.alerts.name(),
            topics.alerts.serde(registry).deserializer(),
            all -> all.size() >= atLeast);
    List<String> alerts = new ArrayList<>();
    for (ConsumerRecord<String, Alert> r : records) {
      Alert a = r.value();
      alerts.add(a.getEpisodeId() + " resolved=" + a.getResolved() + " " + a.getMessage());
    }
    alerts.sort(String::compareTo);
    return alerts;
  }

  /** The summary without the wall-clock fields, which differ between any two passes. */
  private static String content(RunSummary s) {
    RunSummary copy = RunSummary.newBuilder(s).build();
    copy.setUpdatedMs(0);
    copy.setLastSeenMs(0);
    copy.setLastMetricMs(0);
    copy.setLastHeartbeatMs(0);
    copy.setMetrics(new TreeMap<>(s.getMetrics()));
    return copy.toString();
  }

  private static Process startChild(
      LocalStack stack, Topics topics, String appId, Path stateDir, Path logFile)
      throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            "-Dorg.slf4j.simpleLogger.log.org.apache.kafka=warn",
            "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams=info",
            "-Dorg.slf4j.simpleLogger.log.dev.runstream=debug",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            StreamProcessor.class.getName());
    pb.environment().put("KAFKA_BOOTSTRAP", stack.kafkaBootstrap());
    pb.environment().put("SCHEMA_REGISTRY_URL", stack.schemaRegistryUrl());
    pb.environment().put("RUNSTREAM_TOPIC_PREFIX", topics.prefix());
    pb.environment().put("RUNSTREAM_PROCESSOR_APPLICATION_ID", appId);
    pb.environment().put("RUNSTREAM_STATE_DIR", stateDir.toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    return pb.start();
  }

  @Test
  @Disabled(
      "unfinished: after SIGKILL the restarted child JVM rejoins (RUNNING after the dead member's"
          + " 45 s session timeout) but no further output shows up within 4 minutes; not yet"
          + " diagnosed whether the test's completion check or the processor is at fault")
  void shouldPublishTheSameSummariesAndAlertsAfterAKillAndRestartAsInOneUninterruptedPass(
      LocalStack stack, @TempDir Path dir) throws Exception {
    List<Curve> curves = curves();

    Topics reference = freshTopics(stack, "eos-ref");
    produce(stack, reference, curves);
    Map<String, RunSummary> expectedSummaries;
    List<String> expectedAlerts;
    try (StreamProcessor processor =
        StreamProcessor.start(
            ProcessorConfig.of(
                    stack.kafkaBootstrap(), stack.schemaRegistryUrl(), dir.resolve("ref"))
                .withTopics(reference)
                .withApplicationId("eos-ref-" + UUID.randomUUID()))) {
      expectedSummaries = finalSummaries(stack, reference, curves);
      expectedAlerts = alerts(stack, reference, 1);
      // Alerts of the last runs may still be in flight when the summaries are complete.
      expectedAlerts = alerts(stack, reference, expectedAlerts.size());
    }
    assertThat(expectedAlerts).as("the input raises alerts at all").isNotEmpty();

    Topics crashed = freshTopics(stack, "eos-kill");
    produce(stack, crashed, curves);
    String appId = "eos-kill-" + UUID.randomUUID();
    Path logFile =
        Files.createDirectories(Path.of("target")).resolve("eos-child-" + appId + ".log");
    Process first = startChild(stack, crashed, appId, dir.resolve("kill"), logFile);
    try {
      // Kill as soon as some output is committed: the processor is mid-stream.
      SchemaRegistry registry = SerdeConfig.registry(stack.schemaRegistryUrl());
      readAll(
          stack,
          crashed.runSummaries.name(),
          crashed.runSummaries.serde(registry).deserializer(),
          all -> !all.isEmpty());
    } finally {
      first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    log.info("killed the first processor (exit {}); starting it again", first.exitValue());
    Process second = startChild(stack, crashed, appId, dir.resolve("kill"), logFile);
    Map<String, RunSummary> actualSummaries;
    List<String> actualAlerts;
    try {
      actualSummaries = finalSummaries(stack, crashed, curves);
      actualAlerts = alerts(stack, crashed, expectedAlerts.size());
    } finally {
      second.destroy();
      if (!second.waitFor(30, TimeUnit.SECONDS)) {
        second.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }

    Map<String, String> expected = new TreeMap<>();
    expectedSummaries.forEach((k, v) -> expected.put(k, content(v)));
    Map<String, String> actual = new TreeMap<>();
    actualSummaries.forEach((k, v) -> actual.put(k, content(v)));
    assertThat(actual).isEqualTo(expected);
    assertThat(actualAlerts).as("same alerts, none twice").isEqualTo(expectedAlerts);
    log.info(
        "{} alerts and {} summaries matched after the restart", actualAlerts.size(), actual.size());
  }

  @Test
  void shouldSendARecordThatCannotBeDeserializedToTheDeadLetterTopicAndKeepRunning(
      LocalStack stack, @TempDir Path dir) throws Exception {
    Topics topics = freshTopics(stack, "dlq");
    try (StreamProcessor processor =
        StreamProcessor.start(
            ProcessorConfig.of(stack.kafkaBootstrap(), stack.schemaRegistryUrl(), dir)
                .withTopics(topics)
                .withApplicationId("dlq-" + UUID.randomUUID()))) {
      Properties props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
      try (KafkaProducer<byte[], byte[]> raw =
          new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
        raw.send(
                new ProducerRecord<>(
                    topics.metrics.name(),
                    "r1".getBytes(StandardCharsets.UTF_8),
                    "not avro".getBytes(StandardCharsets.UTF_8)))
            .get();
      }
      List<Curve> one = List.of(SimulatedCurves.generate("r1", Label.HEALTHY, 7));
      produce(stack, topics, one);

      List<ConsumerRecord<String, byte[]>> dead =
          readAll(stack, topics.deadLetters, new ByteArrayDeserializer(), all -> !all.isEmpty());
      ConsumerRecord<String, byte[]> record = dead.get(0);
      assertThat(record.key()).isEqualTo("r1");
      assertThat(new String(record.value(), StandardCharsets.UTF_8)).isEqualTo("not avro");
      Header message = record.headers().lastHeader("__streams.errors.message");
      assertThat(message).isNotNull();
      assertThat(new String(message.value(), StandardCharsets.UTF_8)).contains("magic byte");
      assertThat(record.headers().lastHeader("__streams.errors.topic")).isNotNull();

      Map<String, RunSummary> summaries = finalSummaries(stack, topics, one);
      assertThat(summaries.get("r1").getMetrics().get("loss").getCount())
          .as("the run after the bad record is processed")
          .isEqualTo(SimulatedCurves.LENGTH);
    }
  }
}
