package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.schemas.AvroDeserializer;
import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunResumed;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.sdk.Mode;
import dev.runstream.sdk.Resume;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.TestLogs;
import dev.runstream.sdk.internal.RunHistory.Outcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@code init} combines the resume policy, the run directory and what a lookup found in Kafka.
 * The lookup is a stand-in answering what the real one can answer; {@code RunstreamIT} and {@code
 * ResumeFromKafkaIT} read a real broker.
 */
@Timeout(30)
class KafkaRunResumeTest {
  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final List<MockProducer<String, byte[]>> producers = new CopyOnWriteArrayList<>();
  private final Supplier<Producer<String, byte[]>> factory =
      () -> {
        MockProducer<String, byte[]> p =
            new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        producers.add(p);
        return p;
      };
  private final List<String> lookups = new CopyOnWriteArrayList<>();
  @TempDir Path dir;
  private KafkaRun run;

  private RunOptions.Builder options(String id) {
    RunOptions.Builder b =
        RunOptions.builder("tinyllm", Map.of())
            .directory(dir)
            .systemMetricsInterval(Duration.ZERO)
            .finishTimeout(Duration.ofSeconds(5));
    return id == null ? b : b.runId(id);
  }

  private RunLookup answering(RunHistory history) {
    return (id, goal, wantName) -> {
      lookups.add(id + " " + goal + " " + wantName);
      return history;
    };
  }

  private static RunHistory found(long lastStep, long lastSequence, String name) {
    return new RunHistory(
        Outcome.FOUND, lastStep, lastSequence, name, "default", "tinyllm", true, 10, "read");
  }

  private static RunHistory outcome(Outcome outcome) {
    return new RunHistory(outcome, -1, -1, null, null, null, false, 0, "what was read");
  }

