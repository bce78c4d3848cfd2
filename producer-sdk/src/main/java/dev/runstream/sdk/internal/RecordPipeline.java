package dev.runstream.sdk.internal;

import dev.runstream.schemas.WireFormat;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a run's records go after {@code log()}: the caller's thread gives each record its sequence
 * number and appends it to the run directory's journal ({@link JournalWriter}, memory-mapped
 * segments), under the run's lock; the shared sender threads ({@link Senders}) read the journal
 * from where they left off and hand its records to Kafka, a quantum per turn.
 *
 * <p>Durability: when {@link #offer} returns, the record is in the page cache through the mapping,
 * so it survives the death of the process (SIGKILL included); there is no queue in memory to lose.
 * The journal is forced to the device every {@code fsyncInterval} by a shared thread, on {@link
 * #flush}, on segment roll and on close: a machine crash loses at most the last interval.
 *
 * <p>Waiting: {@link #offer} encodes and copies the record into the mapping; when the segment is
 * full it creates and maps the next one (a bounded file operation; the full one is forced at once
 * by the shared thread), the only way it waits on the disk. It never throws: a record the disk
 * refuses is counted as lost.
 *
 * <p>Ordering: sequence numbers are assigned in journal order under one lock, and the journal is
 * sent in that order, by one sender at a time. While Kafka refuses records, they wait in the
 * journal ("spilled") and are sent from it in order once Kafka takes them again ("replayed").
 */
final class RecordPipeline {
  private static final Logger log = LoggerFactory.getLogger(RecordPipeline.class);
  static final long SEGMENT_BYTES = 64L * 1024 * 1024;

  /** Records a run sends per turn of a sender thread, before the next run's turn. */
  static final int QUANTUM = 512;

  private static final long MIN_BACKOFF_MS = 200;
  private static final long MAX_BACKOFF_MS = 5_000;
  private static final long TICK_MS = 1_000;

  /**
   * A record to journal. Its value is a {@link MetricPoints} (metric batches: the hot path) or the
   * Avro record.
   */
  record Pending(RecordKind kind, Object value, int points, long step) {
    static Pending of(RecordKind kind, SpecificRecord value, int points, long step) {
      return new Pending(kind, value, points, step);
    }

    static Pending of(RecordKind kind, MetricPoints value, int points) {
      return new Pending(kind, value, points, value.step());
    }
  }

  private final String runId;
  private final RunDirectory directory;
  private final Delivery delivery;
  private final Senders senders;
  private final Senders.Slot slot;
  private final List<ScheduledFuture<?>> ticks = new ArrayList<>();

  final LongAdder spilled = new LongAdder();
  final LongAdder durable = new LongAdder();
  final LongAdder lost = new LongAdder();

  private final Object lock = new Object();
  // Guarded by lock.
  private final JournalWriter journal;
  private final Map<RecordKind, SpecificDatumWriter<SpecificRecord>> writers =
      new EnumMap<>(RecordKind.class);
  private final EncodeBuffer bytes = new EncodeBuffer(256);
  private final MetricBatchEncoder metricEncoder = new MetricBatchEncoder();
  private BinaryEncoder encoder;
  private long nextSequence;
  private long pointsSinceSync;
  // Points journalled by this process, and those the sender passed while not behind.
  private long journaledPoints;
  private long cursorPoints;
  private boolean behind;
  private boolean closed;
  private long lastJournalError;
  private final Object syncLock = new Object();
  // The shared fsync thread's: ticks between two forces, and since the last.
  private final long ticksPerSync;
  private long ticksSinceSync;
  private final java.util.concurrent.atomic.AtomicBoolean syncRequested =
      new java.util.concurrent.atomic.AtomicBoolean();

  // The sender's, under sendLock (one turn at a time, or close).
  private final ReentrantLock sendLock = new ReentrantLock();
  private JournalReader cursor;
  private long cursorNext;
  private JournalRecord held;
  private long nextAttemptNanos;
  private long backoffMs = MIN_BACKOFF_MS;
  private long nextAckNanos;
  // Kafka's acknowledgement mark as the sender last saw it, for the shared fsync thread to record.
  private volatile long ackMark = Long.MIN_VALUE;
  private final Object ackLock = new Object();
  // Guarded by ackLock.
  private long lastPersistedAck = Long.MIN_VALUE;
  // What Kafka held of the run when it started (a resumed run's replay skips it); sender's.
  private final AlreadyInKafka inKafka;
  // The run directory's reordered mark (AlreadyInKafka), as last written; sender's.
  private long reorderedThrough;
  private boolean sealed;
  private volatile boolean stopRequested;
  private final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
  // Set by close: what Kafka has not acknowledged of the run directory.
  private volatile long unacknowledgedRecords = -1;
  private volatile long unacknowledgedPoints = -1;

  /**
   * @param firstSequence the sequence of the first new record
   * @param ackedThrough the highest sequence Kafka already has everything through; records after it
   *     that are already in the journal are sent first
   * @param delivery where records go, or null for an offline run
   */
  RecordPipeline(
      String runId,
      RunDirectory directory,
      long firstSequence,
      long ackedThrough,
      Delivery delivery,
      Senders senders,
      Duration fsyncInterval)
      throws IOException {
    this(
        runId,
        directory,
        firstSequence,
        ackedThrough,
        AlreadyInKafka.NOTHING,
        delivery,
        senders,
        fsyncInterval);
  }

  /**
   * @param inKafka which of the earlier records after {@code ackedThrough} Kafka already holds: the
   *     replay skips them
   */
  RecordPipeline(
      String runId,
      RunDirectory directory,
      long firstSequence,
      long ackedThrough,
      AlreadyInKafka inKafka,
      Delivery delivery,
      Senders senders,
      Duration fsyncInterval)
      throws IOException {
    this.runId = runId;
    this.inKafka = inKafka;
    this.reorderedThrough = directory.readReordered();
    this.directory = directory;
    this.delivery = delivery;
    this.senders = senders;
    this.journal = new JournalWriter(directory.path(), firstSequence, SEGMENT_BYTES);
    this.nextSequence = firstSequence;
    this.cursorNext = firstSequence;
    if (delivery != null && ackedThrough + 1 < firstSequence) {
      // An earlier process of this run left records Kafka did not acknowledge: send them first.
      behind = true;
      cursorNext = ackedThrough + 1;
    }
    for (RecordKind kind : RecordKind.values()) {
      writers.put(kind, new SpecificDatumWriter<>(kind.schema));
    }
    this.slot = delivery == null ? null : senders.register(this::turn);
    if (delivery != null) {
      delivery.onProgress(slot::wake);
      delivery.onFailure(this::orderBroken);
    }
    long fsync = Math.max(1, fsyncInterval.toMillis());
    // One task on the shared thread forces the journal every fsync interval and, online, records
    // Kafka's acknowledgements in the run directory at least every second (on that thread, not a
    // sender's): a SIGKILL then leaves at most about a second of records that a sync or a resumed
    // run cannot tell from the mark alone are in Kafka.
    long every = delivery == null ? fsync : Math.min(fsync, TICK_MS);
    // Rounded down, so the journal is forced at least every fsync interval.
    this.ticksPerSync = Math.max(1, fsync / every);
    ticks.add(
        senders
            .syncer()
            .scheduleWithFixedDelay(this::syncTick, every, every, TimeUnit.MILLISECONDS));
    if (delivery != null) {
      // Failures to recover from, Kafka's health to check.
      ticks.add(
          senders
              .timer()
              .scheduleWithFixedDelay(slot::wake, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS));
    }
  }

  void start() {
    if (slot != null) {
      slot.wake();
    }
  }

  /**
   * Journals a record. When this returns the record survives the death of the process. Never
   * throws; waits on the disk only to start a new segment.
   */
  void offer(Pending p) {
    boolean rolled;
    synchronized (lock) {
      if (closed) {
        // A heartbeat or sample racing the end of the run: nothing of the program's.
        lost.add(p.points());
        return;
      }
      long sequence = nextSequence++;
      try {
        bytes.reset(WireFormat.HEADER_SIZE);
        encode(p, sequence);
        journal.append(
            sequence,
            p.kind(),
            p.points(),
            p.step(),
            bytes.array(),
            WireFormat.HEADER_SIZE,
            bytes.size() - WireFormat.HEADER_SIZE);
      } catch (IOException | RuntimeException e) {
        lost.add(p.points());
        journalError(sequence, e);
        return;
      }
      pointsSinceSync += p.points();
      journaledPoints += p.points();
      if (delivery == null || behind) {
        spilled.add(p.points());
      }
      rolled = journal.rolledSinceSync();
    }
    if (rolled && syncRequested.compareAndSet(false, true)) {
      // A full segment: forced now by the shared thread, not in this log().
      senders.syncer().execute(this::syncQuietly);
    }
    if (slot != null) {
      slot.wake();
    }
  }

  /** Forces everything offered before to the device. */
  boolean flush(Duration timeout) {
    return sync();
  }

  /**
   * Stops: keeps delivering until Kafka acknowledged everything or {@code timeout} passed, records
   * what Kafka acknowledged, forces and closes the journal.
   *
   * @return whether everything was delivered within the timeout (always true offline)
   */
  boolean close(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (ScheduledFuture<?> t : ticks) {
      t.cancel(false);
    }
    boolean done = true;
    if (delivery != null) {
      stopRequested = true;
      slot.wake();
      done = await(caughtUp, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      sendLock.lock();
      try {
        sealed = true;
        long remaining = Math.max(0, deadline - System.nanoTime());
        delivery.close(Duration.ofNanos(remaining));
        done &= delivery.idle() && !delivery.failed();
        countUnacknowledged();
        persistAck(delivery.ackedThrough());
      } finally {
        sendLock.unlock();
      }
    }
    closeJournal();
    return done;
  }

  /** The sequence the next record gets. */
  long nextSequence() {
    synchronized (lock) {
      return nextSequence;
    }
  }

  /** Whether records wait on disk for Kafka. */
  boolean behind() {
    synchronized (lock) {
      return behind;
    }
  }

  private static boolean await(CompletableFuture<Void> future, Duration timeout) {
    try {
      future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }

  /** One turn on a sender thread: at most {@link #QUANTUM} records. */
  private boolean turn() {
    if (!sendLock.tryLock()) {
      return false; // close owns the delivery now
    }
    try {
      if (sealed) {
        return false;
      }
      long now = System.nanoTime();
      ackMark = delivery.ackedThrough();
      if (now >= nextAckNanos) {
        checkHealth();
        nextAckNanos = now + TimeUnit.MILLISECONDS.toNanos(TICK_MS);
      }
      if (delivery.failed()) {
        recover();
        return false;
      }
      if (now < nextAttemptNanos) {
        return false; // a retry is scheduled
      }
      return sendSome();
    } catch (IOException e) {
      log.warn("cannot read the journal of run {}: {}", runId, e.toString());
      closeCursor();
      scheduleRetry();
      return false;
    } finally {
      sendLock.unlock();
    }
  }

  private boolean sendSome() throws IOException {
    int sent = 0;
    while (sent < QUANTUM) {
      JournalRecord r = nextRecord();
      if (r == null) {
        if (stopRequested) {
          caughtUp.complete(null);
        }
        break;
      }
      if (!delivery.needsSending(r) || inKafka.holds(r.kind(), r.sequence())) {
        // Acknowledged before a failure, or in Kafka before this process started.
        delivery.skip(r);
        pass(r);
        continue;
      }
      boolean fromDisk = behind;
      Delivery.Outcome outcome = delivery.offer(r, fromDisk);
      if (outcome == Delivery.Outcome.SENT) {
        pass(r);
        sent++;
        continue;
      }
      held = r;
      if (outcome == Delivery.Outcome.REFUSED) {
        synchronized (lock) {
          if (!behind) {
            behind = true;
            // This record and every one journalled after it wait on disk now.
            spilled.add(journaledPoints - cursorPoints);
          }
        }
        delivery
            .health()
            .refused(runId, r.sequence(), delivery.lastRefusal(), directory.path().toString());
        scheduleRetry();
      }
      return false;
    }
    if (sent > 0 && delivery.health().condition() != KafkaHealth.Condition.OK) {
      checkHealth();
    }
    return sent == QUANTUM;
  }

  private void checkHealth() {
    long waited = delivery.oldestWaitNanos();
    if (waited > KafkaHealth.SLOW_NANOS) {
      delivery.health().slow(runId, delivery.inFlight(), waited);
    } else if (!behind && delivery.health().condition() != KafkaHealth.Condition.OK) {
      delivery.health().keepingUp();
    }
  }

  private void pass(JournalRecord r) {
    held = null;
    cursorNext = r.sequence() + 1;
    if (!behind) {
      cursorPoints += r.points();
    }
  }

  /** The next record to send, or null when the sender caught up with the journal. */
  private JournalRecord nextRecord() throws IOException {
    if (held != null) {
      return held;
    }
    if (cursor == null) {
      cursor = new JournalReader(directory.path(), cursorNext, journal, WireFormat.HEADER_SIZE);
    }
    JournalRecord r = cursor.next();
    if (r != null) {
      return r;
    }
    synchronized (lock) {
      // Under the lock nothing is appended: an empty read now means caught up.
      r = cursor.next();
      if (r == null && behind) {
        behind = false;
        cursorPoints = journaledPoints;
        backoffMs = MIN_BACKOFF_MS;
        log.info(
            "run {} caught up: every record in {} was handed to Kafka", runId, directory.path());
      }
    }
    return r;
  }

  private void recover() {
    // Records after the failed one may be in Kafka before it now; it is sent again after them.
    markReordered(delivery.highestSent());
    long[] reset = delivery.resetCountingPoints();
    // What Kafka did not acknowledge now waits on disk to be sent again: spilled, like records
    // journalled while Kafka was unreachable.
    spilled.add(reset[1]);
    synchronized (lock) {
      if (!behind) {
        behind = true;
        spilled.add(journaledPoints - cursorPoints);
      }
    }
    closeCursor();
    held = null;
    cursorNext = reset[0];
    scheduleRetry();
  }

  private void scheduleRetry() {
    nextAttemptNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs);
    senders.timer().schedule(slot::wake, backoffMs + 1, TimeUnit.MILLISECONDS);
    backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
  }

  /** Encodes the record with its sequence into {@code bytes}. Caller holds the lock. */
  private void encode(Pending p, long sequence) throws IOException {
    if (p.value() instanceof MetricPoints points && MetricBatchEncoder.SUPPORTED) {
      metricEncoder.encode(points, sequence, bytes);
      return;
    }
    SpecificRecord value =
        p.value() instanceof MetricPoints points
            ? points.toAvro(sequence)
            : (SpecificRecord) p.value();
    assignIdentity(value, sequence);
    encoder = EncoderFactory.get().directBinaryEncoder(bytes, encoder);
    writers.get(p.kind()).write(value, encoder);
    encoder.flush();
  }

  private void assignIdentity(SpecificRecord value, long sequence) {
    if (value instanceof MetricBatch batch) {
      batch.setSequence(sequence);
    } else if (value instanceof RunEvent event) {
      event.setSequence(sequence);
    } else if (value instanceof Alert alert && alert.getEpisodeId().isEmpty()) {
      // Alerts have no sequence field; the episode id carries the identity instead.
      alert.setEpisodeId(runId + "-" + sequence);
    }
  }

  private void journalError(long sequence, Exception e) {
    long now = System.nanoTime();
    if (now - lastJournalError > TimeUnit.SECONDS.toNanos(10) || lastJournalError == 0) {
      lastJournalError = now;
      log.error(
          "cannot write record {} of run {} to {}; its points are lost (further errors in the next"
              + " 10 s are counted, not logged): {}",
          sequence,
          runId,
          directory.path(),
          e.toString());
    }
  }

  /**
   * Counts the journal's records (and their points) that Kafka has not acknowledged, after the
   * delivery closed: those a finished run leaves for {@code runstream sync}. Everything the journal
   * holds counts, also what an earlier process of the run left, so a resumed run's replay that
   * Kafka never took is not reported as delivered. Caller holds sendLock.
   */
  private void countUnacknowledged() {
    long mark = delivery.ackedThrough();
    Set<Long> ackedAbove = delivery.acknowledgedAboveMark();
    long records = 0;
    long points = 0;
    closeCursor();
    try (JournalReader reader = new JournalReader(directory.path(), mark + 1, journal)) {
      for (JournalRecord r = reader.next(); r != null; r = reader.next()) {
        if (r.sequence() > mark
            && delivery.needsSending(r)
            && !inKafka.holds(r.kind(), r.sequence())
            && !ackedAbove.contains(r.sequence())) {
          records++;
          points += r.points();
        }
      }
    } catch (IOException e) {
      log.warn("cannot read the journal of run {}: {}", runId, e.toString());
    }
    unacknowledgedPoints = points;
    unacknowledgedRecords = records;
  }

  /**
   * After {@link #close}: the records of the run directory that Kafka has not acknowledged, or -1
   * if not known (offline).
   */
  long unacknowledgedRecords() {
    return unacknowledgedRecords;
  }

  /** After {@link #close}: the metric points of the {@link #unacknowledgedRecords()}. */
  long unacknowledgedPoints() {
    return unacknowledgedPoints;
  }

  /** Records Kafka's acknowledgement mark in the run directory when it moved; any thread. */
  private void persistAck(long acked) {
    if (acked == Long.MIN_VALUE) {
      return; // no turn yet
    }
    synchronized (ackLock) {
      // Never back: a tick that read the mark before close() recorded a newer one must not undo it
      // (the mark only grows: a recovery resends from just after it).
      if (acked <= lastPersistedAck) {
        return;
      }
      try {
        directory.writeAcked(acked);
        lastPersistedAck = acked;
      } catch (IOException e) {
        log.debug("cannot record acknowledged sequence of run {}: {}", runId, e.toString());
      }
    }
  }

  /**
   * A send failed for good (on the producer's thread): until the recovery records how far, no
   * sequence's order in Kafka can be trusted, since the sender may still be handing over later
   * records to the failed producer.
   */
  private void orderBroken() {
    try {
      directory.writeReordered(Long.MAX_VALUE);
    } catch (IOException e) {
      log.warn("cannot record in {} that run {} must be resent whole", directory.path(), e);
    }
  }

  /** The recovery's precise mark: everything the failed producer was handed. Sender's. */
  private void markReordered(long through) {
    // A mark left as "everything" (killed between a failure and its recovery) stays so.
    if (reorderedThrough != Long.MAX_VALUE) {
      reorderedThrough = Math.max(reorderedThrough, through);
    }
    try {
      directory.writeReordered(reorderedThrough);
    } catch (IOException e) {
      log.warn(
          "cannot record the recovery of run {} in {}: {}", runId, directory.path(), e.toString());
    }
  }

  private void syncQuietly() {
    sync();
  }

  // The shared fsync thread's tick: forces the journal every ticksPerSync ticks, then records
  // Kafka's acknowledgements.
  private void syncTick() {
    if (++ticksSinceSync >= ticksPerSync) {
      ticksSinceSync = 0;
      sync();
    }
    if (delivery != null) {
      persistAck(ackMark);
    }
  }

  /** Forces what was journalled so far; the force runs outside the lock, beside new appends. */
  private boolean sync() {
    synchronized (syncLock) {
      syncRequested.set(false);
      List<JournalWriter.Unsynced> unsynced;
      long points;
      synchronized (lock) {
        if (closed) {
          return true;
        }
        unsynced = journal.takeAllUnsynced();
        points = pointsSinceSync;
        pointsSinceSync = 0;
      }
      try {
        for (JournalWriter.Unsynced u : unsynced) {
          u.force();
        }
        durable.add(points);
        return true;
      } catch (IOException | RuntimeException e) {
        synchronized (lock) {
          journalError(nextSequence, e);
        }
        return false;
      }
    }
  }

  private void closeCursor() {
    if (cursor != null) {
      try {
        cursor.close();
      } catch (IOException e) {
        // read-only mapping; nothing to lose
      }
      cursor = null;
    }
  }

  private void closeJournal() {
    synchronized (syncLock) {
      synchronized (lock) {
        if (closed) {
          return;
        }
        closed = true;
        try {
          journal.close();
          durable.add(pointsSinceSync);
          pointsSinceSync = 0;
        } catch (IOException e) {
          journalError(nextSequence, e);
        }
      }
    }
  }
}
