package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.query.internal.Tables;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class BatchWriterTest {
  /** Records inserts; fails the inserts into a table with the exception mapped to it. */
  private static final class FakeWriter implements TableWriter {
    final List<String> inserts = new ArrayList<>();
    final Map<String, Exception> failing = new HashMap<>();

    @Override
    public void insert(String table, byte[] rowBinary, int rows) throws Exception {
      Exception failure = failing.get(table);
      if (failure != null) {
        throw failure;
      }
      inserts.add(table + ":" + rows);
    }
  }

  private final FakeWriter writer = new FakeWriter();
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final SinkCounters counters = new SinkCounters();
  private final Retry retry =
      new Retry(2, Duration.ZERO, Duration.ZERO, d -> {}, () -> 0.0, () -> {});
  private final BatchWriter batchWriter =
      new BatchWriter(
          writer,
          new RollupTracker(),
          retry,
          new DeadLetters(producer, "runstream.dlq", retry, counters),
          counters);

  /** A batch with one run row (offset 0) and one alert row (offset 1). */
  private static RowBatch batch() {
    RowBatch b = new RowBatch();
    b.add(source("runstream.runs", 0), List.of(new EncodedRows(Tables.RUNS, new byte[] {1}, 1)), 0);
    b.add(
        source("runstream.alerts", 1),
        List.of(new EncodedRows(Tables.ALERTS, new byte[] {2}, 1)),
        0);
    return b;
  }

  private static RowBatch.Source source(String topic, long offset) {
    return new RowBatch.Source(
        topic, 0, offset, "run-1".getBytes(StandardCharsets.UTF_8), new byte[] {9});
  }

  @Test
  void shouldInsertEveryTableOnceAndLeaveNothingPending() {
    RowBatch b = batch();

    BatchWriter.Outcome outcome = batchWriter.write(b);

    assertThat(outcome.done()).isTrue();
    assertThat(writer.inserts).containsExactly("runs:1", "alerts:1");
    assertThat(b.pendingTables()).isEmpty();
    assertThat(b.rows()).isZero();
    assertThat(counters.rowsWritten())
        .containsEntry(Tables.RUNS, 1L)
        .containsEntry(Tables.ALERTS, 1L);
  }

  @Test
  void shouldKeepWhatIsInsertedAndTryOnlyTheRestAgainWhenClickHouseIsAway() {
    RowBatch b = batch();
    writer.failing.put(Tables.ALERTS, new ConnectException("ClickHouse is down"));

    BatchWriter.Outcome failed = batchWriter.write(b);

    assertThat(failed.done()).isFalse();
    assertThat(failed.what()).isEqualTo("insert into alerts");
    assertThat(failed.count()).isEqualTo(1);
    assertThat(failed.failure()).isInstanceOf(ConnectException.class);
    assertThat(b.pendingTables()).containsOnlyKeys(Tables.ALERTS);
    assertThat(producer.history()).as("not the data's fault").isEmpty();

    writer.failing.clear();
    assertThat(batchWriter.write(b).done()).isTrue();
    assertThat(writer.inserts).containsExactly("runs:1", "alerts:1");
  }

  @Test
  void shouldDeadLetterTheRecordsOfARejectedTableAndWriteTheRest() {
    RowBatch b = batch();
    writer.failing.put(Tables.RUNS, new IllegalArgumentException("Cannot parse input"));

    BatchWriter.Outcome outcome = batchWriter.write(b);

    assertThat(outcome.done()).isTrue();
    assertThat(writer.inserts).containsExactly("alerts:1");
    assertThat(producer.history()).hasSize(1);
    assertThat(
            new String(
                producer.history().get(0).headers().lastHeader(DeadLetters.ERROR_HEADER).value(),
                StandardCharsets.UTF_8))
        .startsWith("ClickHouse rejected insert into runs: IllegalArgumentException");
    assertThat(counters.deadLettered.sum()).isEqualTo(1);
  }

  @Test
  void shouldHoldTheRejectedRowsWhenTheDeadLetterTopicRefusesThem() {
    RowBatch b = batch();
    writer.failing.put(Tables.RUNS, new IllegalArgumentException("Cannot parse input"));
    producer.sendException = new TimeoutException("broker away");

    BatchWriter.Outcome outcome = batchWriter.write(b);

    assertThat(outcome.done()).isFalse();
    assertThat(outcome.what()).isEqualTo("dead-letter of rows rejected by runs");
    assertThat(b.pendingTables()).containsKeys(Tables.RUNS, Tables.ALERTS);
  }

  @Test
  void shouldHaveNothingToDoWithoutPendingRollups() {
    assertThat(batchWriter.writeRollups()).isEqualTo(BatchWriter.Outcome.DONE);
    assertThat(counters.rollupRefreshes.sum()).isZero();
  }
}
