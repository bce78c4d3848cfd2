package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.clickhouse.client.api.ServerException;
import dev.runstream.query.internal.RollupLevels;
import dev.runstream.query.internal.Tables;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.SchemaRegistryException;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.RunSummary;
import dev.runstream.schemas.avro.Severity;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SinkWorkerTest {
  private static final Topics TOPICS = Topics.defaults();
  private static final Duration DELAY = Duration.ofSeconds(1);
  private static final Duration PAUSE = Duration.ofSeconds(5);
  private static final Duration STALL = Duration.ofSeconds(10);
  private static final TopicPartition RUNS = new TopicPartition(TOPICS.runs.name(), 0);
  private static final TopicPartition METRICS = new TopicPartition(TOPICS.metrics.name(), 0);
  private static final TopicPartition SUMMARIES = new TopicPartition(TOPICS.runSummaries.name(), 0);
  private static final TopicPartition ALERTS = new TopicPartition(TOPICS.alerts.name(), 0);

  /**
   * Records inserts and rollup writes; fails inserts while {@code failures} is positive and rollup
   * writes while {@code rollupFailures} is. Stores nothing, so every series is new to it: its
   * rollups are folded in memory ({@link RollupTracker}), never recomputed.
   */
  private static final class FakeWriter implements TableWriter {
    final List<String> inserts = new ArrayList<>();
    final Map<String, Integer> rows = new HashMap<>();
    final AtomicInteger failures = new AtomicInteger();
    final List<List<Rollups.Row>> rollupWrites = new ArrayList<>();
    final AtomicInteger rollupFailures = new AtomicInteger();
    Exception failure = new ConnectException("ClickHouse is down");
    Exception rollupFailure = new ConnectException("ClickHouse is down");
    // When set, inserts wait for it: a ClickHouse that does not answer.
    volatile CountDownLatch frozen;

    @Override
    public void insertRollups(List<Rollups.Row> rows) throws Exception {
      if (rollupFailures.getAndDecrement() > 0) {
        throw rollupFailure;
      }
      rollupWrites.add(List.copyOf(rows));
    }

    @Override
    public void refreshRollups(Map<Rollups.Series, Rollups.StepRange> touched) {
      throw new AssertionError("nothing is stored, so nothing is recomputed: " + touched);
    }

    @Override
    public void insert(String table, byte[] rowBinary, int count) throws Exception {
      CountDownLatch wait = frozen;
      if (wait != null) {
        assertThat(wait.await(10, TimeUnit.SECONDS)).as("thawed").isTrue();
      }
      if (failures.getAndDecrement() > 0) {
        throw failure;
      }
      inserts.add(table);
      rows.merge(table, count, Integer::sum);
    }
  }

  /** A registry whose lookups fail as unreachable while {@code down} is positive. */
  private static final class FlakyRegistry implements SchemaRegistry {
    final InMemorySchemaRegistry delegate = new InMemorySchemaRegistry();
    final AtomicInteger down = new AtomicInteger();

    @Override
    public int register(String subject, Schema schema) {
      return delegate.register(subject, schema);
    }

    @Override
    public Schema schemaById(int id) {
      if (down.getAndDecrement() > 0) {
        throw new SchemaRegistryException("registry unreachable", -1);
      }
      return delegate.schemaById(id);
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
      return delegate.isCompatible(subject, schema);
    }
  }

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final FlakyRegistry registry = new FlakyRegistry();
  private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final FakeWriter writer = new FakeWriter();
  private final List<String> stallEvents = new CopyOnWriteArrayList<>();
  private final StallWatch stalls =
      new StallWatch(
          writer,
          STALL,
          () -> now.get(),
          new StallWatch.Listener() {
            @Override
            public void stalled(String table, Duration waiting) {
              stallEvents.add("stalled " + table);
            }

            @Override
            public void recovered(String table, Duration stalled) {
              stallEvents.add("recovered " + table);
            }
          });
  private final SinkCounters counters = new SinkCounters();
  private final Map<TopicPartition, Long> nextOffset = new HashMap<>();
  private SinkWorker worker;

  @BeforeEach
  void setUp() {
    worker = newWorker(100);
  }

  private SinkWorker newWorker(int maxRows) {
    return newWorker(maxRows, Duration.ZERO);
  }

  private SinkWorker newWorker(int maxRows, Duration rollupInterval) {
    return newWorker(maxRows, rollupInterval, Runnable::run);
  }

  private SinkWorker newWorker(int maxRows, Duration rollupInterval, Executor executor) {
    return newWorker(maxRows, rollupInterval, executor, executor);
  }

  private SinkWorker newWorker(
      int maxRows, Duration rollupInterval, Executor executor, Executor rollupExecutor) {
    SinkWorker w =
        new SinkWorker(
            consumer,
            producer,
            stalls,
            new RecordMapper(TOPICS, registry),
            new Retry(3, Duration.ZERO, Duration.ZERO, d -> {}, () -> 0.0, () -> {}),
            new SinkWorker.Settings(
                List.of(
                    TOPICS.runs.name(),
                    TOPICS.metrics.name(),
                    TOPICS.system.name(),
                    TOPICS.runSummaries.name(),
                    TOPICS.alerts.name()),
                TOPICS.deadLetters,
                maxRows,
                DELAY,
                PAUSE,
                rollupInterval),
            counters,
            now::get,
            executor,
            rollupExecutor);
    w.subscribe();
    List<TopicPartition> all = List.of(RUNS, METRICS, SUMMARIES, ALERTS);
    consumer.rebalance(all);
    Map<TopicPartition, Long> beginning = new HashMap<>();
    all.forEach(tp -> beginning.put(tp, 0L));
    consumer.updateBeginningOffsets(beginning);
    return w;
  }

  private <T extends SpecificRecord> void produce(TopicPartition tp, T value) {
    byte[] bytes = new AvroSerializer<T>(registry).serialize(tp.topic(), value);
    produceBytes(tp, bytes);
  }

  private void produceBytes(TopicPartition tp, byte[] bytes) {
    long offset = nextOffset.merge(tp, 1L, Long::sum) - 1;
    consumer.addRecord(
        new ConsumerRecord<>(
            tp.topic(), tp.partition(), offset, "run-1".getBytes(StandardCharsets.UTF_8), bytes));
  }

  private static RunEvent started() {
    return RunEvent.newBuilder()
        .setRunId("run-1")
        .setEntity("team")
        .setProject("proj")
        .setTimestampMs(1_000)
        .setPayload(RunStarted.newBuilder().setName("first").setConfigJson("{\"lr\": 0.1}").build())
        .build();
  }

  private static MetricBatch metrics(long step, double loss) {
    return MetricBatch.newBuilder()
        .setRunId("run-1")
        .setEntity("team")
        .setProject("proj")
        .setStep(step)
        .setTimestampMs(2_000)
        .setSequence(step)
        .setNames(List.of("loss", "acc"))
        .setValues(List.of(loss, 0.5))
        .build();
  }

  private static RunSummary summary() {
    return RunSummary.newBuilder()
        .setRunId("run-1")
        .setEntity("team")
        .setProject("proj")
        .setState(RunState.RUNNING)
        .setUpdatedMs(3_000)
        .build();
  }

  private static Alert alert() {
    return Alert.newBuilder()
        .setRunId("run-1")
        .setTimestampMs(4_000)
        .setRule("non-finite")
        .setSeverity(Severity.CRITICAL)
        .setMessage("loss is NaN")
        .setEpisodeId("e1")
        .build();
  }

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  private Map<TopicPartition, OffsetAndMetadata> committed() {
    return consumer.committed(java.util.Set.of(RUNS, METRICS, SUMMARIES, ALERTS));
  }

  private static String header(ProducerRecord<byte[], byte[]> record, String key) {
    Header h = record.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** Rows for loss and acc of run-1 at steps 1 and 2: bucket 0 of every level. */
  private static void assertBucketsOfSteps1And2(List<Rollups.Row> rows) {
    List<org.assertj.core.groups.Tuple> expected = new ArrayList<>();
    for (String metric : List.of("loss", "acc")) {
      for (int width : RollupLevels.LEVELS) {
        expected.add(org.assertj.core.groups.Tuple.tuple(metric, width, 0L, 2L));
      }
    }
    assertThat(rows)
        .extracting(
            r -> r.series().metric(), Rollups.Row::width, Rollups.Row::bucket, Rollups.Row::points)
        .containsExactlyInAnyOrderElementsOf(expected);
    assertThat(rows).allSatisfy(r -> assertThat(r.series().runId()).isEqualTo("run-1"));
  }

  @Test
  void shouldInsertEachTableOnceThenCommitWhenTheDelayPassed() {
    produce(RUNS, started());
    produce(METRICS, metrics(1, 0.9));
    produce(METRICS, metrics(2, 0.8));
    produce(SUMMARIES, summary());
    produce(ALERTS, alert());

    worker.pollOnce();
    assertThat(writer.inserts).as("nothing is written before the delay").isEmpty();
    assertThat(committed()).isEmpty();

    advance(DELAY);
    worker.pollOnce();

    assertThat(writer.inserts)
        .containsExactlyInAnyOrder(
            Tables.RUNS,
            Tables.RUN_EVENTS,
            Tables.RUN_ATTRIBUTES,
            Tables.METRICS,
            Tables.RUN_STATES,
            Tables.ALERTS);
    assertThat(writer.rollupWrites)
        .as("one rollup write for the metrics: both steps of both series, at every level")
        .singleElement()
        .satisfies(SinkWorkerTest::assertBucketsOfSteps1And2);
    assertThat(writer.rows).containsEntry(Tables.METRICS, 4).containsEntry(Tables.RUNS, 1);
    assertThat(committed())
        .containsEntry(RUNS, new OffsetAndMetadata(1))
        .containsEntry(METRICS, new OffsetAndMetadata(2))
        .containsEntry(SUMMARIES, new OffsetAndMetadata(1))
        .containsEntry(ALERTS, new OffsetAndMetadata(1));
    assertThat(counters.recordsRead.sum()).isEqualTo(5);
    assertThat(counters.batches.sum()).isEqualTo(1);
    assertThat(counters.rowsWritten()).containsEntry(Tables.METRICS, 4L);
    assertThat(counters.deadLettered.sum()).isZero();
  }

  @Test
  void shouldRetryOnlyTheRollupRefreshWhenItFailsAfterTheInsert() {
    produce(METRICS, metrics(1, 0.9));
    writer.rollupFailures.set(3); // every attempt of the first flush

    worker.pollOnce();
    advance(DELAY);
    worker.pollOnce();

    assertThat(writer.inserts).containsExactly(Tables.METRICS);
    assertThat(writer.rollupWrites).isEmpty();
    assertThat(committed()).as("not committed before the rollups are right").isEmpty();
    assertThat(consumer.paused()).containsExactlyInAnyOrderElementsOf(consumer.assignment());
    assertThat(counters.failedFlushes.sum()).isEqualTo(1);

    advance(PAUSE);
    worker.pollOnce();

    assertThat(writer.inserts)
        .as("the rows are not inserted twice")
        .containsExactly(Tables.METRICS);
    assertThat(writer.rollupWrites).hasSize(1);
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(1));
    assertThat(counters.rollupRefreshes.sum()).isEqualTo(1);
    assertThat(counters.rollupAppendedPoints.sum()).isEqualTo(2);
    assertThat(counters.rollupFailures.sum()).isZero();
  }

  @Test
  void shouldShareOneRollupRefreshAmongTheBatchesOfAnIntervalAndCommitOnlyAfterIt() {
    worker = newWorker(2, Duration.ofSeconds(5));
    produce(METRICS, metrics(1, 0.9));
    worker.pollOnce(); // full: inserted, refresh deferred
    produce(METRICS, metrics(2, 0.8));
    worker.pollOnce(); // full again

    assertThat(writer.rows).containsEntry(Tables.METRICS, 4);
    assertThat(writer.rollupWrites).isEmpty();
    assertThat(committed()).as("no commit before the rollups are right").isEmpty();
    assertThat(consumer.paused()).as("deferring is not pausing").isEmpty();

    advance(Duration.ofSeconds(5));
    worker.pollOnce();

    assertThat(writer.rollupWrites)
        .singleElement()
        .satisfies(SinkWorkerTest::assertBucketsOfSteps1And2);
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(2));
    assertThat(counters.batches.sum()).isEqualTo(2);
  }

  @Test
  void shouldWriteTheRollupsAndCommitAtOnceOnlyWhenEveryPartitionIsReadToTheEnd() {
    worker = newWorker(2, Duration.ofMinutes(1));
    produce(METRICS, metrics(1, 0.9));
    // The broker reports more records than were fetched yet: not caught up.
    consumer.updateEndOffsets(Map.of(RUNS, 0L, METRICS, 3L, SUMMARIES, 0L, ALERTS, 0L));
    worker.pollOnce(); // full: inserted, rollups deferred
    worker.pollOnce(); // nothing fetched, but the end is ahead

    assertThat(writer.rows).containsEntry(Tables.METRICS, 2);
    assertThat(writer.rollupWrites).as("more may come within the interval").isEmpty();
    assertThat(committed()).isEmpty();

    produce(METRICS, metrics(2, 0.8));
    produce(METRICS, metrics(3, 0.7));
    worker.pollOnce(); // both fetched: the end reached, but records came
    assertThat(writer.rollupWrites).isEmpty();
    worker.pollOnce(); // nothing more, every partition at its end

    assertThat(counters.batches.sum()).as("the two records of one poll share a batch").isEqualTo(2);
    assertThat(writer.rollupWrites).as("one write for both batches").hasSize(1);
    assertThat(writer.rollupWrites.get(0)).extracting(Rollups.Row::points).contains(3L);
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(3));
  }

  @Test
  void shouldRefreshAndCommitDeferredBatchesOnStop() {
    worker = newWorker(2, Duration.ofMinutes(1));
    produce(METRICS, metrics(1, 0.9));
    worker.pollOnce();
    assertThat(committed()).isEmpty();

    worker.requestStop();
    worker.run();

    assertThat(writer.rollupWrites).hasSize(1);
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(1));
  }

  @Test
  void shouldCountARejectedRollupRefreshAndCommitTheStoredRows() {
    produce(METRICS, metrics(1, 0.9));
    writer.rollupFailures.set(1);
    writer.rollupFailure = new ServerException(62, "Syntax error", 500, "q");

    worker.pollOnce();
    advance(DELAY);
    worker.pollOnce();

    assertThat(writer.inserts).containsExactly(Tables.METRICS);
    assertThat(counters.rollupFailures.sum()).isEqualTo(1);
    assertThat(producer.history()).as("stored records are not dead-lettered").isEmpty();
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(1));
  }

  @Test
  void shouldFlushAsSoonAsTheBatchIsFull() {
    worker = newWorker(4);
    produce(METRICS, metrics(1, 0.9));
    produce(METRICS, metrics(2, 0.8));

    worker.pollOnce();

    assertThat(writer.inserts).containsExactly(Tables.METRICS);
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(2));
  }

  @Test
  void shouldPauseWithoutCommittingWhileClickHouseIsDownThenRetryTheSameBatch() {
    produce(METRICS, metrics(1, 0.9));
    writer.failures.set(3); // every attempt of the first flush

    worker.pollOnce();
    advance(DELAY);
    worker.pollOnce();

    assertThat(writer.inserts).isEmpty();
    assertThat(committed()).isEmpty();
    assertThat(consumer.paused()).containsExactlyInAnyOrderElementsOf(consumer.assignment());
    assertThat(counters.failedFlushes.sum()).isEqualTo(1);
    assertThat(counters.retries.sum()).isEqualTo(2);

    // Paused: new records are not fetched, so the buffer does not grow.
    produce(METRICS, metrics(2, 0.8));
    worker.pollOnce();
    assertThat(counters.recordsRead.sum()).isEqualTo(1);
    assertThat(counters.maxBufferedRows()).as("only the held batch is in memory").isEqualTo(2);
    assertThat(writer.inserts).as("no new attempt before the backoff").isEmpty();

    advance(PAUSE);
    worker.pollOnce();

    assertThat(writer.inserts).containsExactly(Tables.METRICS);
    assertThat(writer.rows).containsEntry(Tables.METRICS, 2);
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(1));
    assertThat(consumer.paused()).isEmpty();

    worker.pollOnce(); // resumed: the record produced meanwhile is read now
    assertThat(counters.recordsRead.sum()).isEqualTo(2);
  }

  @Test
  void shouldDeadLetterAnUndecodableRecordAndIngestTheRest() {
    produce(METRICS, metrics(1, 0.9));
    produceBytes(METRICS, "not avro at all".getBytes(StandardCharsets.UTF_8));
    produce(METRICS, metrics(2, 0.8));

    worker.pollOnce();
    advance(DELAY);
    worker.pollOnce();

    assertThat(producer.history()).hasSize(1);
    ProducerRecord<byte[], byte[]> dead = producer.history().get(0);
    assertThat(dead.topic()).isEqualTo("runstream.dlq");
    assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("not avro at all");
    assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("run-1");
    assertThat(header(dead, DeadLetters.ERROR_HEADER)).contains("magic byte");
    assertThat(header(dead, DeadLetters.SOURCE_TOPIC_HEADER)).isEqualTo("runstream.metrics");
    assertThat(header(dead, DeadLetters.SOURCE_PARTITION_HEADER)).isEqualTo("0");
    assertThat(header(dead, DeadLetters.SOURCE_OFFSET_HEADER)).isEqualTo("1");
    assertThat(writer.rows).containsEntry(Tables.METRICS, 4);
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(3));
    assertThat(counters.deadLettered.sum()).isEqualTo(1);
    assertThat(counters.recordsRead.sum()).isEqualTo(3);
  }

  @Test
  void shouldDeadLetterTheRecordsOfATableClickHouseRejects() {
    produce(METRICS, metrics(1, 0.9));
    produce(ALERTS, alert());
    writer.failures.set(1);
    writer.failure = new ServerException(53, "Type mismatch", 500, "q");

    worker.pollOnce();
    advance(DELAY);
    worker.pollOnce();

    assertThat(producer.history()).hasSize(1);
    assertThat(header(producer.history().get(0), DeadLetters.ERROR_HEADER))
        .contains("ClickHouse rejected insert into");
    assertThat(writer.inserts).hasSize(1);
    assertThat(committed())
        .containsEntry(METRICS, new OffsetAndMetadata(1))
        .containsEntry(ALERTS, new OffsetAndMetadata(1));
  }

  @Test
  void shouldReadARecordAgainWhenTheRegistryIsUnreachable() {
    produce(METRICS, metrics(1, 0.9));
    produce(METRICS, metrics(2, 0.8));
    registry.down.set(1);

    worker.pollOnce();

    assertThat(producer.history()).as("not the record's fault: not dead-lettered").isEmpty();
    assertThat(counters.recordsRead.sum()).isZero();
    assertThat(consumer.paused()).isNotEmpty();
    assertThat(consumer.position(METRICS)).as("rewound to the failed record").isZero();

    // MockConsumer drops what it returned; a broker would serve the records again after the seek.
    nextOffset.clear();
    produce(METRICS, metrics(1, 0.9));
    produce(METRICS, metrics(2, 0.8));
    advance(PAUSE);
    worker.pollOnce();
    advance(DELAY);
    worker.pollOnce();

    assertThat(writer.rows).containsEntry(Tables.METRICS, 4);
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(2));
  }

  /** Runs the writer's tasks only when told to. */
  private static final class StepExecutor implements Executor {
    final Deque<Runnable> queued = new ArrayDeque<>();

    @Override
    public void execute(Runnable task) {
      queued.add(task);
    }

    void runNext() {
      assertThat(queued).as("a task is waiting").isNotEmpty();
      queued.poll().run();
    }
  }

  @Test
  void shouldInsertTheNextBatchWhileTheRollupsOfTheLastAreWrittenAndCommitOnlyWhatTheyCover() {
    StepExecutor writerThread = new StepExecutor();
    StepExecutor rollupThread = new StepExecutor();
    worker = newWorker(2, Duration.ZERO, writerThread, rollupThread);
    produce(METRICS, metrics(1, 0.9));
    worker.pollOnce(); // full: handed to the writer
    writerThread.runNext(); // batch 1 inserted
    worker.pollOnce(); // its rollups are taken from the tracker on the writer
    produce(METRICS, metrics(2, 0.8));
    worker.pollOnce(); // batch 2 decoded meanwhile
    writerThread.runNext(); // the rollup rows of batch 1 taken
    worker.pollOnce();

    assertThat(rollupThread.queued).as("the rollup insert of batch 1").hasSize(1);
    assertThat(writerThread.queued).as("batch 2, not waiting for it").hasSize(1);
    writerThread.runNext(); // batch 2 inserted before the rollups of batch 1
    worker.pollOnce();
    assertThat(writer.rows).containsEntry(Tables.METRICS, 4);
    assertThat(writer.rollupWrites).isEmpty();
    assertThat(committed()).as("nothing before its rollups").isEmpty();

    rollupThread.runNext(); // rollups of batch 1
    worker.pollOnce();
    assertThat(writer.rollupWrites).hasSize(1);
    assertThat(writer.rollupWrites.get(0))
        .as("batch 1's step only")
        .allSatisfy(r -> assertThat(r.lastStep()).isEqualTo(1L));
    assertThat(committed())
        .as("batch 1 only: batch 2 waits for its own rollups")
        .containsEntry(METRICS, new OffsetAndMetadata(1));

    while (!writerThread.queued.isEmpty() || !rollupThread.queued.isEmpty()) {
      if (!writerThread.queued.isEmpty()) {
        writerThread.runNext();
      } else {
        rollupThread.runNext();
      }
      worker.pollOnce();
    }
    assertThat(writer.rollupWrites).hasSize(2);
    assertThat(writer.rollupWrites.get(1)).extracting(Rollups.Row::lastStep).containsOnly(2L);
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(2));
    assertThat(counters.rollupRefreshes.sum()).isEqualTo(2);
  }

  @Test
  void shouldHoldTheCommitAndTryTheRollupInsertAgainWhenItFailsBesideTheBatches() {
    StepExecutor writerThread = new StepExecutor();
    StepExecutor rollupThread = new StepExecutor();
    worker = newWorker(2, Duration.ZERO, writerThread, rollupThread);
    writer.rollupFailures.set(3); // every attempt of the first insert
    produce(METRICS, metrics(1, 0.9));
    worker.pollOnce();
    writerThread.runNext(); // batch 1 inserted
    worker.pollOnce();
    writerThread.runNext(); // its rollup rows taken
    worker.pollOnce();
    rollupThread.runNext(); // fails three times
    worker.pollOnce();

    assertThat(writer.rollupWrites).isEmpty();
    assertThat(committed()).as("not committed before the rollups are in").isEmpty();
    assertThat(counters.failedFlushes.sum()).isEqualTo(1);
    assertThat(consumer.paused()).containsExactlyInAnyOrderElementsOf(consumer.assignment());
    assertThat(rollupThread.queued).as("not again before the backoff").isEmpty();

    advance(PAUSE);
    worker.pollOnce();
    rollupThread.runNext(); // the same rows, again
    worker.pollOnce();

    assertThat(writer.inserts)
        .as("the rows are not inserted twice")
        .containsExactly(Tables.METRICS);
    assertThat(writer.rollupWrites).hasSize(1);
    assertThat(writer.rollupWrites.get(0)).extracting(Rollups.Row::lastStep).containsOnly(1L);
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(1));
    assertThat(consumer.paused()).isEmpty();
  }

  @Test
  void shouldDecodeTheNextBatchWhileTheLastIsWrittenAndPauseWhenBothAreFull() {
    StepExecutor writerThread = new StepExecutor();
    worker = newWorker(2, Duration.ZERO, writerThread);
    produce(METRICS, metrics(1, 0.9));
    worker.pollOnce(); // full: handed to the writer

    produce(METRICS, metrics(2, 0.8));
    worker.pollOnce(); // decoded while the first batch waits for the writer
    assertThat(counters.recordsRead.sum()).isEqualTo(2);
    assertThat(writer.inserts).isEmpty();
    assertThat(counters.bufferedRows()).as("two batches in memory").isEqualTo(4);
    assertThat(consumer.paused())
        .as("both batches full: nothing more is fetched")
        .containsExactlyInAnyOrderElementsOf(consumer.assignment());

    produce(METRICS, metrics(3, 0.7));
    worker.pollOnce();
    assertThat(counters.recordsRead.sum()).as("paused").isEqualTo(2);
    assertThat(writerThread.queued).hasSize(1);

    writerThread.runNext(); // batch 1 inserted
    worker.pollOnce(); // its rollups go to the writer; batch 2 waits
    assertThat(writer.rows).containsEntry(Tables.METRICS, 2);
    assertThat(committed()).as("not before its rollups").isEmpty();
    writerThread.runNext(); // rollups of batch 1
    worker.pollOnce();
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(1));

    while (!writerThread.queued.isEmpty()) {
      writerThread.runNext();
      worker.pollOnce();
    }
    assertThat(writer.rows).containsEntry(Tables.METRICS, 6);
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(3));
    assertThat(writer.rollupWrites).hasSize(3);
    assertThat(counters.maxBufferedRows()).isEqualTo(4);
    assertThat(consumer.paused()).isEmpty();
  }

  @Test
  void shouldWarnOnceWhileAnInsertBlocksAndSayWhenClickHouseAnswersAgain() throws Exception {
    ExecutorService writerThread = Executors.newSingleThreadExecutor();
    try {
      writer.frozen = new CountDownLatch(1);
      worker = newWorker(1, Duration.ZERO, writerThread);
      produce(METRICS, metrics(1, 0.9));
      worker.pollOnce(); // full: the insert starts and hangs
      await().atMost(Duration.ofSeconds(10)).until(stalls::stalling);
      worker.pollOnce();
      assertThat(stallEvents).as("not yet past the threshold").isEmpty();

      advance(STALL);
      worker.pollOnce();
      worker.pollOnce();
      assertThat(stallEvents).containsExactly("stalled metrics");
      assertThat(committed()).isEmpty();

      writer.frozen.countDown();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                worker.pollOnce();
                assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(1));
              });
      assertThat(stallEvents).containsExactly("stalled metrics", "recovered metrics");
    } finally {
      writerThread.shutdownNow();
    }
  }

  @Test
  void shouldWaitForTheWriterThenWriteAndCommitEverythingOnStop() throws Exception {
    ExecutorService writerThread = Executors.newSingleThreadExecutor();
    try {
      worker = newWorker(2, Duration.ofMinutes(1), writerThread);
      produce(METRICS, metrics(1, 0.9));
      worker.pollOnce(); // batch 1 handed to the writer
      produce(METRICS, metrics(2, 0.8));
      consumer.schedulePollTask(() -> {});
      consumer.schedulePollTask(worker::requestStop);

      worker.run(); // batch 2 read, then everything written, rolled up and committed

      assertThat(writer.rows).containsEntry(Tables.METRICS, 4);
      assertThat(writer.rollupWrites).hasSize(1);
      assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(2));
    } finally {
      writerThread.shutdownNow();
    }
  }

  @Test
  void shouldSkipTombstonesAndCommitThem() {
    produceBytes(SUMMARIES, null);

    worker.pollOnce();
    advance(DELAY);
    worker.pollOnce();

    assertThat(writer.inserts).isEmpty();
    assertThat(producer.history()).isEmpty();
    assertThat(committed()).containsEntry(SUMMARIES, new OffsetAndMetadata(1));
  }

  @Test
  void shouldFlushAndCommitThePendingBatchOnStop() {
    produce(METRICS, metrics(1, 0.9));
    consumer.schedulePollTask(() -> {});
    consumer.schedulePollTask(worker::requestStop);

    worker.run(); // returns after the stop request, before the batch delay

    assertThat(writer.rows).containsEntry(Tables.METRICS, 2);
    assertThat(committed()).containsEntry(METRICS, new OffsetAndMetadata(1));
  }
}
