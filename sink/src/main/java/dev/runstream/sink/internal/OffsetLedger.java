package dev.runstream.sink.internal;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The offsets of batches written to ClickHouse but not committed yet: they wait here until the
 * rollups of every batch of the interval are written, so one rollup write serves them all (a live
 * run touches the same buckets batch after batch). A crash replays them all, and the replay
 * recomputes their rollups. The ledger also knows where each partition must be read again from when
 * the uncommitted work is dropped (a rebalance that could not commit).
 *
 * <p>While a rollup write runs beside the next batches, the batches it covers are marked ({@link
 * #markAll}): they are committed when it succeeds ({@link #takeMarked}), and the batches written
 * meanwhile wait for the next rollup write.
 *
 * <p>Not thread-safe: the consumer thread owns it.
 */
final class OffsetLedger {
  private record Written(
      Map<TopicPartition, OffsetAndMetadata> commit,
      Map<TopicPartition, Long> first,
      long atNanos) {}

  private final ArrayDeque<Written> batches = new ArrayDeque<>();
  // Batches at the head of `batches` covered by the rollup write in flight.
  private int marked;

  /** Records {@code batch} as written at {@code nowNanos}; an empty batch changes nothing. */
  void written(RowBatch batch, long nowNanos) {
    if (batch.isEmpty()) {
      return;
    }
    batches.addLast(
        new Written(Map.copyOf(batch.commitOffsets()), Map.copyOf(batch.firstOffsets()), nowNanos));
  }

  /** Whether no batch waits for a rollup write (batches marked for one in flight aside). */
  boolean isEmpty() {
    return batches.size() == marked;
  }

  /** Whether some written batch is not committed yet, marked or not. */
  boolean hasUncommitted() {
    return !batches.isEmpty();
  }

  /**
   * When the oldest batch that waits for a rollup write was written; meaningless while {@link
   * #isEmpty()}.
   */
  long sinceNanos() {
    int skip = marked;
    for (Written w : batches) {
      if (skip-- == 0) {
        return w.atNanos();
      }
    }
    return 0;
  }

  /** The offsets to commit for everything written so far; the ledger is empty afterwards. */
  Map<TopicPartition, OffsetAndMetadata> take() {
    markAll();
    return takeMarked();
  }

  /** Marks every batch written so far as covered by the rollup write that starts now. */
  void markAll() {
    marked = batches.size();
  }

  /** The offsets to commit for the marked batches, which leave the ledger. */
  Map<TopicPartition, OffsetAndMetadata> takeMarked() {
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    for (; marked > 0; marked--) {
      out.putAll(batches.removeFirst().commit()); // batches are in offset order per partition
    }
    return out;
  }

  /** Forgets everything: the records are read again from the last commit. */
  void clear() {
    batches.clear();
    marked = 0;
  }

  /**
   * The offset of each partition to read again from so that nothing uncommitted is lost: the first
   * offset of the oldest of this ledger's batches and of {@code unwritten} (batches read but not
   * written, any of them may be null).
   */
  Map<TopicPartition, Long> rewindOffsets(RowBatch... unwritten) {
    Map<TopicPartition, Long> firsts = new HashMap<>();
    for (Written w : batches) {
      w.first().forEach((tp, o) -> firsts.merge(tp, o, Math::min));
    }
    for (RowBatch b : unwritten) {
      if (b != null) {
        b.firstOffsets().forEach((tp, o) -> firsts.merge(tp, o, Math::min));
      }
    }
    return Collections.unmodifiableMap(firsts);
  }
}
