package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runstream.schemas.AvroDeserializer;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.sdk.RunCounters;
import dev.runstream.sdk.RunOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class KafkaRunTest {
  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final MockProducer<String, SpecificRecord> producer =
      new MockProducer<>(true, null, new StringSerializer(), new AvroSerializer<>(registry));
  private KafkaRun run;

  private KafkaRun start(RunOptions.Builder options) {
    run = new KafkaRun(options.build(), producer);
    run.begin();
    return run;
  }

  private static RunOptions.Builder options() {
    return RunOptions.builder("tinyllm", Map.of())
        .runId("run1")
        .name("test1")
        .notes("training test")
        .tags("tag1", "tag2")
        .config(Map.of("learning_rate", 0.02, "model", Map.of("layers", 4)));
  }

  @AfterEach
  void finishRun() {
    if (run != null) {
      run.finish();
    }
  }

  private List<MetricBatch> sentBatches() {
    return producer.history().stream()
        .map(ProducerRecord::value)
        .filter(MetricBatch.class::isInstance)
        .map(MetricBatch.class::cast)
        .toList();
  }

  @Test
  void shouldAnnounceTheRunWithItsMetadata() {
    start(options());
    run.finish();

    RunEvent first = (RunEvent) producer.history().get(0).value();
    assertThat(producer.history().get(0).topic()).isEqualTo("runstream.runs");
    assertThat(producer.history().get(0).key()).isEqualTo("run1");
    RunStarted started = (RunStarted) first.getPayload();
    assertThat(started.getName()).isEqualTo("test1");
    assertThat(started.getNotes()).isEqualTo("training test");
    assertThat(started.getTags()).containsExactly("tag1", "tag2");
    assertThat(started.getConfigJson()).contains("\"learning_rate\":0.02", "\"layers\":4");
    assertThat(started.getEnvironment()).containsKeys("host", "os", "jvm", "cpu_count");
    // Every record must survive the real serializer, not only the mock's history.
    byte[] bytes = new AvroSerializer<RunEvent>(registry).serialize("runstream.runs", first);
    assertThat(
            new AvroDeserializer<>(RunEvent.class, registry).deserialize("runstream.runs", bytes))
        .isEqualTo(first);
  }

  @Test
  void shouldAdvanceTheStepWithEveryLogCall() {
    start(options());
    run.log(Map.of("loss", 1.0));
    run.log("loss", 0.5);
    run.log(Map.of("loss", 0.1), 10);
    run.log(Map.of("loss", 0.3), 4); // an earlier step is accepted, not dropped
    run.log(Map.of("loss", 0.05));
    run.finish();

    assertThat(sentBatches())
        .extracting(MetricBatch::getStep)
        .containsExactly(0L, 1L, 10L, 4L, 11L);
    assertThat(sentBatches())
        .extracting(MetricBatch::getSequence)
        .isSorted()
        .doesNotHaveDuplicates();
  }

  @Test
  void shouldSendNonFiniteValuesAndCountEveryPoint() {
    start(options());
    Map<String, Number> metrics = new LinkedHashMap<>();
    metrics.put("loss", Double.NaN);
    metrics.put("grad_norm", Double.POSITIVE_INFINITY);
    metrics.put("epoch", 3);
    run.log(metrics);
    run.finish();

    MetricBatch batch = sentBatches().get(0);
    assertThat(batch.getNames()).containsExactly("loss", "grad_norm", "epoch");
    assertThat(batch.getValues()).containsExactly(Double.NaN, Double.POSITIVE_INFINITY, 3.0);
    assertThat(run.counters()).isEqualTo(new RunCounters(3, 3, 0, 0));
  }

  @Test
  void shouldRejectInvalidPointsWithoutThrowing() {
    start(options());
    Map<String, Number> metrics = new HashMap<>();
    metrics.put("", 1.0);
    metrics.put("ok", 2.0);
    metrics.put("missing", null);
    run.log(metrics);
    run.log(null);
    run.log(Map.of("loss", 1.0), -5);
    run.finish();
    run.log("after_finish", 1.0);

    assertThat(sentBatches()).hasSize(1);
    assertThat(sentBatches().get(0).getNames()).containsExactly("ok");
    assertThat(run.counters()).isEqualTo(new RunCounters(1, 1, 4, 0));
  }

  @Test
  void shouldSendFinishOnceWithTheExitCode() {
    start(options());
    run.log("loss", 1.0);
    run.finish(3);
    run.finish(0);
    run.close();

    List<RunFinished> finishes =
        producer.history().stream()
            .map(ProducerRecord::value)
            .filter(RunEvent.class::isInstance)
            .map(v -> ((RunEvent) v).getPayload())
            .filter(RunFinished.class::isInstance)
            .map(RunFinished.class::cast)
            .toList();
    assertThat(finishes).hasSize(1);
    assertThat(finishes.get(0).getExitCode()).isEqualTo(3);
    assertThat(finishes.get(0).getLastStep()).isEqualTo(0);
    assertThat(producer.closed()).isTrue();
  }

  @Test
  void shouldCountPointsKafkaRefused() {
    MockProducer<String, SpecificRecord> failing =
        new MockProducer<>(false, null, new StringSerializer(), new AvroSerializer<>(registry));
    run = new KafkaRun(options().build(), failing);
    run.begin();
    run.log(Map.of("a", 1.0, "b", 2.0));
    await().atMost(Duration.ofSeconds(10)).until(() -> failing.history().size() == 2);
    failing.errorNext(new RuntimeException("started")); // the RunStarted event
    failing.errorNext(new RuntimeException("broker said no"));

    assertThat(run.counters().failed()).isEqualTo(2);
    assertThat(run.counters().sent()).isZero();
  }

  @Test
  void shouldGenerateIdAndNameWhenAbsent() {
    run = new KafkaRun(RunOptions.builder("p", Map.of()).build(), producer);
    assertThat(run.id()).matches("[0-9a-z]{8}");
    assertThat(run.name()).matches("[a-z]+-[a-z]+-\\d+");
    run = null;
  }
}
