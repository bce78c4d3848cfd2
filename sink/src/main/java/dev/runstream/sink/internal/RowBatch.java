package dev.runstream.sink.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The rows of one batch, buffered per table, with the offsets to commit once every table's rows are
 * written and the source records behind each table (to dead-letter them if ClickHouse rejects that
 * table's insert).
 *
 * <p>Not thread-safe: owned by the worker thread.
 */
public final class RowBatch {
  /** A consumed record, kept so it can be dead-lettered with its original bytes. */
  public record Source(String topic, int partition, long offset, byte[] key, byte[] value) {}

  /** The buffered rows of one table. */
  public static final class TableRows {
    // Rows encoded when their record was read; metric points are encoded together when written.
    private RowBinary bytes;
    private final List<MetricPoints> deferred = new ArrayList<>();
    private final List<Source> sources = new ArrayList<>();
    private final List<MetricPoints> points = new ArrayList<>();
    private int rows;
    private boolean inserted;

    /** The rows as RowBinary: those encoded when read, then the points, in key order. */
    public byte[] bytes() {
      if (deferred.isEmpty()) {
        return bytes == null ? new byte[0] : bytes.toByteArray();
      }
      byte[] encoded = MetricRows.encode(deferred);
      if (bytes == null) {
        return encoded;
      }
      return new RowBinary(bytes.size() + encoded.length)
          .raw(bytes.array(), 0, bytes.size())
          .raw(encoded, 0, encoded.length)
          .toByteArray();
    }

    public int rows() {
      return rows;
    }

    public List<Source> sources() {
      return sources;
    }

    /** The metric points of these rows, for the rollups of {@code metrics} once they are in. */
    public List<MetricPoints> points() {
      return points;
    }

    /** Whether the rows are inserted and only the rollup refresh is pending. */
    public boolean inserted() {
      return inserted;
    }

    public void markInserted() {
      inserted = true;
    }
  }

  private final Map<String, TableRows> tables = new LinkedHashMap<>();
  private final Map<TopicPartition, Long> firstOffsets = new HashMap<>();
  private final Map<TopicPartition, Long> nextOffsets = new HashMap<>();
  private int rows;
  private long startedNanos;

  /** Adds a record's rows (possibly none) and advances its partition's offset. */
  public void add(Source source, List<EncodedRows> encoded, long nowNanos) {
    TopicPartition tp = new TopicPartition(source.topic(), source.partition());
    for (EncodedRows e : encoded) {
      if (e.rows() == 0) {
        continue;
      }
      TableRows t = tables.computeIfAbsent(e.table(), k -> new TableRows());
      if (e.deferred()) {
        t.deferred.add(e.points());
      } else {
        if (t.bytes == null) {
          t.bytes = new RowBinary(1 << 12);
        }
        t.bytes.raw(e.bytes(), 0, e.bytes().length);
      }
      t.rows += e.rows();
      if (e.points() != null) {
        t.points.add(e.points());
      }
      t.sources.add(source);
      rows += e.rows();
    }
    advance(tp, source.offset(), nowNanos);
  }

  /** Marks a record as handled without rows (a tombstone, a dead-lettered record). */
  public void skip(TopicPartition tp, long offset, long nowNanos) {
    advance(tp, offset, nowNanos);
  }

  private void advance(TopicPartition tp, long offset, long nowNanos) {
    if (isEmpty()) {
      startedNanos = nowNanos;
    }
    firstOffsets.putIfAbsent(tp, offset);
    nextOffsets.put(tp, offset + 1);
  }

  /** Whether nothing was consumed since the last commit. */
  public boolean isEmpty() {
    return nextOffsets.isEmpty();
  }

  /** Rows buffered and not yet written. */
  public int rows() {
    return rows;
  }

  /** When the first record of this batch arrived ({@link System#nanoTime()} scale). */
  public long startedNanos() {
    return startedNanos;
  }

  /** Tables whose rows are not written yet, in first-seen order; a live view. */
  public Map<String, TableRows> pendingTables() {
    return tables;
  }

  /** Forgets a table's rows once they are written (or dead-lettered). */
  public void markWritten(String table) {
    TableRows removed = tables.remove(table);
    if (removed != null) {
      rows -= removed.rows;
    }
  }

  /** The offsets that commit this batch: each partition's last handled offset plus one. */
  public Map<TopicPartition, OffsetAndMetadata> commitOffsets() {
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    nextOffsets.forEach((tp, next) -> out.put(tp, new OffsetAndMetadata(next)));
    return out;
  }

  /** The first offset of this batch per partition: where to rewind if the batch is dropped. */
  public Map<TopicPartition, Long> firstOffsets() {
    return firstOffsets;
  }

  public void clear() {
    tables.clear();
    firstOffsets.clear();
    nextOffsets.clear();
    rows = 0;
  }
}
