package dev.runstream.sink.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's consumer loop, run by one thread: poll, decode, buffer rows per table, and when the
 * batch is full or old enough insert each table's rows (one insert per table per batch) and only
 * then commit the offsets. Offsets are never committed ahead of the rows, so a crash re-reads at
 * most one batch, which the ReplacingMergeTree keys make harmless.
 *
 * <p>The cases, by what failed:
 *
 * <pre>
 * failure                               | classified  | what happens
 * --------------------------------------+-------------+-----------------------------------------
 * record does not decode / cannot store | dead-letter | original bytes + reason to the DLQ topic,
 *                                       |             | offset counts as handled
 * registry unreachable while decoding   | retry       | seek back to the record, pause all
 *                                       |             | partitions for a backoff, decode again
 * dead-letter send fails                | (any)       | same as above: the record is not skipped
 * insert fails, retryable, after retries| retry       | batch kept, nothing committed, partitions
 *                                       |             | paused (no unbounded buffering), the
 *                                       |             | remaining tables retried after a backoff
 * insert rejected (data error)          | dead-letter | that table's source records to the DLQ,
 *                                       |             | the rest of the batch goes on
 * rollup refresh fails, retryable       | retry       | rows stay inserted, offsets not
 *                                       |             | committed, only the refresh is retried
 * rollup refresh not yet due            |             | batches inserted, offsets held until one
 *                                       |             | refresh (every rollupInterval) covers all
 * rollup refresh rejected               | (logged)    | counted in rollupFailures; the stored
 *                                       |             | records are not dead-lettered
 * crash after insert, before commit     |             | batch read again: same rows (merged by
 *                                       |             | the keys), same rollups recomputed
 * partitions revoked with a batch       |             | flush and commit; if that fails, drop the
 *                                       |             | batch and rewind kept partitions to its
 *                                       |             | first offsets
 * </pre>
 *
 * <p>Not thread-safe except {@link #requestStop()}, which any thread may call.
 */
public final class SinkWorker implements Runnable {
  public static final String ERROR_HEADER = "runstream.error";
  public static final String SOURCE_TOPIC_HEADER = "runstream.source.topic";
  public static final String SOURCE_PARTITION_HEADER = "runstream.source.partition";
  public static final String SOURCE_OFFSET_HEADER = "runstream.source.offset";

  private static final Logger log = LoggerFactory.getLogger(SinkWorker.class);
  private static final long MAX_POLL_WAIT_MS = 500;

  /** The worker's settings. */
  public record Settings(
      Collection<String> topics,
      String deadLetterTopic,
      int batchMaxRows,
      Duration batchMaxDelay,
      Duration pauseBackoff,
      Duration rollupInterval,
      int maxKnownSeries) {
    /** Settings that track at most {@link RollupTracker#DEFAULT_MAX_KNOWN} series. */
    public Settings(
        Collection<String> topics,
        String deadLetterTopic,
        int batchMaxRows,
        Duration batchMaxDelay,
        Duration pauseBackoff,
        Duration rollupInterval) {
      this(
          topics,
          deadLetterTopic,
          batchMaxRows,
          batchMaxDelay,
          pauseBackoff,
          rollupInterval,
          RollupTracker.DEFAULT_MAX_KNOWN);
    }

    /** Settings that write rollups after every batch. */
    public Settings(
        Collection<String> topics,
        String deadLetterTopic,
        int batchMaxRows,
        Duration batchMaxDelay,
        Duration pauseBackoff) {
      this(topics, deadLetterTopic, batchMaxRows, batchMaxDelay, pauseBackoff, Duration.ZERO);
    }
  }

  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> deadLetters;
  private final TableWriter writer;
  private final RecordMapper mapper;
  private final Retry retry;
  private final Settings settings;
  private final SinkCounters counters;
  private final LongSupplier nanoTime;

  private final RowBatch batch = new RowBatch();
  // Batches whose rows are inserted but whose rollups are not written yet: their offsets wait here,
  // uncommitted, so one rollup write serves every batch of a rollup interval (a live run touches
  // the same buckets batch after batch). A crash replays them all, and the replay recomputes.
  private final RollupTracker rollups;
  private long reportedAppended;
  private long reportedRecomputed;
  private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();
  private final Map<TopicPartition, Long> uncommittedFirst = new HashMap<>();
  private long uncommittedSinceNanos;
  private volatile boolean stopping;
  // When paused, no partition is fetched until this time; flushBlocked keeps them paused until the
  // pending batch is written.
  private long pausedUntilNanos;
  private boolean flushBlocked;

  public SinkWorker(
      Consumer<byte[], byte[]> consumer,
      Producer<byte[], byte[]> deadLetters,
      TableWriter writer,
      RecordMapper mapper,
      Retry retry,
      Settings settings,
      SinkCounters counters,
      LongSupplier nanoTime) {
    this.consumer = Objects.requireNonNull(consumer, "consumer");
    this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
    this.writer = Objects.requireNonNull(writer, "writer");
    this.mapper = Objects.requireNonNull(mapper, "mapper");
    this.counters = Objects.requireNonNull(counters, "counters");
    this.retry = Objects.requireNonNull(retry, "retry").withOnRetry(counters.retries::increment);
    this.settings = Objects.requireNonNull(settings, "settings");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.rollups = new RollupTracker(settings.maxKnownSeries());
  }

  /** Asks the loop to flush, commit and return. Thread-safe; returns at once. */
  public void requestStop() {
    stopping = true;
    consumer.wakeup();
  }

  /** Subscribes to the topics with this worker's rebalance handling; {@link #run()} does it too. */
  public void subscribe() {
    consumer.subscribe(settings.topics(), new Rebalance());
  }

  @Override
  public void run() {
    if (consumer.subscription().isEmpty()) {
      subscribe();
    }
    try {
      while (!stopping) {
        pollOnce();
      }
    } catch (WakeupException e) {
      if (!stopping) {
        throw e;
      }
    } finally {
      if (!batch.isEmpty() || !uncommitted.isEmpty()) {
        if (!flushAndCommit(true)) {
          log.warn(
              "stopping with an unwritten batch of {} rows; its records stay uncommitted and will"
                  + " be read again",
              batch.rows());
          // Forget it, so closing the consumer (which revokes the partitions) does not try again.
          forgetPending();
        }
      }
    }
  }

  /** One turn of the loop; public for tests that drive the worker step by step. */
  public void pollOnce() {
    updatePause();
    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(pollWaitMillis()));
    Set<TopicPartition> rewound = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      TopicPartition tp = new TopicPartition(record.topic(), record.partition());
      if (rewound.contains(tp)) {
        continue; // its records after the failed one are fetched again after the seek
      }
      if (!handle(record)) {
        rewound.add(tp);
        consumer.seek(tp, record.offset());
        pausedUntilNanos = nanoTime.getAsLong() + settings.pauseBackoff().toNanos();
        updatePause();
      }
    }
    counters.buffered(batch.rows());
    if (flushDue()) {
      flushAndCommit();
      counters.buffered(batch.rows());
    }
  }

  /** Returns false when the record must be read again later (a transient failure). */
  private boolean handle(ConsumerRecord<byte[], byte[]> record) {
    RowBatch.Source source =
        new RowBatch.Source(
            record.topic(), record.partition(), record.offset(), record.key(), record.value());
    List<EncodedRows> rows;
    try {
      rows = mapper.map(record.topic(), record.value());
    } catch (RuntimeException e) {
      if (ErrorClassifier.classify(e) == ErrorClassifier.Action.RETRY) {
        log.warn(
            "cannot decode {}-{}@{} yet, will read it again: {}",
            record.topic(),
            record.partition(),
            record.offset(),
            ErrorClassifier.reason(e));
        return false;
      }
      if (!deadLetter(List.of(source), "undecodable record: " + ErrorClassifier.reason(e))) {
        return false;
      }
      counters.recordsRead.increment();
      batch.skip(
          new TopicPartition(record.topic(), record.partition()),
          record.offset(),
          nanoTime.getAsLong());
      return true;
    }
    counters.recordsRead.increment();
    batch.add(source, rows, nanoTime.getAsLong());
    return true;
  }

  private boolean flushDue() {
    if (batch.isEmpty() && uncommitted.isEmpty()) {
      return false;
    }
    long now = nanoTime.getAsLong();
    if (flushBlocked) {
      return now - pausedUntilNanos >= 0;
    }
    if (batch.isEmpty()) {
      return now - uncommittedSinceNanos >= settings.rollupInterval().toNanos();
    }
    return batch.rows() >= settings.batchMaxRows()
        || now - batch.startedNanos() >= settings.batchMaxDelay().toNanos();
  }

  /**
   * Writes every pending table, then commits. Returns false, keeping the batch and pausing the
   * consumer, when a table could not be written for a retryable reason.
   */
  boolean flushAndCommit() {
    return flushAndCommit(false);
  }

  /**
   * Inserts the batch's rows, then refreshes the rollups and commits once the rollup interval
   * passed since the oldest uncommitted batch (at once when {@code force}, on stop and on
   * revocation). Returns false, pausing the consumer, when something must be tried again.
   */
  boolean flushAndCommit(boolean force) {
    long started = nanoTime.getAsLong();
    int rowsInBatch = batch.rows();
    for (String table : new ArrayList<>(batch.pendingTables().keySet())) {
      RowBatch.TableRows rows = batch.pendingTables().get(table);
      try {
        if (!rows.inserted()) {
          if (!rows.points().isEmpty()) {
            rollups.prepare(rows.points(), writer);
          }
          byte[] bytes = rows.bytes();
          retry.run("insert into " + table, () -> writer.insert(table, bytes, rows.rows()));
          counters.rowsWritten(table, rows.rows());
          rows.markInserted();
          rollups.add(rows.points());
        }
      } catch (Exception e) {
        if (!handleInsertFailure(table, rows, e)) {
          return false;
        }
        continue;
      }
      batch.markWritten(table);
    }
    if (!batch.isEmpty()) {
      if (uncommitted.isEmpty()) {
        uncommittedSinceNanos = nanoTime.getAsLong();
      }
      uncommitted.putAll(batch.commitOffsets());
      batch.firstOffsets().forEach(uncommittedFirst::putIfAbsent);
      counters.batches.increment();
      log.debug(
          "batch of {} rows inserted in {} ms",
          rowsInBatch,
          TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong() - started));
      batch.clear();
    }
    return completePending(force);
  }

  private void forgetPending() {
    batch.clear();
    uncommitted.clear();
    uncommittedFirst.clear();
    rollups.forgetAll();
  }

  /** Refreshes the rollups of the uncommitted batches and commits them, when due. */
  private boolean completePending(boolean force) {
    if (uncommitted.isEmpty()) {
      flushBlocked = false;
      updatePause();
      return true;
    }
    long age = nanoTime.getAsLong() - uncommittedSinceNanos;
    if (!force && rollups.hasPending() && age < settings.rollupInterval().toNanos()) {
      flushBlocked = false;
      updatePause();
      return true; // deferred: the next batches' series join this refresh
    }
    if (!refreshRollups()) {
      return false;
    }
    commit(new HashMap<>(uncommitted));
    uncommitted.clear();
    uncommittedFirst.clear();
    flushBlocked = false;
    updatePause();
    return true;
  }

  /**
   * Returns whether the batch may go on after {@code table}'s insert failed: false (batch kept,
   * consumer paused) for a retryable failure or an unwritable dead-letter topic; true once the
   * table's records are dead-lettered.
   */
  private boolean handleInsertFailure(String table, RowBatch.TableRows rows, Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    if (ErrorClassifier.classify(e) == ErrorClassifier.Action.RETRY
        || Thread.currentThread().isInterrupted()) {
      holdBatch("insert into " + table, rows.rows(), e);
      return false;
    }
    log.error("ClickHouse rejected the rows of {}; dead-lettering their records", table, e);
    if (!deadLetter(
        rows.sources(), "ClickHouse rejected insert into " + table + ": " + reason(e))) {
      flushBlocked = true;
      pausedUntilNanos = nanoTime.getAsLong() + settings.pauseBackoff().toNanos();
      updatePause();
      return false;
    }
    batch.markWritten(table);
    return true;
  }

  /**
   * Writes the rollups of the uncommitted batches ({@link RollupTracker}). The rows are already in,
   * so a retryable failure holds the offsets (uncommitted, consumer paused) and only the rollups
   * are tried again; a crash before they are written replays the batches, whose rollups are then
   * recomputed from the stored points. A rejected write (a bug, not the data) is logged and counted
   * rather than dead-lettering stored records.
   */
  private boolean refreshRollups() {
    if (!rollups.hasPending()) {
      return true;
    }
    int series = rollups.pendingSeries();
    try {
      long started = nanoTime.getAsLong();
      long recomputedBefore = rollups.recomputedSeries();
      retry.run("rollup refresh", () -> rollups.flush(writer));
      counters.rollupRefreshes.increment();
      log.debug(
          "rollups of {} series written in {} ms ({} recomputed from stored points)",
          series,
          TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong() - started),
          rollups.recomputedSeries() - recomputedBefore);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      if (ErrorClassifier.classify(e) == ErrorClassifier.Action.RETRY
          || Thread.currentThread().isInterrupted()) {
        holdBatch("rollup refresh", series, e);
        return false;
      }
      counters.rollupFailures.increment();
      log.error(
          "ClickHouse rejected the rollups of {} series; their curves stay stale until touched"
              + " again",
          series,
          e);
      rollups.forgetAll();
    }
    counters.rollupRecomputedSeries.add(rollups.recomputedSeries() - reportedRecomputed);
    counters.rollupAppendedPoints.add(rollups.appendedPoints() - reportedAppended);
    reportedRecomputed = rollups.recomputedSeries();
    reportedAppended = rollups.appendedPoints();
    return true;
  }

  private void holdBatch(String what, int count, Exception e) {
    counters.failedFlushes.increment();
    flushBlocked = true;
    pausedUntilNanos = nanoTime.getAsLong() + settings.pauseBackoff().toNanos();
    updatePause();
    log.warn(
        "cannot complete {} ({} rows or series); pausing consumption and retrying in {} ms: {}",
        what,
        count,
        settings.pauseBackoff().toMillis(),
        ErrorClassifier.reason(e));
  }

  private static String reason(Exception e) {
    return ErrorClassifier.reason(e);
  }

  private void commit(Map<TopicPartition, OffsetAndMetadata> o) {
    for (int attempt = 1; ; attempt++) {
      try {
        consumer.commitSync(o);
        return;
      } catch (WakeupException e) {
        // A stop request woke the consumer outside poll(); the commit itself must still happen.
        if (attempt >= 2) {
          throw e;
        }
      } catch (KafkaException e) {
        // The rows are in ClickHouse: a lost commit only means they are read and written again,
        // which the table keys deduplicate.
        log.warn("offset commit failed; the batch may be read again: {}", e.toString());
        return;
      }
    }
  }

  /**
   * Sends each source record to the dead-letter topic with the reason in headers, waiting for the
   * broker. Returns false when that failed, so the caller does not skip the records.
   */
  private boolean deadLetter(List<RowBatch.Source> sources, String reason) {
    Set<RowBatch.Source> seen = new HashSet<>();
    try {
      for (RowBatch.Source s : sources) {
        if (!seen.add(s)) {
          continue; // a summary record contributes rows to one table only once anyway
        }
        RecordHeaders headers = new RecordHeaders();
        headers.add(ERROR_HEADER, utf8(reason));
        headers.add(SOURCE_TOPIC_HEADER, utf8(s.topic()));
        headers.add(SOURCE_PARTITION_HEADER, utf8(Integer.toString(s.partition())));
        headers.add(SOURCE_OFFSET_HEADER, utf8(Long.toString(s.offset())));
        ProducerRecord<byte[], byte[]> out =
            new ProducerRecord<>(
                settings.deadLetterTopic(), null, null, s.key(), s.value(), headers);
        retry.run(
            "dead-letter " + s.topic() + "-" + s.partition() + "@" + s.offset(),
            () -> deadLetters.send(out).get(30, TimeUnit.SECONDS));
        counters.deadLettered.increment();
        log.warn(
            "dead-lettered {}-{}@{} to {}: {}",
            s.topic(),
            s.partition(),
            s.offset(),
            settings.deadLetterTopic(),
            reason);
      }
      return true;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.error("cannot write to the dead-letter topic {}", settings.deadLetterTopic(), e);
      return false;
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private boolean shouldPause() {
    return flushBlocked || nanoTime.getAsLong() - pausedUntilNanos < 0;
  }

  /** Pauses every assigned partition while a backoff runs, resumes them after. */
  private void updatePause() {
    Set<TopicPartition> assigned = consumer.assignment();
    if (shouldPause()) {
      if (!consumer.paused().containsAll(assigned)) {
        consumer.pause(assigned);
      }
    } else if (!consumer.paused().isEmpty()) {
      consumer.resume(consumer.paused());
    }
  }

  private long pollWaitMillis() {
    long now = nanoTime.getAsLong();
    long wait = MAX_POLL_WAIT_MS;
    if (shouldPause()) {
      wait = Math.min(wait, TimeUnit.NANOSECONDS.toMillis(Math.max(0, pausedUntilNanos - now)));
    } else if (!batch.isEmpty()) {
      long due = batch.startedNanos() + settings.batchMaxDelay().toNanos();
      wait = Math.min(wait, TimeUnit.NANOSECONDS.toMillis(Math.max(0, due - now)));
    } else if (!uncommitted.isEmpty()) {
      long due = uncommittedSinceNanos + settings.rollupInterval().toNanos();
      wait = Math.min(wait, TimeUnit.NANOSECONDS.toMillis(Math.max(0, due - now)));
    }
    return Math.max(wait, 1);
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if ((!batch.isEmpty() || !uncommitted.isEmpty()) && !flushAndCommit(true)) {
        dropBatch(partitions);
      }
      // Another sink may write these runs now: what we know of their curves may go stale.
      rollups.forgetAll();
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // The group moved on without us: committing is no longer possible.
      if (!batch.isEmpty() || !uncommitted.isEmpty()) {
        dropBatch(partitions);
      }
      rollups.forgetAll();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (shouldPause()) {
        consumer.pause(partitions);
      }
    }

    private void dropBatch(Collection<TopicPartition> leaving) {
      // Partitions we keep must be read again from the start of the oldest uncommitted batch, or
      // its rows (or its rollups) would be lost.
      Map<TopicPartition, Long> firsts = new HashMap<>(batch.firstOffsets());
      firsts.putAll(uncommittedFirst);
      for (Map.Entry<TopicPartition, Long> first : firsts.entrySet()) {
        if (!leaving.contains(first.getKey()) && consumer.assignment().contains(first.getKey())) {
          consumer.seek(first.getKey(), first.getValue());
        }
      }
      log.warn("dropped an unwritten batch of {} rows on rebalance", batch.rows());
      forgetPending();
      flushBlocked = false;
    }
  }
}
