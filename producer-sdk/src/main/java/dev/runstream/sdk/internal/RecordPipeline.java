package dev.runstream.sdk.internal;

import dev.runstream.schemas.WireFormat;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a run's records go after {@code log()}: a bounded queue, one writer thread that gives each
 * record its sequence number and appends it to the run directory's journal, and then either hands
 * it to Kafka at once ("live") or, while Kafka is unreachable or the writer is behind, leaves it on
 * disk to be replayed from the journal in order ("spilled").
 *
 * <p>Ordering: sequence numbers are assigned in journal order under one lock, and only the writer
 * thread sends, live records strictly after every spilled record before them has been replayed.
 *
 * <p>Never blocking the caller: {@link #offer} only enqueues. When the queue is full the caller
 * itself drains the queue into the journal (in order) and appends its record, all marked spilled: a
 * bounded amount of buffered file writing instead of a dropped point.
 *
 * <p>Durability: the writer hands every drained batch to the operating system at once (so a dead
 * JVM loses at most what is still in the queue, microseconds of work) and forces the journal to the
 * device every {@code fsyncInterval}, on {@link #flush}, on segment roll and on close.
 */
final class RecordPipeline {
  private static final Logger log = LoggerFactory.getLogger(RecordPipeline.class);
  static final long SEGMENT_BYTES = 64L * 1024 * 1024;
  private static final int DRAIN = 4096;
  private static final long MIN_BACKOFF_MS = 200;
  private static final long MAX_BACKOFF_MS = 5_000;

  /**
   * Something for the writer: a record, or a marker (flush or stop) when {@code value} is null. A
   * record's value is a {@link MetricPoints} (metric batches: the hot path) or the Avro record.
   */
  record Pending(
      RecordKind kind,
      Object value,
      int points,
      long step,
      CompletableFuture<Void> marker,
      boolean stop) {
    static Pending of(RecordKind kind, SpecificRecord value, int points, long step) {
      return new Pending(kind, value, points, step, null, false);
    }

    static Pending of(RecordKind kind, MetricPoints value, int points) {
      return new Pending(kind, value, points, value.step(), null, false);
    }
  }

  /** A journalled record to send live: its wire-format value, header bytes still to fill. */
  private record Outgoing(long sequence, RecordKind kind, int points, byte[] value) {}

  private final String runId;
  private final RunDirectory directory;
  private final Delivery delivery;
  private final Duration fsyncInterval;
  private final BlockingQueue<Pending> queue;
  private final Thread writer;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  final LongAdder spilled = new LongAdder();
  final LongAdder durable = new LongAdder();
  final LongAdder lost = new LongAdder();

  private final Object lock = new Object();
  // Guarded by lock.
  private final JournalWriter journal;
  private final Map<RecordKind, SpecificDatumWriter<SpecificRecord>> writers =
      new EnumMap<>(RecordKind.class);
  // Each record is encoded once, behind room for the wire format's header: the journal takes the
  // body from here and the live send a copy of header room and body, its only copy.
  private final EncodeBuffer bytes = new EncodeBuffer(1024);
  private final MetricBatchEncoder metricEncoder = new MetricBatchEncoder();
  private BinaryEncoder encoder;
  private long nextSequence;
  private long pointsSinceSync;
  private boolean behind;
  private long replayFrom;
  private long lastJournalError;

  // Writer thread only.
  private JournalReader cursor;
  private long cursorNext = -1;
  private long nextAttemptNanos;
  private long backoffMs = MIN_BACKOFF_MS;
  private long lastPersistedAck = Long.MIN_VALUE;
  private volatile boolean stopRequested;
  private volatile boolean parked;
  private volatile long stopDeadlineNanos;
  // Set by the writer when it stops: what Kafka has not acknowledged of the run directory.
  private volatile long unacknowledgedRecords = -1;
  private volatile long unacknowledgedPoints = -1;

  /**
   * @param firstSequence the sequence of the first new record
   * @param ackedThrough the highest sequence Kafka already has everything through; records after it
   *     that are already in the journal are replayed first
   * @param delivery where records go, or null for an offline run
   */
  RecordPipeline(
      String runId,
      RunDirectory directory,
      long firstSequence,
      long ackedThrough,
      Delivery delivery,
      int capacity,
      Duration fsyncInterval)
      throws IOException {
    this.runId = runId;
    this.directory = directory;
    this.delivery = delivery;
    this.fsyncInterval = fsyncInterval;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.journal = new JournalWriter(directory.path(), firstSequence, SEGMENT_BYTES);
    this.nextSequence = firstSequence;
    if (delivery != null && ackedThrough + 1 < firstSequence) {
      // An earlier process of this run left records Kafka did not acknowledge: send them first.
      behind = true;
      replayFrom = ackedThrough + 1;
    }
    for (RecordKind kind : RecordKind.values()) {
      writers.put(kind, new SpecificDatumWriter<>(kind.schema));
    }
    this.writer = new Thread(this::writeLoop, "runstream-writer-" + runId);
    this.writer.setDaemon(true);
  }

  void start() {
    writer.start();
  }

  /** Hands a record to the writer. Never blocks beyond journaling the queue when it is full. */
  void offer(Pending pending) {
    if (queue.offer(pending)) {
      if (parked) {
        LockSupport.unpark(writer);
      }
      return;
    }
    List<Pending> batch = new ArrayList<>(queue.size() + 1);
    List<Pending> markers = new ArrayList<>();
    synchronized (lock) {
      queue.drainTo(batch);
      batch.add(pending);
      journalAll(batch, true, markers);
      if (!markers.isEmpty()) {
        syncJournal();
      }
    }
    completeMarkers(markers);
  }

  /** Waits until everything offered before is forced to the device, at most {@code timeout}. */
  boolean flush(Duration timeout) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    offer(new Pending(null, null, 0, -1, done, false));
    return await(done, timeout);
  }

  /**
   * Stops the writer: journals and syncs everything, keeps delivering until Kafka acknowledged
   * everything or {@code timeout} passed, records what Kafka acknowledged, closes the journal.
   *
   * @return whether the writer finished within the timeout (plus a second of grace)
   */
  boolean close(Duration timeout) {
    stopDeadlineNanos = System.nanoTime() + timeout.toNanos();
    offer(new Pending(null, null, 0, -1, null, true));
    return await(stopped, timeout.plusSeconds(1));
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

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>(DRAIN);
    List<Pending> markers = new ArrayList<>();
    long nextSyncNanos = System.nanoTime() + fsyncInterval.toNanos();
    long nextAckNanos = System.nanoTime();
    try {
      while (true) {
        long waitMs = waitMillis(nextSyncNanos);
        if (waitMs > 0 && queue.isEmpty()) {
          parked = true;
          // Re-check after announcing the park: an offer in between either is seen here or sees
          // parked and unparks us.
          if (queue.isEmpty()) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(waitMs));
          }
          parked = false;
          if (Thread.interrupted()) {
            throw new InterruptedException();
          }
        }
        batch.clear();
        markers.clear();
        List<Outgoing> live;
        synchronized (lock) {
          // Taking from the queue only under the lock keeps journal order equal to queue order
          // even when a caller journals an overflowing queue itself.
          queue.drainTo(batch, DRAIN);
          live = journalAll(batch, false, markers);
          flushJournal();
          if (!markers.isEmpty()) {
            syncJournal();
            nextSyncNanos = System.nanoTime() + fsyncInterval.toNanos();
          }
        }
        completeMarkers(markers);
        sendLive(live);
        if (delivery != null) {
          if (delivery.failed()) {
            recover();
          }
          if (System.nanoTime() >= nextAttemptNanos) {
            replayChunk();
          }
        }
        long now = System.nanoTime();
        if (now >= nextSyncNanos) {
          synchronized (lock) {
            syncJournal();
          }
          nextSyncNanos = now + fsyncInterval.toNanos();
        }
        if (now >= nextAckNanos) {
          persistAck();
          nextAckNanos = now + TimeUnit.SECONDS.toNanos(1);
        }
        if (stopRequested && queue.isEmpty()) {
          drainForStop();
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      log.error(
          "the writer of run {} stopped unexpectedly; what is in its directory stays", runId, e);
    } finally {
      closeJournal();
      stopped.complete(null);
    }
  }

  private long waitMillis(long nextSyncNanos) {
    if (stopRequested) {
      return 0;
    }
    long untilSync = TimeUnit.NANOSECONDS.toMillis(nextSyncNanos - System.nanoTime());
    long wait = Math.min(100, Math.max(1, untilSync));
    if (delivery != null && behind()) {
      long untilAttempt = TimeUnit.NANOSECONDS.toMillis(nextAttemptNanos - System.nanoTime());
      wait = Math.min(wait, Math.max(0, untilAttempt));
    }
    return wait;
  }

  /** Journals the batch; returns the records to send live. Caller holds the lock. */
  private List<Outgoing> journalAll(List<Pending> batch, boolean diskOnly, List<Pending> markers) {
    List<Outgoing> live = List.of();
    for (Pending p : batch) {
      if (p.value() == null) {
        if (p.stop()) {
          stopRequested = true;
        } else {
          markers.add(p);
        }
        continue;
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
        pointsSinceSync += p.points();
      } catch (IOException | RuntimeException e) {
        lost.add(p.points());
        journalError(sequence, e);
        continue;
      }
      if (delivery == null) {
        spilled.add(p.points());
      } else if (behind || diskOnly) {
        if (!behind) {
          behind = true;
          replayFrom = sequence;
        }
        spilled.add(p.points());
      } else {
        if (live.isEmpty()) {
          live = new ArrayList<>(batch.size());
        }
        byte[] value = Arrays.copyOf(bytes.array(), bytes.size());
        live.add(new Outgoing(sequence, p.kind(), p.points(), value));
      }
    }
    return live;
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

  private void sendLive(List<Outgoing> live) {
    for (int i = 0; i < live.size(); i++) {
      Outgoing r = live.get(i);
      if (!delivery.send(r.sequence(), r.kind(), r.points(), r.value(), false)) {
        // Kafka cannot take records now: this one and the rest of the batch wait on disk.
        synchronized (lock) {
          long from = live.get(i).sequence();
          if (!behind || from < replayFrom) {
            replayFrom = from;
          }
          behind = true;
          for (int j = i; j < live.size(); j++) {
            spilled.add(live.get(j).points());
          }
        }
        scheduleRetry();
        log.warn(
            "Kafka is unreachable for run {}; records from sequence {} wait in {} and are replayed"
                + " when it is back",
            runId,
            live.get(i).sequence(),
            directory.path());
        return;
      }
    }
  }

  private void recover() {
    long[] reset = delivery.resetCountingPoints();
    long from = reset[0];
    // What Kafka did not acknowledge now waits on disk for the replay: spilled, like records
    // journalled while Kafka was unreachable.
    spilled.add(reset[1]);
    synchronized (lock) {
      if (!behind || from < replayFrom) {
        replayFrom = from;
      }
      behind = true;
    }
    closeCursor();
    scheduleRetry();
  }

  private void scheduleRetry() {
    nextAttemptNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs);
    backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
  }

  /** Sends the next records waiting on disk; clears {@code behind} when it catches up. */
  private void replayChunk() {
    long from;
    synchronized (lock) {
      if (!behind) {
        return;
      }
      from = replayFrom;
      flushJournal();
    }
    try {
      if (cursor == null || cursorNext != from) {
        closeCursor();
        cursor = new JournalReader(directory.path(), from);
        cursorNext = from;
      }
      for (int n = 0; n < DRAIN; n++) {
        JournalRecord r = cursor.next();
        if (r == null) {
          synchronized (lock) {
            // Under the lock nothing is appended: an empty read now means caught up.
            flushJournal();
            r = cursor.next();
            if (r == null) {
              behind = false;
              replayFrom = cursorNext;
              closeCursor();
              backoffMs = MIN_BACKOFF_MS;
              log.info(
                  "run {} caught up: every record in {} was handed to Kafka",
                  runId,
                  directory.path());
              return;
            }
          }
        }
        if (!delivery.needsSending(r)) {
          delivery.skip(r);
          cursorNext = r.sequence() + 1;
          continue;
        }
        if (!delivery.send(r, true)) {
          closeCursor();
          synchronized (lock) {
            replayFrom = r.sequence();
          }
          scheduleRetry();
          return;
        }
        cursorNext = r.sequence() + 1;
      }
      synchronized (lock) {
        replayFrom = cursorNext;
      }
    } catch (IOException e) {
      log.warn("cannot read the journal of run {}: {}", runId, e.toString());
      closeCursor();
      scheduleRetry();
    }
  }

  private void drainForStop() {
    if (delivery != null) {
      while (System.nanoTime() < stopDeadlineNanos) {
        if (delivery.failed()) {
          recover();
        }
        if (!behind()) {
          break;
        }
        if (System.nanoTime() >= nextAttemptNanos) {
          replayChunk();
        } else {
          sleepQuietly(
              Math.min(
                  50, TimeUnit.NANOSECONDS.toMillis(nextAttemptNanos - System.nanoTime()) + 1));
        }
      }
      long remaining = Math.max(0, stopDeadlineNanos - System.nanoTime());
      delivery.close(Duration.ofNanos(remaining));
      countUnacknowledged();
    }
    synchronized (lock) {
      syncJournal();
    }
    persistAck();
  }

  /**
   * Counts the journal's records (and their points) that Kafka has not acknowledged, after the
   * producer closed: those a finished run leaves for {@code runstream sync}. Everything the journal
   * holds counts, also what an earlier process of the run left, so a resumed run's replay that
   * Kafka never took is not reported as delivered.
   */
  private void countUnacknowledged() {
    long mark = delivery.ackedThrough();
    Set<Long> ackedAbove = delivery.acknowledgedAboveMark();
    long records = 0;
    long points = 0;
    closeCursor();
    synchronized (lock) {
      flushJournal();
    }
    try (JournalReader reader = new JournalReader(directory.path(), mark + 1)) {
      for (JournalRecord r = reader.next(); r != null; r = reader.next()) {
        if (r.sequence() > mark && delivery.needsSending(r) && !ackedAbove.contains(r.sequence())) {
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
   * if not known (offline, or the writer did not stop in time).
   */
  long unacknowledgedRecords() {
    return unacknowledgedRecords;
  }

  /** After {@link #close}: the metric points of the {@link #unacknowledgedRecords()}. */
  long unacknowledgedPoints() {
    return unacknowledgedPoints;
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void persistAck() {
    if (delivery == null) {
      return;
    }
    long acked = delivery.ackedThrough();
    if (acked != lastPersistedAck) {
      try {
        directory.writeAcked(acked);
        lastPersistedAck = acked;
      } catch (IOException e) {
        log.debug("cannot record acknowledged sequence of run {}: {}", runId, e.toString());
      }
    }
  }

  private void completeMarkers(List<Pending> markers) {
    for (Pending m : markers) {
      m.marker().complete(null);
    }
  }

  /** Caller holds the lock. */
  private void flushJournal() {
    try {
      journal.flush();
    } catch (IOException e) {
      journalError(nextSequence, e);
    }
  }

  /** Caller holds the lock. */
  private void syncJournal() {
    try {
      journal.sync();
      durable.add(pointsSinceSync);
      pointsSinceSync = 0;
    } catch (IOException e) {
      journalError(nextSequence, e);
    }
  }

  private void closeCursor() {
    if (cursor != null) {
      try {
        cursor.close();
      } catch (IOException e) {
        // read-only handle; nothing to lose
      }
      cursor = null;
    }
  }

  private void closeJournal() {
    closeCursor();
    synchronized (lock) {
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
