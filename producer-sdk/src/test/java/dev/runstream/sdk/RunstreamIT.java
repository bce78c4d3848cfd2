package dev.runstream.sdk;

import static dev.runstream.sdk.TopicReader.read;
import static dev.runstream.sdk.TopicReader.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.runstream.deploy.LocalStack;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunResumed;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.Severity;
import dev.runstream.testing.LocalStackExtension;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The SDK's promises on the real broker: in order, nothing lost, no duplicates. */
@ExtendWith(LocalStackExtension.class)
@Timeout(180)
class RunstreamIT {
  @TempDir Path dir;

  private static String prefix() {
    return "sdk-it-" + UUID.randomUUID().toString().substring(0, 8) + ".";
  }

  private RunOptions.Builder options(LocalStack stack, String prefix) {
    return RunOptions.builder("tinyllm", Map.of())
        .kafkaBootstrap(stack.kafkaBootstrap())
        .schemaRegistryUrl(stack.schemaRegistryUrl())
        .topicPrefix(prefix)
        .directory(dir)
        .systemMetricsInterval(Duration.ofMillis(200));
  }

  private static Map<String, Double> metrics(long step) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("loss", 1.0 / (step + 1));
    m.put("acc", step / 500.0);
    return m;
  }

  @Test
  void shouldDeliverEveryPointOfARunInStepOrder(LocalStack stack) {
    String prefix = prefix();
    Run run =
        Runstream.init(
            options(stack, prefix).name("it-run").tags("it").config("learning_rate", 0.02).build());
    for (int step = 0; step < 500; step++) {
      run.log(metrics(step));
    }
    run.alert("slow epoch", "epoch 3 took twice as long", AlertLevel.WARN);
    Topics topics = Topics.withPrefix(prefix);
    // Sampled every 200 ms while the run lives: read one before finishing.
    List<MetricBatch> system = read(stack, topics.system.name(), MetricBatch.class, 1, false);
    run.finish();

    assertThat(run.counters()).isEqualTo(new RunCounters(1000, 1000, 0, 0, 0, 1000, 0));
    List<MetricBatch> batches = readAll(stack, topics.metrics.name(), MetricBatch.class, 500);
    assertThat(batches).extracting(MetricBatch::getStep).containsExactlyElementsOf(range(500));
    assertThat(batches).allSatisfy(b -> assertThat(b.getRunId()).isEqualTo(run.id()));
    assertThat(batches.get(499).getValues()).containsExactly(1.0 / 500, 499 / 500.0);
    List<RunEvent> events = readAll(stack, topics.runs.name(), RunEvent.class, 2);
    assertThat(events.get(0).getPayload()).isInstanceOf(RunStarted.class);
    assertThat(((RunStarted) events.get(0).getPayload()).getName()).isEqualTo("it-run");
    assertThat(events.get(events.size() - 1).getPayload()).isInstanceOf(RunFinished.class);
    assertThat(system).isNotEmpty();
    assertThat(system)
        .allSatisfy(b -> assertThat(b.getNames()).allMatch(n -> n.startsWith("system.")));
    assertThat(system.get(0).getNames()).contains("system.cpu.percent", "system.memory.percent");
    List<Alert> alerts = readAll(stack, topics.alerts.name(), Alert.class, 1);
    assertThat(alerts)
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.getRunId()).isEqualTo(run.id());
              assertThat(a.getTitle()).isEqualTo("slow epoch");
              assertThat(a.getSeverity()).isEqualTo(Severity.WARNING);
              assertThat(a.getStep()).isEqualTo(499L);
            });
  }

  @Test
  void shouldAcceptPointsWhileKafkaIsDownAtInitAndDeliverThemWhenItIsBack(LocalStack stack) {
    String prefix = prefix();
    Run run;
    stack.kafka().stop();
    try {
      run = Runstream.init(options(stack, prefix).systemMetricsInterval(Duration.ZERO).build());
      for (int step = 0; step < 300; step++) {
        run.log(metrics(step));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> run.counters().spilled() == 600);
      assertThat(run.counters().sent()).isZero();
    } finally {
      stack.kafka().start();
    }
    await().atMost(Duration.ofSeconds(90)).until(() -> run.counters().sent() == 600);
    run.finish();

    RunCounters c = run.counters();
    assertThat(c).isEqualTo(new RunCounters(600, 600, 600, 600, 0, 600, 0));
    Topics topics = Topics.withPrefix(prefix);
    List<MetricBatch> batches = readAll(stack, topics.metrics.name(), MetricBatch.class, 300);
    assertThat(batches).extracting(MetricBatch::getStep).containsExactlyElementsOf(range(300));
    List<RunEvent> events = readAll(stack, topics.runs.name(), RunEvent.class, 2);
    assertThat(events.get(0).getPayload()).isInstanceOf(RunStarted.class);
    assertThat(events.get(events.size() - 1).getPayload()).isInstanceOf(RunFinished.class);
  }

  @Test
  void shouldFinishWithinItsTimeoutWhileKafkaIsDownAndLeaveTheRestForSync(LocalStack stack) {
    String prefix = prefix();
    Run run;
    String log;
    stack.kafka().stop();
    try {
      run =
          Runstream.init(
              options(stack, prefix)
                  .runId("left-" + prefix.substring(7, 15))
                  .systemMetricsInterval(Duration.ZERO)
                  .finishTimeout(Duration.ofSeconds(3))
                  .build());
      for (int step = 0; step < 100; step++) {
        run.log(metrics(step));
      }
      log = TestLogs.capturingStandardError(run::finish);
    } finally {
      stack.kafka().start();
    }

    RunCounters c = run.counters();
    assertThat(c.sent()).isZero();
    assertThat(c.unsent()).isEqualTo(200);
    Path runDir = run.directory().orElseThrow();
    assertThat(log)
        .contains("Kafka acknowledged 0 of 200 points within PT3S")
        .contains("the other 200 are safe in " + runDir)
        .contains("`runstream sync " + runDir + "`");

    SyncResult synced =
        Runstream.sync(
            runDir,
            SyncOptions.builder(Map.of())
                .kafkaBootstrap(stack.kafkaBootstrap())
                .schemaRegistryUrl(stack.schemaRegistryUrl())
                .build());
    assertThat(synced.pointsSent()).isEqualTo(200);
    assertThat(synced.finished()).isTrue();
    List<MetricBatch> batches =
        readAll(stack, Topics.withPrefix(prefix).metrics.name(), MetricBatch.class, 100);
    assertThat(batches).extracting(MetricBatch::getStep).containsExactlyElementsOf(range(100));
  }

  @Test
  void shouldResumeAfterTheLastStepAndSendWhatKafkaNeverGotFirst(LocalStack stack) {
    String prefix = prefix();
    String id = "resumed-" + prefix.substring(7, 15);
    Run first =
        Runstream.init(
            options(stack, prefix)
                .runId(id)
                .name("resumable")
                .mode(Mode.OFFLINE)
                .systemMetricsInterval(Duration.ZERO)
                .build());
    for (int step = 0; step < 50; step++) {
      first.log(metrics(step));
    }
    first.finish(1); // the job died; nothing of it reached Kafka

    assertThatThrownBy(() -> Runstream.init(options(stack, prefix).runId(id).build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already exists");
    assertThatThrownBy(
            () ->
                Runstream.init(options(stack, prefix).runId(id + "-x").resume(Resume.MUST).build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot be resumed");

    Run second =
        Runstream.init(
            options(stack, prefix)
                .runId(id)
                .resume(Resume.ALLOW)
                .systemMetricsInterval(Duration.ZERO)
                .build());
    assertThat(second.resumed()).isTrue();
    assertThat(second.name()).isEqualTo("resumable");
    assertThat(second.step()).isEqualTo(50);
    for (int i = 0; i < 50; i++) {
      second.log(metrics(second.step()));
    }
    second.finish();

    // This process delivered the earlier process's 100 points (replayed) and its own 100.
    assertThat(second.counters().accepted()).isEqualTo(100);
    assertThat(second.counters().sent()).isEqualTo(200);
    assertThat(second.counters().replayed()).isGreaterThanOrEqualTo(100);
    Topics topics = Topics.withPrefix(prefix);
    List<MetricBatch> batches = readAll(stack, topics.metrics.name(), MetricBatch.class, 100);
    assertThat(batches).extracting(MetricBatch::getStep).containsExactlyElementsOf(range(100));
    assertThat(batches).extracting(MetricBatch::getSequence).isSorted().doesNotHaveDuplicates();
    List<Object> payloads =
        readAll(stack, topics.runs.name(), RunEvent.class, 4).stream()
            .map(e -> (Object) e.getPayload())
            .toList();
    assertThat(payloads.get(0)).isInstanceOf(RunStarted.class);
    assertThat(payloads)
        .filteredOn(RunResumed.class::isInstance)
        .singleElement()
        .extracting(p -> ((RunResumed) p).getFromStep())
        .isEqualTo(50L);
    assertThat(payloads)
        .filteredOn(RunFinished.class::isInstance)
        .extracting(p -> ((RunFinished) p).getExitCode())
        .containsExactly(1, 0);
  }

  @Test
  void shouldDeliverValidPointsAndNonFiniteValuesAndRejectEveryBadInput(LocalStack stack) {
    String prefix = prefix();
    Run run = Runstream.init(options(stack, prefix).systemMetricsInterval(Duration.ZERO).build());
    Map<String, Object> bad = new LinkedHashMap<>();
    bad.put("", 1.0);
    bad.put("x".repeat(300), 1.0);
    bad.put("tab\tname", 1.0);
    bad.put("comma,name", 1.0);
    bad.put("text", "0.5");
    bad.put("flag", true);
    bad.put("none", null);
    bad.put("loss", Double.NaN);
    bad.put("grad_norm", Double.POSITIVE_INFINITY);
    bad.put("min", Double.NEGATIVE_INFINITY);
    bad.put("train/acc", 0.5);
    String log =
        TestLogs.capturingStandardError(
            () -> {
              for (int i = 0; i < 5; i++) {
                run.log(bad);
              }
              run.log(Map.of("loss", 1.0), -1);
              run.log((Map<String, ?>) null);
            });
    run.finish();

    RunCounters c = run.counters();
    assertThat(c.accepted()).isEqualTo(5 * 4);
    assertThat(c.sent()).isEqualTo(5 * 4);
    assertThat(c.rejected()).isEqualTo(5 * 7 + 1 + 1);
    assertThat(log.lines().filter(l -> l.contains("runstream rejected"))).hasSize(9);
    List<MetricBatch> batches =
        readAll(stack, Topics.withPrefix(prefix).metrics.name(), MetricBatch.class, 5);
    assertThat(batches).hasSize(5);
    assertThat(batches.get(0).getNames()).containsExactly("loss", "grad_norm", "min", "train/acc");
    assertThat(batches.get(0).getValues())
        .containsExactly(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.5);
  }

  @Test
  void shouldDeliverEveryPointExactlyOnceInOrderAcrossABrokerOutage(LocalStack stack) {
    String prefix = prefix();
    Run run =
        Runstream.init(
            options(stack, prefix)
                .systemMetricsInterval(Duration.ZERO)
                .finishTimeout(Duration.ofSeconds(60))
                // A small producer buffer, so the outage fills it and exercises spill and replay
                // rather than only the producer's in-memory retries.
                .kafkaProperty("batch.size", 16_384)
                .kafkaProperty("buffer.memory", 65_536)
                .kafkaProperty("compression.type", "none")
                .build());
    try {
      logThroughAnOutage(stack, run);
    } finally {
      run.finish();
    }

    RunCounters c = run.counters();
    assertThat(c.accepted()).isEqualTo(12_000);
    assertThat(c.sent()).isEqualTo(12_000);
    assertThat(c.spilled()).isPositive();
    assertThat(c.replayed()).isPositive();
    assertThat(c.rejected()).isZero();
    assertThat(c.lost()).isZero();
    List<MetricBatch> batches =
        readAll(stack, Topics.withPrefix(prefix).metrics.name(), MetricBatch.class, 6_000);
    assertThat(batches).extracting(MetricBatch::getStep).containsExactlyElementsOf(range(6_000));
  }

  private static void logThroughAnOutage(LocalStack stack, Run run) {
    for (int step = 0; step < 200; step++) {
      run.log(metrics(step));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> run.counters().sent() == 400);
    try {
      stack.kafka().stop();
      for (int step = 200; step < 6_000; step++) {
        run.log(metrics(step));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> run.counters().spilled() > 0);
      assertThat(run.counters().sent()).isEqualTo(400);
    } finally {
      stack.kafka().start();
    }
    await().atMost(Duration.ofSeconds(90)).until(() -> run.counters().sent() == 12_000);
  }

  @Test
  void shouldSyncAnOfflineRunOnceHoweverOftenItIsSynced(LocalStack stack) {
    String prefix = prefix();
    Run run = Runstream.init(options(stack, prefix).mode(Mode.OFFLINE).runId("offline-1").build());
    for (int step = 0; step < 100; step++) {
      run.log(metrics(step));
    }
    run.finish();
    assertThat(run.counters()).isEqualTo(new RunCounters(200, 0, 200, 0, 0, 200, 0));

    SyncOptions sync =
        SyncOptions.builder(Map.of())
            .kafkaBootstrap(stack.kafkaBootstrap())
            .schemaRegistryUrl(stack.schemaRegistryUrl())
            .build();
    Path runDir = run.directory().orElseThrow();
    SyncResult first = Runstream.sync(runDir, sync);
    SyncResult second = Runstream.sync(runDir, sync);

    assertThat(first.pointsSent()).isEqualTo(200);
    assertThat(first.finished()).isTrue();
    assertThat(second.recordsSent()).isZero();
    String metricsTopic = Topics.withPrefix(prefix).metrics.name();
    List<MetricBatch> batches = readAll(stack, metricsTopic, MetricBatch.class, 100);
    assertThat(batches).extracting(MetricBatch::getStep).containsExactlyElementsOf(range(100));

    // Forcing everything again writes the same identities: one copy downstream.
    Runstream.sync(
        runDir,
        SyncOptions.builder(Map.of())
            .kafkaBootstrap(stack.kafkaBootstrap())
            .schemaRegistryUrl(stack.schemaRegistryUrl())
            .resendAll(true)
            .build());
    List<MetricBatch> all = readAll(stack, metricsTopic, MetricBatch.class, 200);
    assertThat(all).hasSize(200);
    assertThat(identities(all)).hasSize(100).isEqualTo(identities(batches));
  }

  @Test
  void shouldKeepEveryFsyncedPointOfAKilledJvmAndSyncIt(LocalStack stack) throws Exception {
    String prefix = prefix();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                TrainingMain.class.getName(),
                stack.kafkaBootstrap(),
                stack.schemaRegistryUrl(),
                prefix,
                dir.toString(),
                "killed-1")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    AtomicLong durable = new AtomicLong();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                  if (line.startsWith("durable ")) {
                    durable.set(Long.parseLong(line.substring(8)));
                  }
                }
              } catch (IOException e) {
                // the child was killed
              }
            });
    reader.start();
    long reported;
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> durable.get() >= 3_000);
      child.destroyForcibly(); // SIGKILL: no shutdown hook, no finish
      child.waitFor();
      reader.join(5_000);
      reported = durable.get();
    } finally {
      child.destroyForcibly();
    }

    Path runDir = dir.resolve("run-killed-1");
    SyncResult result =
        Runstream.sync(
            runDir,
            SyncOptions.builder(Map.of())
                .kafkaBootstrap(stack.kafkaBootstrap())
                .schemaRegistryUrl(stack.schemaRegistryUrl())
                .build());
    assertThat(result.finished()).isFalse(); // it crashed
    long stepsOnDisk = result.lastStep() + 1;
    assertThat(stepsOnDisk * 3).isGreaterThanOrEqualTo(reported);

    List<MetricBatch> delivered =
        readAll(
            stack, Topics.withPrefix(prefix).metrics.name(), MetricBatch.class, (int) stepsOnDisk);
    // The live run and the sync may both have sent a record (the acknowledgement mark on disk
    // lags Kafka by up to a second): downstream that is one record, because each step carries
    // one identity (run, sequence) however often it is sent.
    Map<Long, Set<Long>> sequencesByStep = new java.util.TreeMap<>();
    delivered.forEach(
        b ->
            sequencesByStep
                .computeIfAbsent(b.getStep(), k -> new HashSet<>())
                .add(b.getSequence()));
    assertThat(sequencesByStep.keySet()).containsExactlyElementsOf(range((int) stepsOnDisk));
    assertThat(sequencesByStep.values()).allSatisfy(seqs -> assertThat(seqs).hasSize(1));
  }

  @Test
  void shouldSyncAJvmKilledWhileLoggingFlatOutWithoutSendingAnyRecordTwice(LocalStack stack)
      throws Exception {
    String prefix = prefix();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                TrainingMain.class.getName(),
                stack.kafkaBootstrap(),
                stack.schemaRegistryUrl(),
                prefix,
                dir.toString(),
                "flat-1",
                "flat")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    AtomicLong durable = new AtomicLong();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                  if (line.startsWith("durable ")) {
                    durable.set(Long.parseLong(line.substring(8)));
                  }
                }
              } catch (IOException e) {
                // the child was killed
              }
            });
    reader.start();
    try {
      // Until the run directory records that Kafka acknowledged far more than the processor's
      // replay window (1,024 sequences): the mark is recorded while the run goes on.
      Path acked = dir.resolve("run-flat-1").resolve("acked");
      await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () -> {
                try {
                  return Long.parseLong(Files.readString(acked).strip()) >= 20_000;
                } catch (IOException | NumberFormatException e) {
                  return false; // not written yet
                }
              });
      child.destroyForcibly(); // SIGKILL while sending flat out
      child.waitFor();
      reader.join(5_000);
    } finally {
      child.destroyForcibly();
    }

    SyncResult result =
        Runstream.sync(
            dir.resolve("run-flat-1"),
            SyncOptions.builder(Map.of())
                .kafkaBootstrap(stack.kafkaBootstrap())
                .schemaRegistryUrl(stack.schemaRegistryUrl())
                .build());

    assertThat(result.kafkaUnanswered()).isFalse();
    assertThat(result.recordsSkipped() + result.recordsSent()).isEqualTo(result.recordsInJournal());
    assertThat(result.recordsSkipped()).isPositive();
    Topics topics = Topics.withPrefix(prefix);
    int steps = (int) (result.lastStep() + 1);
    List<MetricBatch> metrics = readAll(stack, topics.metrics.name(), MetricBatch.class, steps);
    Map<Long, Long> perSequence = new java.util.TreeMap<>();
    metrics.forEach(b -> perSequence.merge(b.getSequence(), 1L, Long::sum));
    assertThat(perSequence.values()).allSatisfy(n -> assertThat(n).isEqualTo(1L));
    assertThat(metrics).hasSize(steps);
    assertThat(metrics.stream().map(MetricBatch::getStep).sorted().toList())
        .containsExactlyElementsOf(range(steps));
    List<MetricBatch> system = readAll(stack, topics.system.name(), MetricBatch.class, 1);
    Map<Long, Long> systemPerSequence = new java.util.TreeMap<>();
    system.forEach(b -> systemPerSequence.merge(b.getSequence(), 1L, Long::sum));
    assertThat(systemPerSequence.values()).allSatisfy(n -> assertThat(n).isEqualTo(1L));
    List<RunEvent> events = readAll(stack, topics.runs.name(), RunEvent.class, 1);
    Map<Long, Long> eventsPerSequence = new java.util.TreeMap<>();
    events.forEach(e -> eventsPerSequence.merge(e.getSequence(), 1L, Long::sum));
    assertThat(eventsPerSequence.values()).allSatisfy(n -> assertThat(n).isEqualTo(1L));
    // Every record of the journal is in Kafka once.
    assertThat(metrics.size() + system.size() + events.size()).isEqualTo(result.recordsInJournal());
  }

  private static Set<List<Long>> identities(List<MetricBatch> batches) {
    Set<List<Long>> ids = new HashSet<>();
    batches.forEach(b -> ids.add(List.of(b.getStep(), b.getSequence(), b.getTimestampMs())));
    return ids;
  }

  private static List<Long> range(int n) {
    List<Long> steps = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      steps.add(i);
    }
    return steps;
  }
}