  private KafkaRun start(RunOptions.Builder options, RunHistory history) {
    run = KafkaRun.start(options.build(), factory, registry, answering(history));
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

  private List<RunEvent> events() {
    AvroDeserializer<RunEvent> d = new AvroDeserializer<>(RunEvent.class, registry);
    return history().stream()
        .filter(r -> r.topic().equals("runstream.runs"))
        .map(r -> d.deserialize(r.topic(), r.value()))
        .toList();
  }

  @Test
  void shouldContinueAfterWhatReachedKafkaWithoutARunDirectory() {
    start(options("r1").resume(Resume.ALLOW), found(41, 130, "brisk-river-42"));
    run.log("loss", 0.5);
    run.finish();

    assertThat(lookups).containsExactly("r1 RESUME true");
    assertThat(run.resumed()).isTrue();
    assertThat(run.name()).isEqualTo("brisk-river-42");
    assertThat(events().get(0).getPayload()).isEqualTo(new RunResumed(42L));
    assertThat(events()).extracting(RunEvent::getSequence).allMatch(s -> s > 130);
    assertThat(batches())
        .singleElement()
        .satisfies(
            b -> {
              assertThat(b.getStep()).isEqualTo(42);
              assertThat(b.getSequence()).isGreaterThan(130);
            });
    // Nothing was replayed: the new directory holds only this process's records.
    assertThat(run.counters().replayed()).isZero();
    assertThat(run.counters().sent()).isEqualTo(1);
    assertThat(RunDirectory.open(dir.resolve("run-r1")).readMetadata())
        .containsEntry("name", "brisk-river-42");
  }

  @Test
  void shouldTakeTheLaterOfTheRunDirectoryAndKafka() {
    start(options("r2").name("mine"), outcome(Outcome.ABSENT));
    for (int i = 0; i < 5; i++) {
      run.log("loss", i);
    }
    run.finish();
    producers.clear();

    // The run went on elsewhere after this machine's part: Kafka is further.
    start(options("r2").resume(Resume.ALLOW), found(20, 60, "other-name"));
    assertThat(run.step()).isEqualTo(21);
    assertThat(run.name()).isEqualTo("mine");
    run.log("loss", 1.0);
    run.finish();
    // Sequences go on right after Kafka's highest: RunResumed, then the batch.
    assertThat(events().get(0).getSequence()).isEqualTo(61);
    assertThat(batches()).singleElement().satisfies(b -> assertThat(b.getSequence()).isEqualTo(62));
    // With the directory, Kafka was not asked for the name.
    assertThat(lookups).containsExactly("r2 EXISTS false", "r2 RESUME false");
    producers.clear();

    // And the other way round: the run directory is further than what Kafka shows.
    start(options("r2").resume(Resume.MUST), found(3, 4, null));
    assertThat(run.step()).isEqualTo(22);
  }

  @Test
  void shouldRefuseAnIdKafkaHasWhenResumeIsNever() {
    assertThatThrownBy(() -> start(options("taken"), found(3, 9, "x")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "run taken already exists in Kafka (topics runstream.*); resume it with Resume.ALLOW"
                + " or choose another run id");
    assertThat(dir.resolve("run-taken")).doesNotExist();
    run = null;
  }

  @Test
  void shouldStartAnUncheckedNewRunWithAWarningWhenKafkaCannotBeAsked() {
    String logs =
        TestLogs.capturingStandardError(
            () -> start(options("unchecked"), outcome(Outcome.UNREACHABLE)));
    assertThat(run.resumed()).isFalse();
    assertThat(logs).contains("could not check", "run id unchecked is new", "what was read");
    run.finish();
    assertThat(events().get(0).getPayload()).isInstanceOf(RunStarted.class);
  }

  @Test
  void shouldNotAskKafkaAboutAGeneratedId() {
    start(options(null), found(1, 1, "x"));
    assertThat(lookups).isEmpty();
    assertThat(run.resumed()).isFalse();
  }

  @Test
  void shouldFailMustWhenKafkaCannotBeAskedAndThereIsNoRunDirectory() {
    assertThatThrownBy(
            () -> start(options("down").resume(Resume.MUST), outcome(Outcome.UNREACHABLE)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("run down cannot be resumed: there is no run directory")
        .hasMessageContaining("could not be asked where the run left off")
        .hasMessageContaining("what was read");
    assertThat(dir.resolve("run-down")).doesNotExist();
  }

  @Test
  void shouldContinueMustFromTheRunDirectoryWhenKafkaCannotBeAsked() {
    start(options("down"), outcome(Outcome.ABSENT));
    run.log(Map.of("loss", 1.0));
    run.log(Map.of("loss", 0.5));
    run.finish();

    start(options("down").resume(Resume.MUST), outcome(Outcome.UNREACHABLE));
    assertThat(run.resumed()).isTrue();
    assertThat(run.step()).isEqualTo(2);
  }

  @Test
  void shouldFailMustForARunNeitherInKafkaNorInADirectory() {
    assertThatThrownBy(() -> start(options("nope").resume(Resume.MUST), outcome(Outcome.ABSENT)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "run nope cannot be resumed: Kafka at 127.0.0.1:9092 has no record of it in"
                + " runstream.runs, and there is no run directory "
                + dir.resolve("run-nope"));
    assertThatThrownBy(() -> start(options("nope").resume(Resume.MUST), outcome(Outcome.UNKNOWN)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("gave no record of it within resumeLookupTimeout PT10S")
        .hasMessageContaining("raise resumeLookupTimeout (RUNSTREAM_RESUME_LOOKUP_TIMEOUT)");
    run = null;
  }

  @Test
  void shouldResumeFromTheRunDirectoryWithAWarningWhenKafkaCannotBeAskedAndResumeAllows() {
    start(options("local"), outcome(Outcome.ABSENT));
    run.log("loss", 1.0);
    run.log("loss", 2.0);
    run.finish();

    String logs =
        TestLogs.capturingStandardError(
            () -> start(options("local").resume(Resume.ALLOW), outcome(Outcome.UNREACHABLE)));
    assertThat(run.resumed()).isTrue();
    assertThat(run.step()).isEqualTo(2);
    assertThat(logs)
        .contains(
            "could not find out from Kafka at 127.0.0.1:9092",
            "continuing from the run directory " + dir.resolve("run-local") + " at step 2",
            "lose to the earlier points downstream",
            "Raise resumeLookupTimeout, or copy the newest run directory here");
  }

  @Test
  void shouldStartFromZeroWithAWarningWhenNothingIsKnownAndResumeAllows() {
    String logs =
        TestLogs.capturingStandardError(
            () -> start(options("blind").resume(Resume.ALLOW), outcome(Outcome.UNKNOWN)));
    assertThat(run.resumed()).isFalse();
    assertThat(run.step()).isZero();
    assertThat(logs).contains("starting it at step 0 as a new run");
  }

  @Test
  void shouldWarnWhenKafkaWasNotReadBackFarEnough() {
    RunHistory partial =
        new RunHistory(Outcome.FOUND, 9, 30, null, "default", "tinyllm", false, 5, "partial");
    String logs =
        TestLogs.capturingStandardError(
            () -> start(options("partial").resume(Resume.MUST), partial));
    assertThat(run.step()).isEqualTo(10);
    assertThat(logs)
        .contains("was not read back far enough", "continuing at step 10 and sequence 31")
        .contains("its display name was not found in Kafka");
  }

  @Test
  void shouldWarnWhenTheRunExistsInAnotherProject() {
    RunHistory elsewhere =
        new RunHistory(Outcome.FOUND, 1, 2, "n", "default", "vision", true, 5, "read");
    String logs =
        TestLogs.capturingStandardError(
            () -> start(options("moved").resume(Resume.ALLOW), elsewhere));
    assertThat(logs)
        .contains(
            "run moved exists in Kafka under team default and project vision; this process logs"
                + " it under team default and project tinyllm");
  }

  @Test
  void shouldLookNothingUpOffline() {
    assertThatThrownBy(
            () ->
                KafkaRun.start(
                    options("off").mode(Mode.OFFLINE).resume(Resume.MUST).build(),
                    null,
                    null,
                    answering(outcome(Outcome.UNREACHABLE))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("an offline run is resumed from its run directory only");
    assertThat(lookups).isEmpty();
    run = null;
  }
}
