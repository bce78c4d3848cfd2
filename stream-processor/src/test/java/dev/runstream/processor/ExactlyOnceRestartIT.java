package dev.runstream.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.runstream.deploy.LocalStack;
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
import dev.runstream.testing.LocalStackExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exactly-once on the real broker: a processor killed with SIGKILL mid-stream (twice: once
 * restarted on its own state directory, once on an empty one, as on another machine) publishes the
 * same final summaries and the same alerts (no duplicates, none lost) as one uninterrupted pass
 * over the same input. Also checks the dead-letter topic.
 *
 * <p>Every output is read with {@code read_committed}, as the sink and the notifier read it. The
 * test also reads the summary store's changelog and the output topics with {@code read_uncommitted}
 * to prove that the kills did discard state changes and output of open transactions; otherwise
 * "same output" would prove little.
 */
@ExtendWith(LocalStackExtension.class)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class ExactlyOnceRestartIT {
  private static final Logger log = LoggerFactory.getLogger(ExactlyOnceRestartIT.class);

  /** The pace of the simulated training jobs: one step of every run per tick. */
  private static final Duration TICK = Duration.ofMillis(30);

  /** Steps fed before the first kill's phase ends, and before the second's. */
  private static final int PHASE_1_END = 200;

  private static final int PHASE_2_END = 400;

  private static final Duration DEADLINE = Duration.ofMinutes(4);

  /**
   * Awaitility without its default of failing on an uncaught exception of any thread: in one test
   * the processor's stream threads fail on purpose and are replaced.
   */
  private static ConditionFactory await() {
    return Awaitility.await().dontCatchUncaughtExceptions();
  }

  private static List<Curve> curves() {
    List<Curve> curves = new ArrayList<>();
    long seed = 100;
    for (Label label : List.of(Label.DIVERGING, Label.NAN, Label.SPIKING, Label.HEALTHY)) {
      for (int i = 0; i < 4; i++) {
        curves.add(
            SimulatedCurves.generate(
                label.name().toLowerCase(Locale.ROOT) + "-" + i, label, seed++));
      }
    }
    return curves;
  }

  /**
   * Record timestamps an hour in the past: fixed timestamps of long ago would be older than the
   * topics' retention (7 days), and the broker's retention check would delete the input within
   * minutes, which is what made an earlier version of this test hang after the restart.
   */
  private static long baseTime() {
    return Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS).toEpochMilli();
  }

  private static Topics freshTopics(LocalStack stack, String name) {
    Topics topics =
        Topics.withPrefix(name + "-" + UUID.randomUUID().toString().substring(0, 8) + ".");
    try (Admin admin = admin(stack)) {
      TopicSetup.ensure(admin, topics, TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    return topics;
  }

  private static Admin admin(LocalStack stack) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()));
  }

  /**
   * Writes the curves as training jobs would: every run started, then the step of every run, step
   * by step, then every run finished. Record and payload timestamps derive from the step, so two
   * feeds of the same curves are the same input whenever they are written.
   */
  private static final class Feeder implements AutoCloseable {
    private final Topics topics;
    private final List<Curve> curves;
    private final long t0;
    private final KafkaProducer<String, RunEvent> runs;
    private final KafkaProducer<String, MetricBatch> metrics;
    private final Map<String, Long> sequences = new HashMap<>();
    private final List<Future<RecordMetadata>> sent = new ArrayList<>();
    private int nextStep;

    Feeder(LocalStack stack, Topics topics, List<Curve> curves, long t0) {
      this.topics = topics;
      this.curves = curves;
      this.t0 = t0;
      SchemaRegistry registry = SerdeConfig.registry(stack.schemaRegistryUrl());
      Properties props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
      props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      props.put(ProducerConfig.ACKS_CONFIG, "all");
      // One request in flight: on a topic created a moment ago the broker may still answer
      // NOT_LEADER_OR_FOLLOWER, and the requests behind a refused one then fail with
      // OUT_OF_ORDER_SEQUENCE_NUMBER, which once cost a record of the input.
      props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
      runs =
          new KafkaProducer<>(
              props, new StringSerializer(), topics.runs.serde(registry).serializer());
      metrics =
          new KafkaProducer<>(
              props, new StringSerializer(), topics.metrics.serde(registry).serializer());
    }

    void startAll() {
      for (Curve c : curves) {
        event(c, t0, RunStarted.newBuilder().setName(c.runId()).build());
      }
      flush();
    }

    /** Feeds the steps up to {@code end} (exclusive), all at once or one step per {@code tick}. */
    void feedTo(int end, Duration tick) {
      for (; nextStep < end; nextStep++) {
        int t = nextStep;
        long ts = t0 + 1000L * (t + 1);
        for (Curve c : curves) {
          if (t >= c.loss().size()) {
            continue;
          }
          sent.add(
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
                          // No sequence: the processor's replay window would drop a batch processed
                          // twice, and hide a broken exactly-once; only Kafka's transactions may
                          // count.
                          .setSequence(-1)
                          .setNames(List.of("loss", "lr"))
                          .setValues(List.of(c.loss().get(t), c.lr().get(t)))
                          .build())));
        }
        if (!tick.isZero()) {
          flush();
          // The pace of training, not synchronisation: the processor must be busy when killed.
          try {
            Thread.sleep(tick.toMillis());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while feeding", e);
          }
        }
      }
      flush();
    }

    /** Waits for every record sent so far, failing on any that the broker did not take. */
    private void flush() {
      runs.flush();
      metrics.flush();
      for (Future<RecordMetadata> f : sent) {
        try {
          f.get();
        } catch (ExecutionException e) {
          throw new IllegalStateException("a record of the input was not written", e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while feeding", e);
        }
      }
      sent.clear();
    }

    CompletableFuture<Void> feedToAsync(int end, Duration tick) {
      return CompletableFuture.runAsync(() -> feedTo(end, tick));
    }

    void finishAll() {
      feedTo(SimulatedCurves.LENGTH, Duration.ZERO);
      long end = t0 + 1000L * (SimulatedCurves.LENGTH + 1);
      for (Curve c : curves) {
        event(c, end, RunFinished.newBuilder().setExitCode(0).build());
      }
      flush();
    }

    private void event(Curve c, long ts, Object payload) {
      sent.add(
          runs.send(
              new ProducerRecord<>(
                  topics.runs.name(),
                  null,
                  ts,
                  c.runId(),
                  RunEvent.newBuilder()
                      .setRunId(c.runId())
                      .setEntity("team")
                      .setProject("eos")
                      .setTimestampMs(ts)
                      .setSequence(sequences.merge(c.runId(), 1L, Long::sum))
                      .setPayload(payload)
                      .build())));
    }

    @Override
    public void close() {
      runs.close();
      metrics.close();
    }
  }

  private static KafkaConsumer<String, byte[]> consumer(LocalStack stack, IsolationLevel level) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, level.toString());
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * Every record of {@code topic} up to its end as {@code level} sees it (the last stable offset
   * for {@code read_committed}), read by assignment, so no consumer group is involved.
   */
  private static List<ConsumerRecord<String, byte[]>> readToEnd(
      LocalStack stack, String topic, IsolationLevel level) {
    List<ConsumerRecord<String, byte[]>> all = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = consumer(stack, level)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(all::add);
                return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
              });
    }
    return all;
  }

  /**
   * Waits until the committed summaries show every run finished with all its points counted, and
   * returns the latest summary of each run.
   */
  private static Map<String, RunSummary> awaitFinalSummaries(
      LocalStack stack, Topics topics, List<Curve> curves) {
    Deserializer<RunSummary> values =
        topics.runSummaries.serde(SerdeConfig.registry(stack.schemaRegistryUrl())).deserializer();
    Map<String, RunSummary> latest = new TreeMap<>();
    Predicate<Curve> done =
        c -> {
          RunSummary s = latest.get(c.runId());
          return s != null
              && s.getState() == RunState.FINISHED
              && s.getMetrics().containsKey("loss")
              && s.getMetrics().get("loss").getCount() >= c.loss().size();
        };
    try (KafkaConsumer<String, byte[]> consumer = consumer(stack, IsolationLevel.READ_COMMITTED)) {
      String topic = topics.runSummaries.name();
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                  latest.put(r.key(), values.deserialize(r.topic(), r.headers(), r.value()));
                }
                return curves.stream().allMatch(done);
              });
    }
    return latest;
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

  private static List<Alert> committedAlerts(LocalStack stack, Topics topics) {
    Deserializer<Alert> values =
        topics.alerts.serde(SerdeConfig.registry(stack.schemaRegistryUrl())).deserializer();
    List<Alert> alerts = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r :
        readToEnd(stack, topics.alerts.name(), IsolationLevel.READ_COMMITTED)) {
      alerts.add(values.deserialize(r.topic(), r.headers(), r.value()));
    }
    alerts.sort((a, b) -> a.toString().compareTo(b.toString()));
    return alerts;
  }

  private static Set<TopicPartition> partitionsOf(String topic) {
    Set<TopicPartition> partitions = new HashSet<>();
    for (int p = 0; p < TopicSetup.DEFAULT_PARTITIONS; p++) {
      partitions.add(new TopicPartition(topic, p));
    }
    return partitions;
  }

  /** Input records the processor's consumer group has committed as processed. */
  private static long committedInput(Admin admin, String appId, Topics topics) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
    long sum = 0;
    for (var e : offsets.entrySet()) {
      String topic = e.getKey().topic();
      if (e.getValue() != null
          && (topic.equals(topics.runs.name()) || topic.equals(topics.metrics.name()))) {
        sum += e.getValue().offset();
      }
    }
    return sum;
  }

  /** Records written to the input topics so far. */
  private static long producedInput(Admin admin, Topics topics) throws Exception {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (String topic : List.of(topics.runs.name(), topics.metrics.name())) {
      partitionsOf(topic).forEach(tp -> request.put(tp, OffsetSpec.latest()));
    }
    long sum = 0;
    for (var info : admin.listOffsets(request).all().get().values()) {
      sum += info.offset();
    }
    return sum;
  }

  /**
   * Whether a transaction of the processor is open and has already written output to the broker:
   * the summaries or alerts topic has records beyond its last stable offset. The same transaction
   * holds the store changelog writes of the records it processed.
   */
  private static boolean openTransactionWithOutput(Admin admin, Topics topics)
      throws ExecutionException, InterruptedException {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    partitionsOf(topics.runSummaries.name()).forEach(tp -> request.put(tp, OffsetSpec.latest()));
    partitionsOf(topics.alerts.name()).forEach(tp -> request.put(tp, OffsetSpec.latest()));
    var written =
        admin
            .listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
            .all()
            .get();
    var stable =
        admin
            .listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
            .all()
            .get();
    return request.keySet().stream()
        .anyMatch(tp -> written.get(tp).offset() > stable.get(tp).offset());
  }

  /**
   * Kills {@code child} with SIGKILL (no shutdown hook, no {@code close()}, no commit) once it has
   * committed input beyond {@code processedBeyond} and has a transaction open with output in it,
   * while {@code feeding} still writes input; or, should the feed end first, at once. The child is
   * frozen (SIGSTOP) while its transactions are looked at, so the transaction seen open cannot be
   * committed between the look and the kill; if none is open it is thawed (SIGCONT) and looked at
   * again a little later.
   *
   * @return whether the kill left a transaction holding output open
   */
  private static boolean killMidStream(
      Process child,
      Admin admin,
      String appId,
      Topics topics,
      long processedBeyond,
      CompletableFuture<Void> feeding)
      throws Exception {
    boolean[] open = new boolean[1];
    await()
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              if (!child.isAlive()) {
                throw new IllegalStateException("the processor died on its own: see its log");
              }
              if (committedInput(admin, appId, topics) > processedBeyond) {
                signal(child, "STOP");
                open[0] = openTransactionWithOutput(admin, topics);
                if (open[0]) {
                  return true;
                }
                signal(child, "CONT");
              }
              return feeding.isDone();
            });
    child.destroyForcibly(); // SIGKILL on Linux and macOS, frozen or not
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("the killed processor exited").isTrue();
    log.info(
        "killed the processor (exit {}) with {} of {} input records committed; left a transaction"
            + " holding output open: {}; feed still running: {}",
        child.exitValue(),
        committedInput(admin, appId, topics),
        producedInput(admin, topics),
        open[0],
        !feeding.isDone());
    return open[0];
  }

  /** Sends {@code signal} (e.g. STOP, CONT) to {@code process} with the {@code kill} command. */
  private static void signal(Process process, String signal)
      throws IOException, InterruptedException {
    Process kill =
        new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
            .redirectErrorStream(true)
            .start();
    String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + process.pid() + ": " + output);
    }
  }

  /** Records of {@code topic} in aborted transactions: seen by read_uncommitted only. */
  private static int aborted(LocalStack stack, String topic) {
    return readToEnd(stack, topic, IsolationLevel.READ_UNCOMMITTED).size()
        - readToEnd(stack, topic, IsolationLevel.READ_COMMITTED).size();
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
            "-Dorg.slf4j.simpleLogger.log.dev.runstream=info",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            StreamProcessor.class.getName());
    pb.environment().put("KAFKA_BOOTSTRAP", stack.kafkaBootstrap());
    pb.environment().put("SCHEMA_REGISTRY_URL", stack.schemaRegistryUrl());
    pb.environment().put("RUNSTREAM_TOPIC_PREFIX", topics.prefix());
    pb.environment().put("RUNSTREAM_PROCESSOR_APPLICATION_ID", appId);
    pb.environment().put("RUNSTREAM_STATE_DIR", stateDir.toString());
    // Summaries published five times as often as by default, so that more transactions hold
    // output when the kill comes; the reference pass uses the default: the content is the same.
    pb.environment().put("RUNSTREAM_SUMMARY_INTERVAL_MS", "200");
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    return pb.start();
  }

  private static void stop(Process p) throws InterruptedException {
    if (p != null && p.isAlive()) {
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void shouldPublishTheSameSummariesAndAlertsAfterKillsAndRestartsAsInOneUninterruptedPass(
      LocalStack stack, @TempDir Path dir) throws Exception {
    List<Curve> curves = curves();
    long t0 = baseTime();

    // The reference: the whole input, one uninterrupted pass.
    Topics reference = freshTopics(stack, "eos-ref");
    try (Feeder feeder = new Feeder(stack, reference, curves, t0)) {
      feeder.startAll();
      feeder.finishAll();
    }
    Map<String, RunSummary> expectedSummaries;
    List<Alert> expectedAlerts;
    try (StreamProcessor processor =
        StreamProcessor.start(
            ProcessorConfig.of(
                    stack.kafkaBootstrap(), stack.schemaRegistryUrl(), dir.resolve("ref"))
                .withTopics(reference)
                .withApplicationId("eos-ref-" + UUID.randomUUID()))) {
      expectedSummaries = awaitFinalSummaries(stack, reference, curves);
      expectedAlerts = committedAlerts(stack, reference);
      assertThat(processor.state().isRunningOrRebalancing()).isTrue();
    }
    for (Curve c : curves) {
      if (c.label() == Label.DIVERGING || c.label() == Label.NAN) {
        assertThat(expectedAlerts)
            .as("the reference pass raises the alert of %s", c.runId())
            .anyMatch(a -> a.getRunId().equals(c.runId()) && a.getRule().equals(c.label().rule));
      }
    }

    // The same input fed at a training pace to a processor that is killed twice.
    Topics killed = freshTopics(stack, "eos-kill");
    String appId = "eos-kill-" + UUID.randomUUID();
    Path logFile =
        Files.createDirectories(Path.of("target")).resolve("eos-child-" + appId + ".log");
    Path stateDir = dir.resolve("kill");
    List<Process> children = new ArrayList<>();
    int openAtKill = 0;
    try (Admin admin = admin(stack);
        Feeder feeder = new Feeder(stack, killed, curves, t0)) {
      Process first = startChild(stack, killed, appId, stateDir, logFile);
      children.add(first);
      feeder.startAll();
      // Feed at the training pace only once the processor is at work: a JVM and a Kafka Streams
      // client starting on a loaded machine could otherwise miss the whole first phase.
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> committedInput(admin, appId, killed) > 0);
      CompletableFuture<Void> phase1 = feeder.feedToAsync(PHASE_1_END, TICK);
      openAtKill += killMidStream(first, admin, appId, killed, 0, phase1) ? 1 : 0;
      phase1.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);

      // Restarted on its own state directory: the same process id, so the same transactional id
      // fences the dead one at once; the local stores, never checkpointed, are restored.
      long beforeRestart = committedInput(admin, appId, killed);
      Process second = startChild(stack, killed, appId, stateDir, logFile);
      children.add(second);
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> committedInput(admin, appId, killed) > beforeRestart);
      long backlog = producedInput(admin, killed);
      CompletableFuture<Void> phase2 = feeder.feedToAsync(PHASE_2_END, TICK);
      openAtKill += killMidStream(second, admin, appId, killed, backlog, phase2) ? 1 : 0;
      phase2.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      feeder.finishAll();

      // Restarted on an empty state directory, as on another machine: a new transactional id,
      // so the dead one's open transaction is aborted by its timeout.
      Process third = startChild(stack, killed, appId, dir.resolve("elsewhere"), logFile);
      children.add(third);
      Map<String, RunSummary> actualSummaries = awaitFinalSummaries(stack, killed, curves);
      List<Alert> actualAlerts = committedAlerts(stack, killed);

      Map<String, String> expected = new TreeMap<>();
      expectedSummaries.forEach((k, v) -> expected.put(k, content(v)));
      Map<String, String> actual = new TreeMap<>();
      actualSummaries.forEach((k, v) -> actual.put(k, content(v)));
      assertThat(actual).isEqualTo(expected);
      for (Curve c : curves) {
        assertThat(actualSummaries.get(c.runId()).getMetrics().get("loss").getCount())
            .as("every point of %s counted once", c.runId())
            .isEqualTo(c.loss().size());
      }
      List<String> episodes =
          actualAlerts.stream().map(a -> a.getEpisodeId() + " " + a.getResolved()).toList();
      assertThat(episodes).as("no alert twice").doesNotHaveDuplicates();
      assertThat(actualAlerts).as("the same alerts").isEqualTo(expectedAlerts);

      String changelog = appId + "-" + RunstreamTopology.SUMMARY_STORE + "-changelog";
      int changelogAborted = aborted(stack, changelog);
      int summariesAborted = aborted(stack, killed.runSummaries.name());
      int alertsAborted = aborted(stack, killed.alerts.name());
      log.info(
          "{} alerts and {} summaries matched after 2 kills ({} left a transaction holding output"
              + " open); records of aborted transactions: {} in the summary store changelog, {}"
              + " summaries, {} alerts",
          actualAlerts.size(),
          actual.size(),
          openAtKill,
          changelogAborted,
          summariesAborted,
          alertsAborted);
      assertThat(openAtKill).as("kills that left a transaction holding output open").isPositive();
      assertThat(changelogAborted)
          .as("the kills discarded state changes of open transactions")
          .isPositive();
      assertThat(summariesAborted + alertsAborted)
          .as("the kills left output of aborted transactions that read_committed did not see")
          .isPositive();
    } finally {
      for (Process p : children) {
        stop(p);
      }
    }
  }

  @Test
  void shouldSendRecordsThatCannotBeReadOrAppliedToTheDeadLetterTopicAndKeepRunning(
      LocalStack stack, @TempDir Path dir) throws Exception {
    Topics topics = freshTopics(stack, "dlq");
    SchemaRegistry registry = SerdeConfig.registry(stack.schemaRegistryUrl());
    try (StreamProcessor processor =
        StreamProcessor.start(
            ProcessorConfig.of(stack.kafkaBootstrap(), stack.schemaRegistryUrl(), dir)
                .withTopics(topics)
                .withApplicationId("dlq-" + UUID.randomUUID()))) {
      Properties props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
      try (KafkaProducer<byte[], byte[]> raw =
              new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
          KafkaProducer<String, MetricBatch> avro =
              new KafkaProducer<>(
                  props, new StringSerializer(), topics.metrics.serde(registry).serializer())) {
        raw.send(
                new ProducerRecord<>(
                    topics.metrics.name(),
                    "r1".getBytes(StandardCharsets.UTF_8),
                    "not avro".getBytes(StandardCharsets.UTF_8)))
            .get();
        avro.send(
                new ProducerRecord<>(
                    topics.metrics.name(),
                    "r1",
                    MetricBatch.newBuilder()
                        .setRunId("r1")
                        .setStep(3)
                        .setTimestampMs(baseTime())
                        .setNames(List.of("loss", "acc"))
                        .setValues(List.of(0.5))
                        .build()))
            .get();
      }
      List<Curve> one = List.of(SimulatedCurves.generate("r1", Label.HEALTHY, 7));
      try (Feeder feeder = new Feeder(stack, topics, one, baseTime())) {
        feeder.startAll();
        feeder.finishAll();
      }

      Map<String, RunSummary> summaries = awaitFinalSummaries(stack, topics, one);
      assertThat(summaries.get("r1").getMetrics().get("loss").getCount())
          .as("the run after the bad records is processed, without them")
          .isEqualTo(SimulatedCurves.LENGTH);
      assertThat(summaries.get("r1").getMetrics()).doesNotContainKey("acc");
      List<ConsumerRecord<String, byte[]>> dead =
          readToEnd(stack, topics.deadLetters, IsolationLevel.READ_COMMITTED);
      assertThat(dead).hasSize(2);
      assertThat(dead).extracting(ConsumerRecord::key).containsOnly("r1");
      assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("not avro");
      assertThat(header(dead.get(0), "__streams.errors.message")).contains("magic byte");
      assertThat(header(dead.get(0), "__streams.errors.topic")).isEqualTo(topics.metrics.name());
      assertThat(header(dead.get(1), "__streams.errors.message"))
          .isEqualTo("metric batch of run r1 at step 3 has 2 names but 1 values");
      assertThat(header(dead.get(1), "__streams.errors.offset")).isEqualTo("1");
      assertThat(processor.state().isRunningOrRebalancing()).isTrue();
    }
  }

  /**
   * A loopback HTTP server in front of the real registry that forwards requests while {@code up},
   * and answers 503 otherwise: a registry outage for one client only, since the shared registry
   * keeps its schemas in memory and would forget them if it were stopped.
   */
  private static final class RegistryGate implements AutoCloseable {
    final HttpServer server;
    final HttpClient http = HttpClient.newHttpClient();
    final AtomicInteger refused = new AtomicInteger();
    volatile boolean up = true;

    RegistryGate(URI registry) throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(
          "/",
          ex -> {
            try (ex) {
              if (!up) {
                refused.incrementAndGet();
                ex.sendResponseHeaders(503, -1);
                return;
              }
              byte[] body = ex.getRequestBody().readAllBytes();
              HttpRequest.Builder request =
                  HttpRequest.newBuilder(registry.resolve(ex.getRequestURI().toString()))
                      .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
              for (String name : List.of("Content-Type", "Accept")) {
                String value = ex.getRequestHeaders().getFirst(name);
                if (value != null) {
                  request.header(name, value);
                }
              }
              HttpResponse<byte[]> response =
                  http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
              response
                  .headers()
                  .firstValue("Content-Type")
                  .ifPresent(v -> ex.getResponseHeaders().add("Content-Type", v));
              ex.sendResponseHeaders(
                  response.statusCode(), response.body().length == 0 ? -1 : response.body().length);
              ex.getResponseBody().write(response.body());
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      server.start();
    }

    /** The registry URL with this gate's host and port. */
    String url(String registryUrl) {
      URI real = URI.create(registryUrl);
      return "http://127.0.0.1:" + server.getAddress().getPort() + real.getPath();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  @Test
  void shouldReadRecordsAgainRatherThanDeadLetterThemWhileTheSchemaRegistryDoesNotAnswer(
      LocalStack stack, @TempDir Path dir) throws Exception {
    Topics topics = freshTopics(stack, "registry-down");
    List<Curve> one = List.of(SimulatedCurves.generate("r1", Label.DIVERGING, 11));
    try (Feeder feeder = new Feeder(stack, topics, one, baseTime())) {
      feeder.startAll();
      feeder.finishAll();
    }
    URI registry = URI.create(stack.schemaRegistryUrl());
    try (RegistryGate gate = new RegistryGate(registry.resolve("/"))) {
      gate.up = false;
      try (StreamProcessor processor =
          StreamProcessor.start(
              ProcessorConfig.of(stack.kafkaBootstrap(), gate.url(stack.schemaRegistryUrl()), dir)
                  .withTopics(topics)
                  .withApplicationId("registry-down-" + UUID.randomUUID()))) {
        // Two refusals at least: the stream thread failed, was replaced, and tried again.
        await()
            .atMost(DEADLINE)
            .pollInterval(Duration.ofMillis(200))
            .until(() -> gate.refused.get() >= 2);
        assertThat(readToEnd(stack, topics.deadLetters, IsolationLevel.READ_COMMITTED))
            .as("nothing dead-lettered during the outage")
            .isEmpty();
        assertThat(readToEnd(stack, topics.runSummaries.name(), IsolationLevel.READ_COMMITTED))
            .isEmpty();

        gate.up = true;
        Map<String, RunSummary> summaries = awaitFinalSummaries(stack, topics, one);
        assertThat(summaries.get("r1").getMetrics().get("loss").getCount())
            .as("every point, once")
            .isEqualTo(SimulatedCurves.LENGTH);
        assertThat(readToEnd(stack, topics.deadLetters, IsolationLevel.READ_COMMITTED)).isEmpty();
        assertThat(committedAlerts(stack, topics))
            .extracting(Alert::getRule)
            .contains(AlertRule.DIVERGENCE.id());
        assertThat(processor.state().isRunningOrRebalancing()).isTrue();
      }
    }
  }

  private static String header(ConsumerRecord<String, byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    assertThat(header).as("header %s", name).isNotNull();
    return new String(header.value(), StandardCharsets.UTF_8);
  }
}
