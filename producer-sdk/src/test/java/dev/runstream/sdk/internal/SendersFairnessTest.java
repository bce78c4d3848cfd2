package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runstream.schemas.AvroDeserializer;
import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.sdk.RunOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs of one process share sender threads and a producer: a run with a large backlog takes turns
 * with the others, a quantum at a time, so a run that logs a few points is not starved by it.
 */
@Timeout(120)
class SendersFairnessTest {
  private static final int BACKLOG = 20_000;

  @TempDir Path dir;
  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final Map<MockProducer<String, byte[]>, ProducerHandle> handles =
      new java.util.IdentityHashMap<>();
  private final MockProducer<String, byte[]> kafka =
      new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());

  private KafkaRun start(String id, Senders senders, SendBudget budget) {
    return start(id, senders, budget, kafka);
  }

  private KafkaRun start(
      String id, Senders senders, SendBudget budget, MockProducer<String, byte[]> kafka) {
    RunOptions options =
        RunOptions.builder("fair", Map.of())
            .runId(id)
            .directory(dir)
            .systemMetricsInterval(Duration.ZERO)
            .finishTimeout(Duration.ofSeconds(30))
            .build();
    ProducerHandle handle = handles.computeIfAbsent(kafka, SendersFairnessTest::sharedBy);
    return KafkaRun.start(options, handle, budget, registry, null, senders);
  }

  /** The runs share the producer as they do in a process: no run closes it. */
  private static ProducerHandle sharedBy(MockProducer<String, byte[]> kafka) {
    KafkaHealth health = new KafkaHealth("Kafka");
    FirstRecords first = new FirstRecords();
    return new ProducerHandle() {
      @Override
      public FirstRecords firstRecords(Producer<String, byte[]> producer) {
        return first;
      }

      @Override
      public Producer<String, byte[]> acquire() {
        return kafka;
      }

      @Override
      public void abort(Producer<String, byte[]> producer) {}

      @Override
      public void release(Producer<String, byte[]> producer, Duration timeout) {}

      @Override
      public boolean shared() {
        return false;
      }

      @Override
      public KafkaHealth health() {
        return health;
      }
    };
  }

  private List<String> metricKeys() {
    return kafka.history().stream()
        .filter(r -> r.topic().endsWith("metrics"))
        .map(ProducerRecord::key)
        .toList();
  }

  @Test
  void shouldDeliverASmallRunsPointsWhileABigBacklogIsStillBeingSent() {
    // One sender thread, started only once both runs' records wait in their journals: the order
    // in which Kafka gets them is decided by the turns alone.
    Senders senders = new Senders(1, false);
    KafkaRun big = start("big", senders, null);
    KafkaRun small = start("small", senders, null);
    for (int i = 0; i < BACKLOG; i++) {
      big.log(Map.of("loss", (double) i));
    }
    for (int i = 0; i < 10; i++) {
      small.log(Map.of("loss", (double) i));
    }
    senders.start();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> big.counters().sent() == BACKLOG && small.counters().sent() == 10);
    big.finish();
    small.finish();

    List<String> keys = metricKeys();
    assertThat(keys).filteredOn("small"::equals).hasSize(10);
    assertThat(keys).filteredOn("big"::equals).hasSize(BACKLOG);
    int lastSmall = keys.lastIndexOf("small");
    // Within a few turns of the big run, not after its backlog.
    assertThat(lastSmall).isLessThan(4 * RecordPipeline.QUANTUM);
    assertThat(keys.subList(lastSmall, keys.size()))
        .filteredOn("big"::equals)
        .hasSizeGreaterThan(BACKLOG - 4 * RecordPipeline.QUANTUM);
  }

  @Test
  void shouldKeepEveryRunsRecordsInOrderUnderASmallMemoryBudget() {
    Senders senders = new Senders(2, false);
    // Room for a few records at a time: runs wait for acknowledgements and are woken by them.
    SendBudget budget = new SendBudget(2_000, 600);
    MockProducer<String, byte[]> broker =
        new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
    List<KafkaRun> runs =
        List.of(
            start("a", senders, budget, broker),
            start("b", senders, budget, broker),
            start("c", senders, budget, broker));
    for (int i = 0; i < 2_000; i++) {
      for (KafkaRun run : runs) {
        run.log(Map.of("loss", (double) i, "acc", (double) i));
      }
    }
    senders.start();
    // The broker acknowledges only when asked: here, at each poll.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(5))
        .until(
            () -> {
              while (broker.completeNext()) {
                // acknowledge everything handed over so far
              }
              return runs.stream().allMatch(r -> r.counters().sent() == 4_000);
            });
    List<CompletableFuture<Void>> finished =
        runs.stream().map(r -> CompletableFuture.runAsync(r::finish)).toList();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              while (broker.completeNext()) {
                // the finish events
              }
              return finished.stream().allMatch(CompletableFuture::isDone);
            });

    assertThat(budget.used()).isZero();
    assertThat(budget.peak()).isPositive().isLessThanOrEqualTo(2_000);
    for (KafkaRun run : runs) {
      List<Long> steps =
          broker.history().stream()
              .filter(r -> r.topic().endsWith("metrics") && r.key().equals(run.id()))
              .map(r -> step(r.value()))
              .toList();
      assertThat(steps).containsExactlyElementsOf(KafkaRunTest.steps(2_000));
    }
  }

  private long step(byte[] value) {
    return new AvroDeserializer<>(MetricBatch.class, registry)
        .deserialize("metrics", value)
        .getStep();
  }
}
