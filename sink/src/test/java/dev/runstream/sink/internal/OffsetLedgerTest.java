package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetLedgerTest {
  private static final TopicPartition A = new TopicPartition("runstream.metrics", 0);
  private static final TopicPartition B = new TopicPartition("runstream.runs", 0);

  private final OffsetLedger ledger = new OffsetLedger();

  /** A batch that handled {@code offsets} of {@code tp}, with no rows. */
  private static RowBatch batch(TopicPartition tp, long... offsets) {
    RowBatch b = new RowBatch();
    for (long o : offsets) {
      b.add(new RowBatch.Source(tp.topic(), tp.partition(), o, null, null), List.of(), 0);
    }
    return b;
  }

  @Test
  void shouldCommitTheLastOffsetOfEveryPartitionOfEveryWrittenBatch() {
    ledger.written(batch(A, 3, 4), 100);
    ledger.written(batch(A, 5, 6), 200);
    ledger.written(batch(B, 10), 300);

    assertThat(ledger.isEmpty()).isFalse();
    assertThat(ledger.sinceNanos()).as("when the oldest was written").isEqualTo(100);
    assertThat(ledger.take())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(A, new OffsetAndMetadata(7), B, new OffsetAndMetadata(11)));
    assertThat(ledger.isEmpty()).isTrue();
    assertThat(ledger.take()).isEmpty();
  }

  @Test
  void shouldStartTheIntervalAgainAfterACommit() {
    ledger.written(batch(A, 1), 100);
    ledger.take();
    ledger.written(batch(A, 2), 900);

    assertThat(ledger.sinceNanos()).isEqualTo(900);
  }

  @Test
  void shouldIgnoreAnEmptyBatch() {
    ledger.written(new RowBatch(), 100);

    assertThat(ledger.isEmpty()).isTrue();
  }

  @Test
  void shouldRewindEachPartitionToTheOldestUncommittedOrUnwrittenRecord() {
    ledger.written(batch(A, 5, 6), 100);
    ledger.written(batch(A, 7), 200);
    RowBatch held = batch(B, 20, 21);
    RowBatch filling = batch(A, 8);
    filling.add(new RowBatch.Source(B.topic(), B.partition(), 22, null, null), List.of(), 0);

    assertThat(ledger.rewindOffsets(filling, held, null))
        .containsExactlyInAnyOrderEntriesOf(Map.of(A, 5L, B, 20L));
  }

  @Test
  void shouldForgetEverythingWhenCleared() {
    ledger.written(batch(A, 5), 100);
    ledger.clear();

    assertThat(ledger.isEmpty()).isTrue();
    assertThat(ledger.rewindOffsets()).isEmpty();
  }

  @Test
  void shouldCommitOnlyTheMarkedBatchesAndKeepTheLaterOnesForTheNextRollupWrite() {
    ledger.written(batch(A, 3, 4), 100);
    ledger.markAll(); // a rollup write of batch 1 starts
    ledger.written(batch(A, 5), 200);
    ledger.written(batch(B, 10), 300);

    assertThat(ledger.isEmpty()).as("two batches wait for the next rollup write").isFalse();
    assertThat(ledger.sinceNanos()).as("the oldest unmarked").isEqualTo(200);
    assertThat(ledger.rewindOffsets())
        .as("marked but uncommitted batches are read again too")
        .containsExactlyInAnyOrderEntriesOf(Map.of(A, 3L, B, 10L));

    assertThat(ledger.takeMarked())
        .containsExactlyInAnyOrderEntriesOf(Map.of(A, new OffsetAndMetadata(5)));
    assertThat(ledger.hasUncommitted()).isTrue();
    assertThat(ledger.rewindOffsets()).containsExactlyInAnyOrderEntriesOf(Map.of(A, 5L, B, 10L));
    assertThat(ledger.take())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(A, new OffsetAndMetadata(6), B, new OffsetAndMetadata(11)));
    assertThat(ledger.hasUncommitted()).isFalse();
  }
}
