package dev.runstream.sdk;

import static dev.runstream.sdk.TopicReader.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.deploy.LocalStack;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunResumed;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.testing.LocalStackExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resuming a run on a machine that has no run directory for it, the case of a preempted job
 * restarted elsewhere: what the run left in Kafka is all there is.
 */
@ExtendWith(LocalStackExtension.class)
@Timeout(180)
class ResumeFromKafkaIT {
  @TempDir Path firstMachine;
  @TempDir Path secondMachine;
  @TempDir Path thirdMachine;

  /**
   * A new team prefix whose topics exist, as in a deployment (the processor and the sink create
   * them). Left to auto-creation, a partition's leadership can move under the run's idempotent
   * producer, which then retries OUT_OF_ORDER_SEQUENCE_NUMBER for as long as this test waits.
   */
  private static String prefix(LocalStack stack) {
    String prefix = "resume-it-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    try (Admin admin =
        Admin.create(
            Map.<String, Object>of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
      TopicSetup.ensure(admin, Topics.withPrefix(prefix), TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    return prefix;
  }

  private static RunOptions.Builder options(LocalStack stack, String prefix, Path directory) {
    return RunOptions.builder("tinyllm", Map.of())
        .kafkaBootstrap(stack.kafkaBootstrap())
        .schemaRegistryUrl(stack.schemaRegistryUrl())
        .topicPrefix(prefix)
        .directory(directory)
        .systemMetricsInterval(Duration.ZERO)
        .resumeLookupTimeout(Duration.ofSeconds(30));
  }

  private static Map<String, Double> metrics(long step) {
    return Map.of("loss", 1.0 / (step + 1), "acc", step / 500.0);
  }

  /** The run's directory is lost with the machine it ran on. */
  private static void lose(Run run) {
    Path dir = run.directory().orElseThrow();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(ResumeFromKafkaIT::delete);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertThat(dir).doesNotExist();
  }

  private static void delete(Path p) {
    try {
      Files.delete(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every sequence the run's records carry on the runs, metrics, system and alerts topics. */
  private static List<Long> sequences(
      LocalStack stack, Topics topics, String runId, int events, int batches, int samples) {
    List<Long> all = new ArrayList<>();
    readAll(stack, topics.runs.name(), RunEvent.class, events).stream()
        .filter(e -> e.getRunId().equals(runId))
        .forEach(e -> all.add(e.getSequence()));
    readAll(stack, topics.metrics.name(), MetricBatch.class, batches).stream()
        .filter(b -> b.getRunId().equals(runId))
        .forEach(b -> all.add(b.getSequence()));
    if (samples > 0) {
      readAll(stack, topics.system.name(), MetricBatch.class, samples).stream()
          .filter(b -> b.getRunId().equals(runId))
          .forEach(b -> all.add(b.getSequence()));
    }
    return all;
  }

  @Test
  void shouldContinueAfterTheLastStepThatReachedKafkaWhenTheRunDirectoryIsGone(LocalStack stack)
      throws IOException {
    String prefix = prefix(stack);
    Topics topics = Topics.withPrefix(prefix);
    String id = "preempted-" + prefix.substring(10, 18);
    Run first =
        Runstream.init(
            options(stack, prefix, firstMachine)
                .runId(id)
                .name("spot-instance-run")
                .systemMetricsInterval(Duration.ofMillis(100))
                .build());
    for (int step = 0; step < 120; step++) {
      first.log(metrics(step));
    }
    first.alert("preempted soon", "the spot instance got its notice", AlertLevel.WARN);
    // At least one system sample before the end, so the run's records are on all four topics.
    TopicReader.read(stack, topics.system.name(), MetricBatch.class, 1, false);
    first.finish(1);
    assertThat(first.counters().unsent()).isZero();
    lose(first);
    List<Long> before = sequences(stack, topics, id, 2, 120, 1);
    long highestBefore = before.stream().mapToLong(Long::longValue).max().orElseThrow();
    List<Alert> alerts = readAll(stack, topics.alerts.name(), Alert.class, 1);
    long alertSequence = Long.parseLong(alerts.get(0).getEpisodeId().substring(id.length() + 1));
    highestBefore = Math.max(highestBefore, alertSequence);

    Run second =
        Runstream.init(
            options(stack, prefix, secondMachine).runId(id).resume(Resume.ALLOW).build());
    assertThat(second.resumed()).isTrue();
    assertThat(second.name()).isEqualTo("spot-instance-run");
    assertThat(second.step()).isEqualTo(120);
    for (int i = 0; i < 30; i++) {
      second.log(metrics(second.step()));
    }
    second.finish();

    assertThat(second.counters().sent()).isEqualTo(60);
    assertThat(second.counters().replayed()).isZero();
    List<MetricBatch> batches =
        readAll(stack, topics.metrics.name(), MetricBatch.class, 150).stream()
            .filter(b -> b.getRunId().equals(id))
            .toList();
    assertThat(batches).extracting(MetricBatch::getStep).containsExactlyElementsOf(steps(0, 150));
    assertThat(batches.subList(120, 150))
        .extracting(MetricBatch::getSequence)
        .allMatch(s -> s > alertSequence)
        .isSorted();
    long highest = highestBefore;
    List<RunEvent> events =
        readAll(stack, topics.runs.name(), RunEvent.class, 4).stream()
            .filter(e -> e.getRunId().equals(id))
            .toList();
    RunEvent resumed =
        events.stream().filter(e -> e.getPayload() instanceof RunResumed).findFirst().orElseThrow();
    assertThat(((RunResumed) resumed.getPayload()).getFromStep()).isEqualTo(120);
    assertThat(resumed.getSequence()).isEqualTo(highest + 1);
    assertThat(batches.get(120).getSequence()).isGreaterThan(highest);
    assertThat(Files.readString(secondMachine.resolve("run-" + id).resolve("run.json")))
        .contains("spot-instance-run");
  }

  @Test
  void shouldResumeWithMustARunThatExistsOnlyInKafka(LocalStack stack) {
    String prefix = prefix(stack);
    Topics topics = Topics.withPrefix(prefix);
    String id = "must-" + prefix.substring(10, 18);
    Run first = Runstream.init(options(stack, prefix, firstMachine).runId(id).build());
    String generatedName = first.name();
    for (int step = 0; step < 60; step++) {
      first.log(metrics(step));
    }
    // The newest batch has a low step: the run still continues after the highest one.
    first.log(metrics(10), 10);
    first.finish();
    lose(first);

    Run second =
        Runstream.init(options(stack, prefix, secondMachine).runId(id).resume(Resume.MUST).build());
    assertThat(second.resumed()).isTrue();
    assertThat(second.step()).isEqualTo(60);
    assertThat(second.name()).isEqualTo(generatedName);
    for (int i = 0; i < 5; i++) {
      second.log(metrics(second.step()));
    }
    second.finish();
    lose(second);

    // And once more from a third machine: the second process's own records are what it finds.
    Run third =
        Runstream.init(options(stack, prefix, thirdMachine).runId(id).resume(Resume.MUST).build());
    assertThat(third.step()).isEqualTo(65);
    assertThat(third.name()).isEqualTo(generatedName);
    third.log(metrics(65));
    third.finish();

    List<MetricBatch> batches =
        readAll(stack, topics.metrics.name(), MetricBatch.class, 67).stream()
            .filter(b -> b.getRunId().equals(id))
            .toList();
    assertThat(batches).hasSize(67);
    assertThat(batches).extracting(MetricBatch::getSequence).isSorted().doesNotHaveDuplicates();
    assertThat(batches.subList(61, 67))
        .extracting(MetricBatch::getStep)
        .containsExactly(60L, 61L, 62L, 63L, 64L, 65L);
  }

  @Test
  void shouldRefuseToResumeAnIdKafkaDoesNotHaveWhenResumeIsMust(LocalStack stack) {
    String prefix = prefix(stack);
    // Another run, so that the team's topics exist and hold records.
    Run other = Runstream.init(options(stack, prefix, firstMachine).runId("someone-else").build());
    other.log(metrics(0));
    other.finish();
    String ghost = "ghost-" + prefix.substring(10, 18);

    assertThatThrownBy(
            () ->
                Runstream.init(
                    options(stack, prefix, secondMachine).runId(ghost).resume(Resume.MUST).build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "run "
                + ghost
                + " cannot be resumed: Kafka at "
                + stack.kafkaBootstrap()
                + " has no record of it in "
                + prefix
                + "runs, and there is no run directory "
                + secondMachine.resolve("run-" + ghost));
    assertThat(secondMachine.resolve("run-" + ghost)).doesNotExist();
  }

  @Test
  void shouldRefuseANewRunWhoseIdKafkaHasWhenResumeIsNever(LocalStack stack) {
    String prefix = prefix(stack);
    String id = "taken-" + prefix.substring(10, 18);
    Run first = Runstream.init(options(stack, prefix, firstMachine).runId(id).build());
    first.log(metrics(0));
    first.finish();
    lose(first);

    assertThatThrownBy(
            () -> Runstream.init(options(stack, prefix, secondMachine).runId(id).build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "run "
                + id
                + " already exists in Kafka (topics "
                + prefix
                + "*); resume it with Resume.ALLOW or choose another run id");
    assertThat(secondMachine.resolve("run-" + id)).doesNotExist();

    // Another team's topics (another prefix) do not hold it: there the id is new.
    String otherPrefix = prefix(stack);
    Run elsewhere = Runstream.init(options(stack, otherPrefix, secondMachine).runId(id).build());
    assertThat(elsewhere.resumed()).isFalse();
    elsewhere.finish();
    List<RunEvent> events =
        readAll(stack, Topics.withPrefix(otherPrefix).runs.name(), RunEvent.class, 2);
    assertThat(events.get(0).getPayload()).isInstanceOf(RunStarted.class);
  }

  @Test
  void shouldStartWithAWarningOrFailWhenKafkaCannotBeReached(LocalStack stack) throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    String nowhere = "127.0.0.1:" + closedPort;
    RunOptions.Builder unreachable =
        options(stack, "unreachable.", secondMachine)
            .kafkaBootstrap(nowhere)
            .resumeLookupTimeout(Duration.ofSeconds(2))
            .finishTimeout(Duration.ofSeconds(1));

    assertThatThrownBy(
            () -> Runstream.init(unreachable.runId("cut-off").resume(Resume.MUST).build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(
            "run cut-off cannot be resumed: there is no run directory "
                + secondMachine.resolve("run-cut-off")
                + ", and Kafka at "
                + nowhere
                + " could not be asked where the run left off within resumeLookupTimeout PT2S");
    assertThat(secondMachine.resolve("run-cut-off")).doesNotExist();

    Run[] started = new Run[1];
    String logs =
        TestLogs.capturingStandardError(
            () ->
                started[0] =
                    Runstream.init(unreachable.runId("cut-off").resume(Resume.ALLOW).build()));
    Run run = started[0];
    assertThat(run.resumed()).isFalse();
    assertThat(run.step()).isZero();
    assertThat(logs)
        .contains(
            "could not find out from Kafka at " + nowhere,
            "where run cut-off left off",
            "starting it at step 0 as a new run",
            "lose to the earlier points downstream");
    run.log(metrics(0));
    run.finish();
    // What it logged waits in its directory for `runstream sync`.
    assertThat(run.counters().unsent()).isEqualTo(2);
  }

  private static List<Long> steps(int from, int to) {
    List<Long> steps = new ArrayList<>();
    for (long i = from; i < to; i++) {
      steps.add(i);
    }
    return steps;
  }
}
