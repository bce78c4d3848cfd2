package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.runstream.schemas.AvroDeserializer;
import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.ConfigUpdated;
import dev.runstream.schemas.avro.Heartbeat;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.MetricDefined;
import dev.runstream.schemas.avro.NotesUpdated;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunResumed;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.Severity;
import dev.runstream.schemas.avro.SummaryUpdated;
import dev.runstream.schemas.avro.TagsUpdated;
import dev.runstream.sdk.AlertLevel;
import dev.runstream.sdk.Goal;
import dev.runstream.sdk.Mode;
import dev.runstream.sdk.Resume;
import dev.runstream.sdk.RunCounters;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.SummaryMode;
import dev.runstream.sdk.SyncOptions;
import dev.runstream.sdk.SyncResult;
import dev.runstream.sdk.TestLogs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class KafkaRunTest {
  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final List<MockProducer<String, byte[]>> producers = new CopyOnWriteArrayList<>();
  private final Supplier<Producer<String, byte[]>> factory =
      () -> {
        MockProducer<String, byte[]> p =
            new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        producers.add(p);
        return p;
      };
  @TempDir Path dir;
  private KafkaRun run;

  private RunOptions.Builder options() {
    return RunOptions.builder("tinyllm", Map.of())
        .runId("run1")
        .name("test1")
        .notes("training test")
        .tags("tag1", "tag2")
        .directory(dir)
        .systemMetricsInterval(Duration.ZERO)
        .finishTimeout(Duration.ofSeconds(5))
        .config(Map.of("learning_rate", 0.02, "model", Map.of("layers", 4)));
  }

  private KafkaRun start(RunOptions.Builder options) {
    run = KafkaRun.start(options.build(), factory, registry);
    return run;
  }

  @AfterEach
  void finishRun() {
    if (run != null) {
      run.finish();
    }
  }

  private List<ProducerRecord<String, byte[]>> history() {
    List<ProducerRecord<String, byte[]>> all = new ArrayList<>();
    producers.forEach(p -> all.addAll(p.history()));
    return all;
  }

  private List<MetricBatch> batches() {
    AvroDeserializer<MetricBatch> d = new AvroDeserializer<>(MetricBatch.class, registry);
    return history().stream()
        .filter(r -> r.topic().equals("runstream.metrics"))
        .map(r -> d.deserialize(r.topic(), r.value()))
        .toList();
  }

  private List<Object> payloads() {
    AvroDeserializer<RunEvent> d = new AvroDeserializer<>(RunEvent.class, registry);
    return history().stream()
        .filter(r -> r.topic().equals("runstream.runs"))
        .map(r -> (Object) d.deserialize(r.topic(), r.value()).getPayload())
        .toList();
  }

  private static Map<String, Object> ordered(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void shouldAnnounceTheRunWithItsMetadataAndEnvironment() {
    start(options());
    run.finish();

    ProducerRecord<String, byte[]> first = history().get(0);
    assertThat(first.topic()).isEqualTo("runstream.runs");
    assertThat(first.key()).isEqualTo("run1");
    RunStarted started = (RunStarted) payloads().get(0);
    assertThat(started.getName()).isEqualTo("test1");
    assertThat(started.getNotes()).isEqualTo("training test");
    assertThat(started.getTags()).containsExactly("tag1", "tag2");
    assertThat(started.getConfigJson()).contains("\"learning_rate\":0.02", "\"layers\":4");
    assertThat(started.getEnvironment())
        .containsKeys("host", "os", "jvm", "cpu_count", "command", "user_dir");
    assertThat(payloads().get(payloads().size() - 1)).isInstanceOf(RunFinished.class);
    assertThat(run.directory()).contains(dir.resolve("run-run1"));
  }

  @Test
  void shouldAdvanceTheStepWithEveryLogCallAndAcceptEarlierSteps() {
    start(options());
    run.log(Map.of("loss", 1.0));
    run.log("loss", 0.5);
    run.log(Map.of("loss", 0.1), 10);
    run.log(Map.of("loss", 0.3), 4); // an earlier step is accepted, not dropped
    run.log(Map.of("loss", 0.05));
    run.finish();

    assertThat(batches()).extracting(MetricBatch::getStep).containsExactly(0L, 1L, 10L, 4L, 11L);
    assertThat(batches()).extracting(MetricBatch::getSequence).isSorted().doesNotHaveDuplicates();
    assertThat(run.counters()).isEqualTo(new RunCounters(5, 5, 0, 0, 0, 5, 0));
  }

  @Test
  void shouldAccumulateUncommittedMetricsIntoTheCurrentStep() {
    start(options());
    run.log(Map.of("acc", 0.5), false);
    run.log(Map.of("val_acc", 0.4), false);
    assertThat(run.step()).isZero();
    run.log(ordered("loss", 1.0, "acc", 0.6));
    run.log(Map.of("lr", 0.1), false);
    run.finish(); // commits what is left

    List<MetricBatch> b = batches();
    assertThat(b).hasSize(2);
    assertThat(b.get(0).getStep()).isZero();
    assertThat(b.get(0).getNames()).containsExactly("acc", "val_acc", "loss");
    assertThat(b.get(0).getValues()).containsExactly(0.6, 0.4, 1.0);
    assertThat(b.get(1).getStep()).isEqualTo(1);
    assertThat(b.get(1).getNames()).containsExactly("lr");
  }

  @Test
  void shouldSendNonFiniteValuesAndCountEveryPoint() {
    start(options());
    run.log(
        ordered("loss", Double.NaN, "grad_norm", Double.POSITIVE_INFINITY, "epoch", 3, "f", 1.5f));
    run.finish();

    MetricBatch batch = batches().get(0);
    assertThat(batch.getNames()).containsExactly("loss", "grad_norm", "epoch", "f");
    assertThat(batch.getValues()).containsExactly(Double.NaN, Double.POSITIVE_INFINITY, 3.0, 1.5);
    assertThat(run.counters().accepted()).isEqualTo(4);
    assertThat(run.counters().sent()).isEqualTo(4);
  }

  @Test
  void shouldRejectEveryKindOfInvalidPointWithoutThrowing() {
    start(options());
    Map<String, Object> metrics = new HashMap<>();
    metrics.put("", 1.0); // empty
    metrics.put("x".repeat(300), 1.0); // too long
    metrics.put("bad\nname", 1.0); // forbidden character
    metrics.put("quote\"d", 1.0); // forbidden character
    metrics.put(" padded", 1.0); // leading space
    metrics.put("text", "0.5"); // not a number
    metrics.put("flag", true); // not a number
    metrics.put("missing", null); // no value
    metrics.put("ok", 2.0);
    run.log(metrics);
    run.log(metrics); // the same bad keys again: counted again, not warned again
    run.log((Map<String, ?>) null);
    run.log(Map.of("loss", 1.0), -5);
    run.log("", 1.0);
    run.log(Map.of("nested", Map.of("a", 1)), false);
    run.finish();
    run.log("after_finish", 1.0);
    run.log(Map.of("after_finish", 1.0));

    assertThat(batches()).hasSize(2);
    assertThat(batches().get(0).getNames()).containsExactly("ok");
    assertThat(run.counters().accepted()).isEqualTo(2);
    assertThat(run.counters().rejected()).isEqualTo(8 + 8 + 1 + 1 + 1 + 1 + 1 + 1);
  }

  @Test
  void shouldPublishConfigSummaryTagsNotesDefinitionsAndAlerts() {
    start(options());
    run.config().set("batch_size", 64).update(Map.of("epochs", 10));
    run.summary().set("best_acc", 0.93);
    run.addTags("tag3", "tag1");
    run.removeTags("tag2");
    run.notes("new notes");
    run.defineMetric("val_loss").goal(Goal.MINIMIZE).summary(SummaryMode.MIN);
    run.log("loss", 1.0);
    run.alert("diverged", "loss is NaN", AlertLevel.ERROR);
    run.finish();

    List<Object> p = payloads();
    assertThat(p)
        .filteredOn(ConfigUpdated.class::isInstance)
        .last()
        .extracting(e -> ((ConfigUpdated) e).getConfigJson())
        .asString()
        .contains("\"learning_rate\":0.02", "\"batch_size\":64", "\"epochs\":10");
    assertThat(p).filteredOn(SummaryUpdated.class::isInstance).hasSize(1);
    assertThat(p)
        .filteredOn(TagsUpdated.class::isInstance)
        .last()
        .extracting(e -> ((TagsUpdated) e).getTags())
        .asList()
        .containsExactly("tag1", "tag3");
    assertThat(run.tags()).containsExactly("tag1", "tag3");
    assertThat(p).filteredOn(NotesUpdated.class::isInstance).hasSize(1);
    MetricDefined defined =
        (MetricDefined)
            p.stream().filter(MetricDefined.class::isInstance).reduce((a, b) -> b).get();
    assertThat(defined.getGoal()).isEqualTo(dev.runstream.schemas.avro.Goal.MINIMIZE);
    assertThat(defined.getSummary()).isEqualTo("min");
    AvroDeserializer<Alert> d = new AvroDeserializer<>(Alert.class, registry);
    List<Alert> alerts =
        history().stream()
            .filter(r -> r.topic().equals("runstream.alerts"))
            .map(r -> d.deserialize(r.topic(), r.value()))
            .toList();
    assertThat(alerts).hasSize(1);
    assertThat(alerts.get(0).getSeverity()).isEqualTo(Severity.CRITICAL);
    assertThat(alerts.get(0).getRule()).isEqualTo("user");
    assertThat(alerts.get(0).getStep()).isEqualTo(0L);
    assertThat(alerts.get(0).getEpisodeId()).startsWith("run1-");
    assertThat(run.config().asMap()).containsEntry("batch_size", 64);
    assertThat(run.summary().asMap()).containsEntry("best_acc", 0.93);
  }

  @Test
  void shouldSendFinishOnceWithTheExitCode() {
    start(options());
    run.log("loss", 1.0);
    run.finish(3);
    run.finish(0);
    run.close();

    List<Object> finishes = payloads().stream().filter(RunFinished.class::isInstance).toList();
    assertThat(finishes).hasSize(1);
    assertThat(((RunFinished) finishes.get(0)).getExitCode()).isEqualTo(3);
    assertThat(((RunFinished) finishes.get(0)).getLastStep()).isEqualTo(0);
    assertThat(producers.get(0).closed()).isTrue();
  }

  @Test
  void shouldSpillWhileKafkaRefusesRecordsAndReplayThemInOrder() {
    MockProducer<String, byte[]> down =
        new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    down.sendException = new TimeoutException("no metadata within max.block.ms");
    producers.add(down);
    run = KafkaRun.start(options().build(), () -> producers.get(0), registry);
    for (int i = 0; i < 100; i++) {
      run.log(Map.of("loss", (double) i));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> run.counters().spilled() == 100);
    assertThat(run.counters().sent()).isZero();

    down.sendException = null; // the broker is back
    await().atMost(Duration.ofSeconds(10)).until(() -> run.counters().sent() == 100);
    run.finish();

    assertThat(batches()).extracting(MetricBatch::getStep).containsExactlyElementsOf(steps(100));
    RunCounters c = run.counters();
    assertThat(c.spilled()).isEqualTo(100);
    assertThat(c.replayed()).isEqualTo(100);
    assertThat(c.unsent()).isZero();
  }

  @Test
  void shouldSendNothingToATopicBeforeItsPartitionsAreKnown() {
    MockProducer<String, byte[]> noMetadata =
        new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    noMetadata.partitionsForException = new TimeoutException("topic not present in metadata");
    producers.add(noMetadata);
    run = KafkaRun.start(options().build(), () -> producers.get(0), registry);
    for (int i = 0; i < 10; i++) {
      run.log(Map.of("loss", (double) i));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> run.counters().spilled() == 10);
    assertThat(noMetadata.history()).isEmpty();

    noMetadata.partitionsForException = null; // the topic exists now
    await().atMost(Duration.ofSeconds(10)).until(() -> run.counters().sent() == 10);
    run.finish();
    assertThat(batches()).extracting(MetricBatch::getStep).containsExactlyElementsOf(steps(10));
  }

  @Test
  void shouldResendOnlyWhatKafkaDidNotAcknowledgeAfterADeliveryFailure() {
    List<MockProducer<String, byte[]>> made = new CopyOnWriteArrayList<>();
    Supplier<Producer<String, byte[]>> manual =
        () -> {
          MockProducer<String, byte[]> p =
              new MockProducer<>(
                  made.isEmpty() ? false : true,
                  null,
                  new StringSerializer(),
                  new ByteArraySerializer());
          made.add(p);
          producers.add(p);
          return p;
        };
    run = KafkaRun.start(options().build(), manual, registry);
    for (int i = 0; i < 4; i++) {
      run.log(Map.of("loss", (double) i));
    }
    MockProducer<String, byte[]> first = made.get(0);
    // The first record to each topic goes alone until Kafka acknowledged it.
    await().atMost(Duration.ofSeconds(10)).until(() -> first.history().size() == 2);
    first.completeNext(); // RunStarted
    first.completeNext(); // step 0
    await().atMost(Duration.ofSeconds(10)).until(() -> first.history().size() == 5);
    first.errorNext(new TimeoutException("delivery timeout")); // step 1 and all after it
    await().atMost(Duration.ofSeconds(10)).until(() -> run.counters().sent() == 4);
    run.finish();

    List<MetricBatch> resent = batches().subList(4, batches().size());
    assertThat(resent).extracting(MetricBatch::getStep).containsExactly(1L, 2L, 3L);
    assertThat(run.counters().spilled()).isEqualTo(3);
    assertThat(run.counters().replayed()).isEqualTo(3);
    assertThat(run.counters().sent()).isEqualTo(4);
  }

  @Test
  void shouldJournalInTheCallersThreadWhenTheQueueIsFull() {
    start(options().queueCapacity(1));
    for (int i = 0; i < 5_000; i++) {
      run.log(Map.of("loss", (double) i));
    }
    run.finish();

    RunCounters c = run.counters();
    assertThat(c.accepted()).isEqualTo(5_000);
    assertThat(c.sent()).isEqualTo(5_000);
    assertThat(c.lost()).isZero();
    // Whether the queue overflowed depends on scheduling; what matters is order and completeness.
    assertThat(batches()).extracting(MetricBatch::getStep).containsExactlyElementsOf(steps(5_000));
    assertThat(c.replayed()).isEqualTo(c.spilled());
  }

  @Test
  void shouldWriteOnlyToTheRunDirectoryOfflineAndSyncItOnce() throws Exception {
    run = KafkaRun.start(options().mode(Mode.OFFLINE).build(), null, null);
    for (int i = 0; i < 50; i++) {
      run.log(ordered("loss", 1.0 / (i + 1), "acc", i / 50.0));
    }
    run.finish();
    assertThat(run.counters()).isEqualTo(new RunCounters(100, 0, 100, 0, 0, 100, 0));
    assertThat(producers).isEmpty();

    Path runDir = dir.resolve("run-run1");
    SyncOptions sync = SyncOptions.builder(Map.of()).build();
    List<dev.runstream.sdk.SyncProgress> progress = new ArrayList<>();
    SyncResult first =
        Syncer.sync(
            runDir,
            SyncOptions.builder(Map.of()).progress(progress::add).build(),
            factory,
            registry);
    assertThat(first.recordsSent()).isEqualTo(52); // started, 50 batches, finished
    assertThat(first.pointsSent()).isEqualTo(100);
    assertThat(first.finished()).isTrue();
    assertThat(first.lastStep()).isEqualTo(49);
    assertThat(progress)
        .last()
        .extracting(dev.runstream.sdk.SyncProgress::recordsSent)
        .isEqualTo(52L);
    List<byte[]> firstBytes = history().stream().map(ProducerRecord::value).toList();

    SyncResult second = Syncer.sync(runDir, sync, factory, registry);
    assertThat(second.recordsSent()).isZero();
    assertThat(second.recordsSkipped()).isEqualTo(52);

    producers.clear();
    SyncResult again =
        Syncer.sync(
            runDir, SyncOptions.builder(Map.of()).resendAll(true).build(), factory, registry);
    assertThat(again.recordsSent()).isEqualTo(52);
    // Byte for byte the same records: the same sequences and timestamps, so the same identity.
    assertThat(history().stream().map(ProducerRecord::value).toList())
        .usingElementComparator(java.util.Arrays::compare)
        .containsExactlyElementsOf(firstBytes);
  }

  @Test
  void shouldRefuseToSyncADirectoryALiveRunHolds() {
    start(options());
    assertThatThrownBy(
            () ->
                Syncer.sync(
                    dir.resolve("run-run1"),
                    SyncOptions.builder(Map.of()).build(),
                    factory,
                    registry))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("in use by a live run");
    assertThatThrownBy(
            () -> Syncer.sync(dir, SyncOptions.builder(Map.of()).build(), factory, registry))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a runstream run directory");
  }

  @Test
  void shouldResumeAfterTheLastStepWithHigherSequences() {
    start(options());
    for (int i = 0; i < 10; i++) {
      run.log("loss", i);
    }
    run.finish();
    long lastSequence = batches().get(9).getSequence();

    assertThatThrownBy(() -> KafkaRun.start(options().build(), factory, registry))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Resume.ALLOW");
    producers.clear();
    start(options().resume(Resume.ALLOW));
    assertThat(run.resumed()).isTrue();
    assertThat(run.step()).isEqualTo(10);
    run.log("loss", 0.5);
    run.finish();

    assertThat(payloads().get(0)).isInstanceOf(RunResumed.class);
    assertThat(((RunResumed) payloads().get(0)).getFromStep()).isEqualTo(10);
    assertThat(batches())
        .singleElement()
        .satisfies(
            b -> {
              assertThat(b.getStep()).isEqualTo(10);
              assertThat(b.getSequence()).isGreaterThan(lastSequence);
            });
  }

  @Test
  void shouldCountAnEarlierProcesssPointsKafkaNeverAcknowledgedInTheFinishMessage() {
    run = KafkaRun.start(options().mode(Mode.OFFLINE).build(), null, null);
    for (int i = 0; i < 5; i++) {
      run.log("loss", i);
    }
    run.finish(1);
    // Kafka takes records but acknowledges none: the replay is never confirmed.
    Supplier<Producer<String, byte[]>> silent =
        () -> {
          MockProducer<String, byte[]> p =
              new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
          producers.add(p);
          return p;
        };
    run =
        KafkaRun.start(
            options().resume(Resume.ALLOW).finishTimeout(Duration.ofSeconds(1)).build(),
            silent,
            registry);
    for (int i = 0; i < 5; i++) {
      run.log("loss", i);
    }

    String log = TestLogs.capturingStandardError(run::finish);

    assertThat(run.counters().sent()).isZero();
    assertThat(log)
        .doesNotContain("points acknowledged by Kafka")
        .contains("Kafka acknowledged 0 of 10 points within PT1S")
        .contains("the other 10 are safe in");
  }

  @Test
  void shouldRefuseToResumeARunThatDoesNotExistWhenResumeIsMust() {
    assertThatThrownBy(
            () ->
                KafkaRun.start(
                    options().runId("nope").resume(Resume.MUST).build(), factory, registry))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("run nope cannot be resumed")
        .hasMessageContaining("no run directory " + dir.resolve("run-nope"));
    assertThat(dir.resolve("run-nope")).doesNotExist();
  }

  @Test
  void shouldMakeEverythingDurableOnFlush() {
    start(options().fsyncInterval(Duration.ofHours(1)));
    run.log(ordered("a", 1.0, "b", 2.0));
    assertThat(run.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(run.counters().durable()).isEqualTo(2);
  }

  @Test
  void shouldGenerateIdAndNameWhenAbsent() {
    run =
        KafkaRun.start(
            RunOptions.builder("p", Map.of())
                .directory(dir)
                .systemMetricsInterval(Duration.ZERO)
                .build(),
            factory,
            registry);
    assertThat(run.id()).matches("[0-9a-z]{8}");
    assertThat(run.name()).matches("[a-z]+-[a-z]+-\\d+");
  }

  @Test
  void shouldCommitUncommittedMetricsAtTheirOwnStepBeforeAnExplicitStep() {
    start(options());
    run.log("loss", 1.0); // step 0
    run.log(Map.of("acc", 0.5), false); // gathered at step 1
    run.log(Map.of("loss", 0.2), 10);
    run.log(Map.of("loss", 0.1));
    run.finish();

    List<MetricBatch> b = batches();
    assertThat(b).extracting(MetricBatch::getStep).containsExactly(0L, 1L, 10L, 11L);
    assertThat(b.get(1).getNames()).containsExactly("acc");
    assertThat(b.get(2).getNames()).containsExactly("loss");
  }

  @Test
  void shouldLogAtTheGivenStepAndTimeForImporters() {
    start(options());
    Instant recorded = Instant.ofEpochMilli(1_700_000_000_123L);
    run.log(Map.of("loss", 0.5), 5, recorded);
    run.log(Map.of("loss", 0.4));
    run.log(Map.of("loss", 0.3), 7, null);
    run.log(Map.of("loss", 0.2), -1, recorded);
    run.finish();

    List<MetricBatch> b = batches();
    assertThat(b).extracting(MetricBatch::getStep).containsExactly(5L, 6L);
    assertThat(b.get(0).getTimestampMs()).isEqualTo(1_700_000_000_123L);
    assertThat(b.get(1).getTimestampMs()).isGreaterThan(1_700_000_000_123L);
    assertThat(run.counters().accepted()).isEqualTo(2);
    assertThat(run.counters().rejected()).isEqualTo(2);
  }

  @Test
  void shouldPublishSystemSamplesAtTheirTimeWithoutCountingThemAsPoints() {
    start(options());
    Instant sampled = Instant.ofEpochMilli(1_700_000_000_500L);
    Map<String, Number> sample = new LinkedHashMap<>();
    sample.put("system.cpu.percent", 12.5);
    sample.put("system.gpu.0.util", 80);
    sample.put("", 1.0);
    run.logSystem(sample, sampled);
    run.logSystem(Map.of("system.cpu.percent", 13.0), null);
    run.finish();

    AvroDeserializer<MetricBatch> d = new AvroDeserializer<>(MetricBatch.class, registry);
    List<MetricBatch> system =
        history().stream()
            .filter(r -> r.topic().equals("runstream.system"))
            .map(r -> d.deserialize(r.topic(), r.value()))
            .toList();
    assertThat(system)
        .singleElement()
        .satisfies(
            b -> {
              assertThat(b.getStep()).isEqualTo(1_700_000_000_500L);
              assertThat(b.getTimestampMs()).isEqualTo(1_700_000_000_500L);
              assertThat(b.getNames()).containsExactly("system.cpu.percent", "system.gpu.0.util");
              assertThat(b.getValues()).containsExactly(12.5, 80.0);
            });
    assertThat(batches()).isEmpty();
    assertThat(run.counters().accepted()).isZero();
    assertThat(run.counters().rejected()).isEqualTo(2); // the empty name, the null time
  }

  @Test
  void shouldDetachWithoutFinishingAndLeaveTheRunResumable() {
    start(options());
    run.log("loss", 1.0);
    run.log(Map.of("acc", 0.5), false);
    run.detach();
    run.detach();
    run.finish(0);
    run.log("loss", 2.0);

    assertThat(payloads()).noneMatch(RunFinished.class::isInstance);
    assertThat(batches()).extracting(MetricBatch::getStep).containsExactly(0L, 1L);
    assertThat(producers.get(0).closed()).isTrue();
    assertThat(run.counters().rejected()).isEqualTo(1);

    producers.clear();
    start(options().resume(Resume.ALLOW));
    assertThat(run.resumed()).isTrue();
    assertThat(run.step()).isEqualTo(2);
  }

  @Test
  void shouldAnnounceGroupAndJobType() {
    start(options().group("sweep-7").jobType("eval"));
    run.finish();

    RunStarted started = (RunStarted) payloads().get(0);
    assertThat(started.getGroup()).isEqualTo("sweep-7");
    assertThat(started.getJobType()).isEqualTo("eval");
  }

  @Test
  void shouldSendHeartbeatsWithTheLastStepWhileTheRunLives() {
    start(options().heartbeatInterval(Duration.ofMillis(50)));
    run.log("loss", 1.0);
    run.log("loss", 0.5);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                payloads().stream()
                    .filter(Heartbeat.class::isInstance)
                    .anyMatch(h -> ((Heartbeat) h).getLastStep() == 1));
    run.finish();
    long before = payloads().stream().filter(Heartbeat.class::isInstance).count();
    assertThat(payloads().get(payloads().size() - 1)).isInstanceOf(RunFinished.class);
    assertThat(payloads().stream().filter(Heartbeat.class::isInstance).count()).isEqualTo(before);
  }

  @Test
  void shouldWarnOnceNamingTheKeyAndCountEveryRejection() {
    start(options());
    String warnings =
        TestLogs.capturingStandardError(
            () -> {
              for (int i = 0; i < 3; i++) {
                run.log(ordered("lr", "high", "loss", 1.0, "bad,name", 2.0));
              }
            });
    run.finish();

    assertThat(run.counters().rejected()).isEqualTo(6);
    assertThat(run.counters().accepted()).isEqualTo(3);
    assertThat(warnings.lines().filter(l -> l.contains("WARN")).toList())
        .hasSize(2)
        .anySatisfy(l -> assertThat(l).contains("'lr'", "non-numeric", "java.lang.String"))
        .anySatisfy(l -> assertThat(l).contains("'bad,name'", "forbidden character"));
  }

  @Test
  void shouldNeverThrowIntoTheCallerWhateverItPasses() {
    start(options());
    Map<String, Object> throwing =
        new java.util.AbstractMap<>() {
          @Override
          public java.util.Set<Entry<String, Object>> entrySet() {
            throw new IllegalStateException("a broken map");
          }
        };
    run.log(throwing);
    run.log(throwing, 3);
    run.log(throwing, false);
    run.log((String) null, 1.0);
    run.log((Map<String, ?>) null, false);
    run.addTags((String[]) null);
    run.removeTags("x", null);
    run.notes(null);
    run.alert(null, null, null);
    run.config().update(null);
    run.summary().update(null);
    run.finish();

    assertThat(run.counters().rejected()).isEqualTo(5);
    assertThat(run.counters().accepted()).isZero();
  }

  @Test
  void shouldKeepTheNameOfTheRunItResumes() {
    start(options());
    run.log("loss", 1.0);
    run.finish();

    start(
        RunOptions.builder("tinyllm", Map.of())
            .runId("run1")
            .resume(Resume.ALLOW)
            .directory(dir)
            .systemMetricsInterval(Duration.ZERO));
    assertThat(run.name()).isEqualTo("test1");
    assertThat(run.step()).isEqualTo(1);
  }

  @Test
  void shouldStartANewRunWhenResumeAllowsItAndNothingExists() {
    start(options().runId("fresh").resume(Resume.ALLOW));
    assertThat(run.resumed()).isFalse();
    assertThat(run.step()).isZero();
    run.finish();
    assertThat(payloads().get(0)).isInstanceOf(RunStarted.class);
  }

  static List<Long> steps(int n) {
    List<Long> steps = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      steps.add(i);
    }
    return steps;
  }
}
