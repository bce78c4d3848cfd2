package dev.runstream.sink.internal;

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
 * <p>Not thread-safe: the consumer thread owns it.
 */
final class OffsetLedger {
  private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
  private final Map<TopicPartition, Long> first = new HashMap<>();
  private long sinceNanos;

  /** Records {@code batch} as written at {@code nowNanos}; an empty batch changes nothing. */
  void written(RowBatch batch, long nowNanos) {
    if (batch.isEmpty()) {
      return;
    }
    if (toCommit.isEmpty()) {
      sinceNanos = nowNanos;
    }
    toCommit.putAll(batch.commitOffsets());
    batch.firstOffsets().forEach(first::putIfAbsent);
  }

  /** Whether nothing waits to be committed. */
  boolean isEmpty() {
    return toCommit.isEmpty();
  }

  /** When the oldest uncommitted batch was written; meaningless while {@link #isEmpty()}. */
  long sinceNanos() {
    return sinceNanos;
  }

  /** The offsets to commit for everything written so far; the ledger is empty afterwards. */
  Map<TopicPartition, OffsetAndMetadata> take() {
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>(toCommit);
    clear();
    return out;
  }

  /** Forgets everything: the records are read again from the last commit. */
  void clear() {
    toCommit.clear();
    first.clear();
  }

  /**
   * The offset of each partition to read again from so that nothing uncommitted is lost: the first
   * offset of the oldest of this ledger's batches and of {@code unwritten} (batches read but not
   * written, any of them may be null).
   */
  Map<TopicPartition, Long> rewindOffsets(RowBatch... unwritten) {
    Map<TopicPartition, Long> firsts = new HashMap<>(first);
    for (RowBatch b : unwritten) {
      if (b != null) {
        b.firstOffsets().forEach((tp, o) -> firsts.merge(tp, o, Math::min));
      }
    }
    return Collections.unmodifiableMap(firsts);
  }
}
