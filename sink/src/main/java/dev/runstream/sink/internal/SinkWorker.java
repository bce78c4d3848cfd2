package dev.runstream.sink.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's consumer loop: poll, decode, buffer rows per table, and when the batch is full or old
 * enough hand it to the writer, which inserts each table's rows (one RowBinary insert per table per
 * batch) while the loop decodes the next batch. The rollups of the batches written within one
 * rollup interval are written together ({@link RollupTracker}), and only then are those batches'
 * offsets committed. Offsets are never committed ahead of the rows and their rollups, so a crash
 * re-reads at most what was written since the last commit, which the tables' keys and the rollup
 * recomputation make harmless.
 *
 * <p>Two threads, one job each: the consumer thread (this {@link Runnable}) owns the consumer, the
 * batches and the commits; the writer ({@code executor}, one task at a time) owns ClickHouse and
 * the {@link RollupTracker}, which the consumer thread touches only while no task runs. At most two
 * batches are in memory: the one being written and the one being filled; when the second is full
 * before the first is written, the consumer pauses.
 *
 * <p>The loop's parts, one job each: {@link BatchWriter} does the writer's tasks, {@link
 * DeadLetters} sends what cannot be stored to the dead-letter topic, {@link OffsetLedger} holds the
 * offsets of written batches until their rollups are written, {@link PauseGate} decides when the
 * consumer may fetch, {@link RollupTracker} keeps the downsampled curves, and {@link StallWatch}
 * notices a ClickHouse that stops answering. This class holds the loop and the order of things.
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
 * ... and their dead-letter send fails  | retry       | batch kept as for a failed insert; the
 *                                       |             | rejected table is tried again
 * rollup write fails, retryable         | retry       | rows stay inserted, offsets not
 *                                       |             | committed, only the rollups are retried
 * rollup write not yet due              |             | batches inserted, offsets held until one
 *                                       |             | rollup write (every rollupInterval)
 *                                       |             | covers all of them
 * rollup write rejected                 | (logged)    | counted in rollupFailures; the stored
 *                                       |             | records are not dead-lettered
 * ClickHouse does not answer (frozen,   | retry       | the write waits (up to the client's
 * overloaded, down) for longer than the |             | socket timeout), then as above; one WARN
 * stall threshold                       |             | naming server, table and wait, one INFO
 *                                       |             | when answered again ({@link StallWatch})
 * </pre>
 *
 * <p>Not thread-safe except {@link #requestStop()}, which any thread may call.
 */
public final class SinkWorker implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(SinkWorker.class);
  private static final long MAX_POLL_WAIT_MS = 500;
  // While the writer works, the loop looks at it this often between polls.
  private static final long TASK_POLL_WAIT_MS = 20;

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

  /**
   * A batch write (with the batch and its row count when started) or a rollup write (batch null),
   * running on the writer.
   */
  private record Task(
      RowBatch batch,
      int rows,
      CompletableFuture<BatchWriter.Outcome> outcome,
      AtomicReference<BatchWriter.RollupInsert> handedOver) {
    boolean isWrite() {
      return batch != null;
    }
  }

  /**
   * Rollup rows handed over by a rollup task and written on the rollup thread beside the next
   * batches; the ledger's marked batches are committed when it succeeds.
   */
  private final class PendingRollup {
    private final BatchWriter.RollupInsert insert;
    private CompletableFuture<BatchWriter.Outcome> written;

    PendingRollup(BatchWriter.RollupInsert insert) {
      this.insert = insert;
    }

    void submit() {
      written = CompletableFuture.supplyAsync(insert::insert, rollupExecutor);
    }

    /** Whether it failed and waits for the backoff before it is submitted again. */
    boolean waitsForRetry() {
      return written == null;
    }

    boolean isDone() {
      return written != null && written.isDone();
    }
  }

  private final Consumer<byte[], byte[]> consumer;
  private final DeadLetters deadLetters;
  private final StallWatch writer;
  private final BatchWriter batchWriter;
  private final RecordMapper mapper;
  private final Settings settings;
  private final SinkCounters counters;
  private final LongSupplier nanoTime;
  private final Executor executor;
  private final Executor rollupExecutor;
  // Owned by the writer: touched here only while no task runs.
  private final RollupTracker rollups;

  // Written batches whose rollups are not written yet.
  private final OffsetLedger ledger = new OffsetLedger();
  private final PauseGate gate;

  private RowBatch batch = new RowBatch();
  private Task task;
  // The rollup write running beside the tasks, or failed and waiting to be tried again; at most
  // one.
  private PendingRollup pendingRollup;
  // ClickHouse rejected a rollup write: the tracker must forget, once no task runs.
  private boolean rollupsRejected;
  // A batch whose write failed for a retryable reason; written again after the backoff.
  private RowBatch held;
  private boolean rollupsPending;
  // The last poll found nothing and every partition read up to its end: more batches are not about
  // to share the rollup write, so waiting out the interval would only delay the commit.
  private boolean caughtUp;
  private long reportedAppended;
  private long reportedRecomputed;
  private volatile boolean stopping;

  /**
   * A worker that writes on its own thread: each write blocks the loop until it is done. Stalls of
   * {@code writer} are logged after {@link StallWatch#DEFAULT_THRESHOLD}.
   */
  public SinkWorker(
      Consumer<byte[], byte[]> consumer,
      Producer<byte[], byte[]> deadLetters,
      TableWriter writer,
      RecordMapper mapper,
      Retry retry,
      Settings settings,
      SinkCounters counters,
      LongSupplier nanoTime) {
    this(
        consumer,
        deadLetters,
        new StallWatch(
            writer, StallWatch.DEFAULT_THRESHOLD, nanoTime, StallWatch.logging("ClickHouse")),
        mapper,
        retry,
        settings,
        counters,
        nanoTime,
        Runnable::run);
  }

  /**
   * A worker whose writes, rollup writes included, run on {@code executor}, which must run one task
   * at a time in the order given (a single thread), while the loop decodes the next batch.
   */
  public SinkWorker(
      Consumer<byte[], byte[]> consumer,
      Producer<byte[], byte[]> deadLetters,
      StallWatch writer,
      RecordMapper mapper,
      Retry retry,
      Settings settings,
      SinkCounters counters,
      LongSupplier nanoTime,
      Executor executor) {
    this(
        consumer,
        deadLetters,
        writer,
        mapper,
        retry,
        settings,
        counters,
        nanoTime,
        executor,
        executor);
  }

  /**
   * A worker whose batch writes run on {@code executor}, which must run one task at a time in the
   * order given (a single thread), while the loop decodes the next batch; the rollup rows of live
   * runs are inserted on {@code rollupExecutor} (another single thread), beside the batches, so a
   * batch does not wait for the rollups of the ones before it. The loop looks at {@code writer}'s
   * stall on every turn, so a write that blocks is reported while it blocks.
   */
  public SinkWorker(
      Consumer<byte[], byte[]> consumer,
      Producer<byte[], byte[]> deadLetters,
      StallWatch writer,
      RecordMapper mapper,
      Retry retry,
      Settings settings,
      SinkCounters counters,
      LongSupplier nanoTime,
      Executor executor,
      Executor rollupExecutor) {
    this.consumer = Objects.requireNonNull(consumer, "consumer");
    this.writer = Objects.requireNonNull(writer, "writer");
    this.mapper = Objects.requireNonNull(mapper, "mapper");
    this.counters = Objects.requireNonNull(counters, "counters");
    Retry counted = Objects.requireNonNull(retry, "retry").withOnRetry(counters.retries::increment);
    this.settings = Objects.requireNonNull(settings, "settings");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.deadLetters =
        new DeadLetters(
            Objects.requireNonNull(deadLetters, "deadLetters"),
            settings.deadLetterTopic(),
            counted,
            counters);
    this.gate = new PauseGate(consumer, settings.pauseBackoff(), nanoTime);
    this.executor = Objects.requireNonNull(executor, "executor");
    this.rollupExecutor = Objects.requireNonNull(rollupExecutor, "rollupExecutor");
    this.rollups = new RollupTracker(settings.maxKnownSeries());
    this.batchWriter = new BatchWriter(writer, rollups, counted, this.deadLetters, counters);
  }

  /** Asks the loop to write, commit and return. Thread-safe; returns at once. */
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
      if (!drain()) {
        log.warn(
            "stopping with {} rows not written or not rolled up; their records stay uncommitted"
                + " and will be read again",
            bufferedRows());
        // Forget them, so closing the consumer (which revokes the partitions) does not try again.
        forgetPending();
      }
    }
  }

  /** One turn of the loop; public for tests that drive the worker step by step. */
  public void pollOnce() {
    writer.check();
    pump();
    updatePause();
    if (task != null && shouldPause()) {
      // Nothing may be fetched: wait for the writer rather than polling empty.
      waitForTask(MAX_POLL_WAIT_MS);
      writer.check();
      pump();
      updatePause();
    }
    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(pollWaitMillis()));
    caughtUp = records.isEmpty() && readToTheEnd();
    Set<TopicPartition> rewound = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      TopicPartition tp = new TopicPartition(record.topic(), record.partition());
      if (rewound.contains(tp)) {
        continue; // its records after the failed one are fetched again after the seek
      }
      if (!handle(record)) {
        rewound.add(tp);
        consumer.seek(tp, record.offset());
        gate.backOff();
        updatePause();
      }
    }
    counters.buffered(bufferedRows());
    pump();
    counters.buffered(bufferedRows());
    updatePause();
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
      if (!deadLetters.send(List.of(source), "undecodable record: " + ErrorClassifier.reason(e))) {
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

  private int bufferedRows() {
    int rows = batch.rows();
    if (task != null) {
      rows += task.rows(); // not the batch's own count: the writer changes it
    }
    if (held != null) {
      rows += held.rows();
    }
    return rows;
  }

  /**
   * Finishes the writer's task when it is done and starts what is due next, as long as tasks
   * complete at once (always, with a direct executor).
   */
  private void pump() {
    while (true) {
      if (pendingRollup != null && pendingRollup.isDone()) {
        finishRollup();
      }
      if (task != null) {
        if (!task.outcome().isDone()) {
          return;
        }
        finish();
      } else if (!startNext(false)) {
        return;
      }
    }
  }

  /** Starts the next task that is due, if any; {@code force} ignores the delays. */
  private boolean startNext(boolean force) {
    long now = nanoTime.getAsLong();
    if (gate.blocked() && !force && gate.backingOff()) {
      return false; // backing off after a failure
    }
    if (rollupsRejected) {
      rollupsRejected = false;
      rollups.forgetAll(); // no task runs: the tracker is the loop's now
    }
    if (held != null) {
      startWrite(held);
      held = null;
      return true;
    }
    if (pendingRollup != null && pendingRollup.waitsForRetry()) {
      pendingRollup.submit();
      return false; // no task started: the loop goes on with the batches
    }
    if (!ledger.isEmpty()
        && pendingRollup == null
        && (force
            || gate.blocked()
            || !rollupsPending
            || now - ledger.sinceNanos() >= settings.rollupInterval().toNanos()
            || (caughtUp && batch.isEmpty()))) {
      startRollups();
      return true;
    }
    if (!batch.isEmpty()
        && (force
            || batch.rows() >= settings.batchMaxRows()
            || now - batch.startedNanos() >= settings.batchMaxDelay().toNanos())) {
      RowBatch full = batch;
      batch = new RowBatch();
      startWrite(full);
      return true;
    }
    return false;
  }

  private void startWrite(RowBatch b) {
    task =
        new Task(
            b, b.rows(), CompletableFuture.supplyAsync(() -> batchWriter.write(b), executor), null);
  }

  private void startRollups() {
    AtomicReference<BatchWriter.RollupInsert> handedOver = new AtomicReference<>();
    task =
        new Task(
            null,
            0,
            CompletableFuture.supplyAsync(
                () -> {
                  if (rollupExecutor == executor) {
                    return batchWriter.writeRollups(); // one thread: nothing to overlap
                  }
                  BatchWriter.RollupInsert insert = batchWriter.handOverRollups();
                  if (insert != null && insert.failedSynchronously() != null) {
                    return insert.failedSynchronously();
                  }
                  handedOver.set(insert);
                  return BatchWriter.Outcome.DONE;
                },
                executor),
            handedOver);
  }

  /**
   * Takes the outcome of the rollup write that ran beside the batches: commits the batches it
   * covered, or holds it for a retry after a backoff. Returns whether it succeeded.
   */
  private boolean finishRollup() {
    PendingRollup p = pendingRollup;
    BatchWriter.Outcome outcome;
    try {
      outcome = p.written.join();
    } catch (RuntimeException e) {
      outcome = BatchWriter.Outcome.retry("rollup write", p.insert.rows(), e);
    }
    if (!outcome.done()) {
      p.written = null; // submitted again by startNext after the backoff
      hold(outcome);
      return false;
    }
    pendingRollup = null;
    if (outcome == BatchWriter.Outcome.REJECTED) {
      rollupsRejected = true;
    }
    gate.unblock();
    commit(ledger.takeMarked());
    updatePause();
    return true;
  }

  /** Waits for the rollup write running beside the batches, then takes its outcome. */
  private boolean awaitRollup() {
    if (pendingRollup.waitsForRetry()) {
      pendingRollup.submit();
    }
    try {
      pendingRollup.written.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pendingRollup.written.join(); // it owns versions of rollup rows the next write must follow
    } catch (ExecutionException | RuntimeException e) {
      // finishRollup() turns the failure into a retry
    }
    return finishRollup();
  }

  /**
   * Takes the outcome of the finished task: records or commits the offsets, or holds what failed
   * for a retry after a backoff. Returns whether the task succeeded.
   */
  private boolean finish() {
    Task t = task;
    task = null;
    BatchWriter.Outcome outcome;
    try {
      outcome = t.outcome().join();
    } catch (RuntimeException e) {
      // A bug in a task, not a ClickHouse failure: the batch must not be skipped.
      outcome = BatchWriter.Outcome.retry(t.isWrite() ? "batch write" : "rollup write", 0, e);
    }
    if (!outcome.done()) {
      if (t.isWrite()) {
        held = t.batch();
      }
      hold(outcome);
      return false;
    }
    gate.unblock();
    if (t.isWrite()) {
      RowBatch written = t.batch();
      if (!written.isEmpty()) {
        ledger.written(written, nanoTime.getAsLong());
        counters.batches.increment();
      }
      // No task runs now: the tracker may be read.
      rollupsPending = rollups.hasPending();
    } else {
      BatchWriter.RollupInsert handedOver = t.handedOver().get();
      if (handedOver == null) {
        commit(ledger.take());
      } else {
        ledger.markAll();
        pendingRollup = new PendingRollup(handedOver);
        pendingRollup.submit();
        if (pendingRollup.isDone()) {
          finishRollup(); // a direct executor: done already
        }
      }
      rollupsPending = false;
      counters.rollupRecomputedSeries.add(rollups.recomputedSeries() - reportedRecomputed);
      counters.rollupAppendedPoints.add(rollups.appendedPoints() - reportedAppended);
      reportedRecomputed = rollups.recomputedSeries();
      reportedAppended = rollups.appendedPoints();
    }
    updatePause();
    return true;
  }

  /**
   * Writes, rolls up and commits everything read so far, ignoring the delays: on stop and on
   * revocation. Blocks; returns false, leaving the rest uncommitted, when something failed.
   */
  private boolean drain() {
    while (true) {
      if (pendingRollup != null && pendingRollup.isDone() && !finishRollup()) {
        return false;
      }
      if (task != null) {
        awaitTask();
        if (!finish()) {
          return false;
        }
      } else if (!startNext(true)) {
        if (pendingRollup != null) {
          if (!awaitRollup()) {
            return false;
          }
          continue;
        }
        return held == null && batch.isEmpty() && !ledger.hasUncommitted();
      }
    }
  }

  private void awaitTask() {
    try {
      while (true) {
        try {
          task.outcome().get(MAX_POLL_WAIT_MS, TimeUnit.MILLISECONDS);
          return;
        } catch (TimeoutException e) {
          writer.check(); // a stop or a rebalance waits on a frozen ClickHouse: say so
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      // Wait without interruption: the task owns ClickHouse state the loop must not race with.
      task.outcome().join();
    } catch (ExecutionException | RuntimeException e) {
      // finish() turns the failure into a retry
    }
  }

  private void hold(BatchWriter.Outcome failed) {
    counters.failedFlushes.increment();
    gate.block();
    updatePause();
    log.warn(
        "cannot complete {} ({} rows or series); pausing consumption and retrying in {} ms: {}",
        failed.what(),
        failed.count(),
        gate.backoff().toMillis(),
        ErrorClassifier.reason(failed.failure()));
  }

  private void forgetPending() {
    if (pendingRollup != null && !pendingRollup.waitsForRetry()) {
      // Its rows carry versions; a later write of the same buckets must come after it.
      pendingRollup.written.handle((o, e) -> null).join();
    }
    pendingRollup = null;
    batch.clear();
    held = null;
    ledger.clear();
    rollupsPending = false;
    rollups.forgetAll();
    gate.unblock();
  }

  private void commit(Map<TopicPartition, OffsetAndMetadata> o) {
    if (o.isEmpty()) {
      return;
    }
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
        // which the table keys and the rollup recomputation make harmless.
        log.warn("offset commit failed; the batch may be read again: {}", e.toString());
        return;
      }
    }
  }

  /**
   * Whether to fetch nothing: after a failure until the failed task succeeded, during a backoff,
   * and while the batch being filled is full and the writer still busy with the previous one.
   */
  private boolean shouldPause() {
    return gate.closed(writerBehind());
  }

  /** Whether the batch being filled is full while the writer is still busy with the last one. */
  private boolean writerBehind() {
    return task != null && batch.rows() >= settings.batchMaxRows();
  }

  /**
   * Whether every assigned partition, none paused, was read up to the end its last fetch reported.
   */
  private boolean readToTheEnd() {
    Set<TopicPartition> assigned = consumer.assignment();
    if (assigned.isEmpty() || !consumer.paused().isEmpty()) {
      return false;
    }
    for (TopicPartition tp : assigned) {
      OptionalLong lag = consumer.currentLag(tp);
      if (lag.isEmpty() || lag.getAsLong() > 0) {
        return false;
      }
    }
    return true;
  }

  private void updatePause() {
    gate.apply(writerBehind());
  }

  private long pollWaitMillis() {
    long now = nanoTime.getAsLong();
    long wait = MAX_POLL_WAIT_MS;
    if (task != null || (pendingRollup != null && !pendingRollup.waitsForRetry())) {
      wait = TASK_POLL_WAIT_MS; // to notice soon that the writer is done
    } else if (shouldPause()) {
      wait = Math.min(wait, gate.backoffLeftMillis());
    } else if (!batch.isEmpty()) {
      long due = batch.startedNanos() + settings.batchMaxDelay().toNanos();
      wait = Math.min(wait, TimeUnit.NANOSECONDS.toMillis(Math.max(0, due - now)));
    } else if (!ledger.isEmpty()) {
      long due = ledger.sinceNanos() + settings.rollupInterval().toNanos();
      wait = Math.min(wait, TimeUnit.NANOSECONDS.toMillis(Math.max(0, due - now)));
    }
    return Math.max(wait, 1);
  }

  private void waitForTask(long millis) {
    try {
      task.outcome().get(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // done with a failure (finish() handles it) or not done yet
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if ((task != null
              || held != null
              || pendingRollup != null
              || !batch.isEmpty()
              || ledger.hasUncommitted())
          && !drain()) {
        dropBatches(partitions);
      }
      // Another sink may write these runs now: what we know of their curves may go stale.
      rollups.forgetAll();
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // The group moved on without us: committing is no longer possible.
      if (task != null) {
        awaitTask();
        task = null; // its outcome no longer matters: all that is uncommitted is read again
      }
      if (held != null || pendingRollup != null || !batch.isEmpty() || ledger.hasUncommitted()) {
        dropBatches(partitions);
      }
      rollups.forgetAll();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      gate.assigned(partitions, writerBehind());
    }

    private void dropBatches(Collection<TopicPartition> leaving) {
      // Partitions we keep must be read again from the start of the oldest uncommitted batch, or
      // its rows (or its rollups) would be lost.
      for (Map.Entry<TopicPartition, Long> first : ledger.rewindOffsets(batch, held).entrySet()) {
        if (!leaving.contains(first.getKey()) && consumer.assignment().contains(first.getKey())) {
          consumer.seek(first.getKey(), first.getValue());
        }
      }
      log.warn("dropped {} unwritten or uncommitted rows on rebalance", bufferedRows());
      forgetPending();
    }
  }
}
