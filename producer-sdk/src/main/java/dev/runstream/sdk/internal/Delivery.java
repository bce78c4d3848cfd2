package dev.runstream.sdk.internal;

import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.WireFormat;
import dev.runstream.schemas.config.KafkaAccessErrors;
import dev.runstream.schemas.config.KafkaClients;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends journal records to Kafka in the Confluent wire format and tracks what Kafka acknowledged.
 *
 * <p>Every send is tracked by sequence until acknowledged; {@link #ackedThrough()} is the highest
 * sequence below which everything was acknowledged. A failed send (after the producer's own
 * retries) stays unacknowledged; {@link #reset()} then aborts the producer, starts a new one and
 * says from which sequence to send again, and which sequences below the old high-water mark need
 * sending at all (Kafka acknowledged the others), so a recovery sends each record once.
 *
 * <p>Records are sent in increasing sequence order between two resets (journal order; sequences may
 * skip, e.g. records Kafka already has), so the records in flight form a queue in send order: each
 * is its own producer callback, flagged when Kafka acknowledges it, and taken off the head of the
 * queue once it and everything before it are acknowledged. That costs a flag per record instead of
 * an ordered map's insert and removal.
 *
 * <p>A producer's first record to a topic goes alone: nothing more is sent there until Kafka
 * acknowledged it, or an idempotent producer can stall on a new partition ({@link
 * #awaitFirstRecord}).
 *
 * <p>{@link #send}, {@link #ackedThrough()}, {@link #idle()}, {@link #reset} and {@link #close} are
 * called by one thread (the run's writer, or the sync); acknowledgements arrive on the producer's
 * I/O thread.
 */
final class Delivery {
  private static final Logger log = LoggerFactory.getLogger(Delivery.class);

  /**
   * How long a send waits for the acknowledgement of the producer's first record to the same topic
   * before the record is left on disk instead, to be replayed (see {@link #awaitFirstRecord}).
   * Short, because the writer waits in it and {@code finish()} grants the writer one second of
   * grace beyond its timeout; a slow first acknowledgement only sends the next records through the
   * disk.
   */
  static final Duration DEFAULT_FIRST_ACK_WAIT = Duration.ofMillis(500);

  private final ProducerHandle producers;
  private final SendBudget budget;
  // Called (on the producer's thread) when waiting may be over: a first record completed, bytes
  // came back under the run's cap. Set by the run's pipeline; never null.
  private volatile Runnable onProgress = () -> {};
  // Called (on the producer's thread) when a send failed for good, before anything else learns it.
  private volatile Runnable onFailure = () -> {};
  private final java.util.concurrent.atomic.AtomicLong inFlightBytes =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile boolean wakeOnAck;
  private Exception lastRefusal;
  private final SchemaRegistry registry;
  private final Topics topics;
  private final String runId;
  private final LongAdder sent;
  private final LongAdder replayed;
  private final int[] schemaIds = new int[RecordKind.values().length];
  // Sending thread only: the records handed to the producer and not yet known to be acknowledged
  // with everything before them, in send (= sequence) order.
  private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
  private final AtomicBoolean failed = new AtomicBoolean();
  // Per topic, the current producer's first record to it; absent until one was handed over.
  private FirstRecords firstRecords;
  // Per kind (each kind has its topic), "topic#partition" of this run's records (the key of its
  // first-record gate).
  private final String[] partitions = new String[RecordKind.values().length];
  private final long firstAckWaitNanos;
  private Producer<String, byte[]> producer;

  /**
   * One record handed to the producer, and its callback: whether Kafka acknowledged it, and, for a
   * record refused while send() had not returned yet, what refused it.
   */
  private final class InFlight implements Callback {
    final long sequence;
    final int points;
    final boolean fromDisk;
    final int bytes;
    final long sentNanos = System.nanoTime();
    volatile boolean acked;
    volatile boolean returned;
    volatile Exception refused;
    // Only for a producer's first record to a topic, which later sends to that topic wait for.
    final FirstRecords.Gate completed;

    InFlight(long sequence, int points, boolean fromDisk, FirstRecords.Gate first, int bytes) {
      this.sequence = sequence;
      this.bytes = bytes;
      this.points = points;
      this.fromDisk = fromDisk;
      this.completed = first;
    }

    @Override
    public void onCompletion(RecordMetadata metadata, Exception error) {
      try {
        complete(error);
      } finally {
        if (returned || error == null) {
          giveBack(bytes);
        }
        FirstRecords.Gate gate = completed;
        if (gate != null && (returned || error == null)) {
          gate.complete(error == null);
          onProgress.run();
        }
      }
    }

    private void complete(Exception error) {
      if (error == null) {
        sent.add(points);
        if (fromDisk) {
          replayed.add(points);
        }
        acked = true;
      } else if (!returned) {
        refused = error;
      } else if (!failed.get()) {
        onFailure.run();
        if (failed.compareAndSet(false, true)) {
          onProgress.run();
          Optional<String> denied = KafkaAccessErrors.explain(error, "WRITE");
          if (denied.isPresent()) {
            log.error(
                "{}: record {} of run {} stays in the run directory and is sent again",
                denied.get(),
                sequence,
                runId);
            return;
          }
          log.warn(
              "Kafka did not take record {} of run {} ({}); it stays in the run directory and"
                  + " is sent again",
              sequence,
              runId,
              error.toString());
        }
      }
    }
  }

  private long highestSent;
  private NavigableSet<Long> resend = new TreeSet<>();
  private long resendThrough = -1;

  Delivery(
      Supplier<Producer<String, byte[]>> producers,
      SchemaRegistry registry,
      Topics topics,
      String runId,
      long ackedThrough,
      LongAdder sent,
      LongAdder replayed) {
    this(producers, registry, topics, runId, ackedThrough, sent, replayed, DEFAULT_FIRST_ACK_WAIT);
  }

  /**
   * @param firstAckWait how long a send waits for the acknowledgement of the producer's first
   *     record to the same topic before it leaves its record on disk
   */
  Delivery(
      Supplier<Producer<String, byte[]>> producers,
      SchemaRegistry registry,
      Topics topics,
      String runId,
      long ackedThrough,
      LongAdder sent,
      LongAdder replayed,
      Duration firstAckWait) {
    this(
        ProducerHandle.owned(producers),
        null,
        registry,
        topics,
        runId,
        ackedThrough,
        sent,
        replayed,
        firstAckWait);
  }

  /**
   * @param budget bytes in flight shared with the other runs of the producer, or null for none
   */
  Delivery(
      ProducerHandle producers,
      SendBudget budget,
      SchemaRegistry registry,
      Topics topics,
      String runId,
      long ackedThrough,
      LongAdder sent,
      LongAdder replayed,
      Duration firstAckWait) {
    this.firstAckWaitNanos = firstAckWait.toNanos();
    this.producers = producers;
    this.budget = budget;
    this.registry = registry;
    this.topics = topics;
    this.runId = runId;
    this.sent = sent;
    this.replayed = replayed;
    this.highestSent = ackedThrough;
    this.producer = producers.acquire();
    this.firstRecords = producers.firstRecords(producer);
  }

  /** What happens when a send may go on after {@link Outcome#WAIT}: the pipeline wakes. */
  void onProgress(Runnable wake) {
    this.onProgress = wake;
  }

  /**
   * What happens when a send fails for good: called on the producer's thread, once per failure,
   * before {@link #failed()} turns true.
   */
  void onFailure(Runnable hook) {
    this.onFailure = hook;
  }

  /** The highest sequence handed to the current producer (or skipped), on the sending thread. */
  long highestSent() {
    return highestSent;
  }

  /** Why the producer refused the last record it refused, or null. */
  Exception lastRefusal() {
    return lastRefusal;
  }

  KafkaHealth health() {
    return producers.health();
  }

  /** What {@link #offer} did with a record. */
  enum Outcome {
    /** Handed to the producer. */
    SENT,
    /**
     * Not now, and not a problem: the run's or the producer's bytes in flight are at their limit,
     * or the producer's first record to the topic is not acknowledged yet. {@link #onProgress} is
     * called when that may have changed.
     */
    WAIT,
    /** The producer refused it (Kafka unreachable, or the registry): try again later. */
    REFUSED
  }

  /**
   * Hands a journal record to the producer without ever waiting: where {@link #send(JournalRecord,
   * boolean)} would wait for a first acknowledgement or the producer for buffer space, this says
   * {@link Outcome#WAIT}.
   */
  Outcome offer(JournalRecord record, boolean fromDisk) {
    int bytes = WireFormat.HEADER_SIZE + record.bodyLength();
    if (budget != null) {
      if (inFlightBytes.get() > 0 && inFlightBytes.get() + bytes > budget.perRun()) {
        wakeOnAck = true;
        if (inFlightBytes.get() == 0) {
          wakeOnAck = false;
          return offer(record, fromDisk);
        }
        return Outcome.WAIT;
      }
      if (!budget.tryTake(bytes)) {
        budget.whenFreed(onProgress, bytes);
        return Outcome.WAIT;
      }
    }
    inFlightBytes.addAndGet(bytes);
    byte[] value;
    if (record.offset() == WireFormat.HEADER_SIZE) {
      // The journal reader left room for the header: the buffer is the value, without a copy (a
      // record sent again after WAIT or REFUSED gets the same header written again).
      value = record.buffer();
    } else {
      value = new byte[bytes];
      System.arraycopy(
          record.buffer(), record.offset(), value, WireFormat.HEADER_SIZE, record.bodyLength());
    }
    Outcome outcome =
        send(record.sequence(), record.kind(), record.points(), value, fromDisk, bytes, -1);
    if (outcome != Outcome.SENT) {
      giveBack(bytes);
    }
    return outcome;
  }

  private void giveBack(int bytes) {
    if (bytes == 0) {
      return;
    }
    long left = inFlightBytes.addAndGet(-bytes);
    if (budget != null) {
      budget.release(bytes);
      if (wakeOnAck && left <= budget.perRun() / 2) {
        wakeOnAck = false;
        onProgress.run();
      }
    }
  }

  /** Records handed over and not yet acknowledged with everything before them. */
  int inFlight() {
    dropAcknowledged();
    return inFlight.size();
  }

  /** How long the oldest record not acknowledged has waited, or 0. */
  long oldestWaitNanos() {
    dropAcknowledged();
    InFlight first = inFlight.peekFirst();
    return first == null ? 0 : System.nanoTime() - first.sentNanos;
  }

  /**
   * The producer settings: safety first (idempotence, acks=all, so no duplicates from retries and
   * nothing acknowledged before every in-sync replica has it), then throughput (lz4, a 10 ms linger
   * and 256 KiB batches, which carry about 2,000 ten-metric batches each), and a short {@code
   * max.block.ms} so that a broker that cannot be reached makes the writer fall back to the journal
   * at once instead of waiting a minute for metadata.
   */
  static Map<String, Object> producerConfig(String bootstrap, Map<String, Object> overrides) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "runstream-sdk");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
    // Never give up on a record the producer holds: its retries keep the run's order and, with
    // idempotence, write each record once, however long the outage. What does not fit in
    // buffer.memory stays in the journal (send() fails after max.block.ms) and is replayed after.
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
    return KafkaClients.of(bootstrap, overrides).producer(props);
  }

  static Supplier<Producer<String, byte[]>> kafkaProducers(Map<String, Object> config) {
    return () -> new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
  }

  /** Whether a send failed since the last {@link #reset()}. */
  boolean failed() {
    return failed.get();
  }

  /** The highest sequence up to which Kafka acknowledged everything sent. */
  long ackedThrough() {
    dropAcknowledged();
    InFlight first = inFlight.peekFirst();
    return first == null ? highestSent : first.sequence - 1;
  }

  /** Whether every record handed to {@link #send} was acknowledged. */
  boolean idle() {
    dropAcknowledged();
    return inFlight.isEmpty();
  }

  /**
   * The records in flight that Kafka acknowledged although something before them is not: all above
   * {@link #ackedThrough()}. A look through everything in flight, for the end of a run.
   */
  Set<Long> acknowledgedAboveMark() {
    dropAcknowledged();
    Set<Long> acked = new HashSet<>();
    for (InFlight r : inFlight) {
      if (r.acked) {
        acked.add(r.sequence);
      }
    }
    return acked;
  }

  private void dropAcknowledged() {
    InFlight first;
    while ((first = inFlight.peekFirst()) != null && first.acked) {
      inFlight.pollFirst();
    }
  }

  /**
   * Whether {@code record} must be sent during a recovery: false for records Kafka already
   * acknowledged before the failure.
   */
  boolean needsSending(JournalRecord record) {
    return record.sequence() > resendThrough || resend.contains(record.sequence());
  }

  /** Notes a record that need not be sent again (Kafka acknowledged it before a failure). */
  void skip(JournalRecord record) {
    if (record.sequence() > highestSent) {
      highestSent = record.sequence();
    }
  }

  /**
   * Hands a record read from the journal to the producer.
   *
   * @return false if the producer refused it at once (see {@link #send(long, RecordKind, int,
   *     byte[], boolean)}): the record stays on disk only
   */
  boolean send(JournalRecord record, boolean fromDisk) {
    byte[] value = new byte[WireFormat.HEADER_SIZE + record.bodyLength()];
    System.arraycopy(
        record.buffer(), record.offset(), value, WireFormat.HEADER_SIZE, record.bodyLength());
    return send(record.sequence(), record.kind(), record.points(), value, fromDisk);
  }

  /**
   * Hands a record to the producer.
   *
   * @param value the record's value: {@link WireFormat#HEADER_SIZE} bytes that this method fills
   *     with the wire format's header, then the Avro body; the producer owns it from now on
   * @return false if the producer refused it at once (no metadata or buffer full within {@code
   *     max.block.ms}, or the registry is unreachable): the record stays on disk only
   */
  boolean send(long sequence, RecordKind kind, int points, byte[] value, boolean fromDisk) {
    return send(sequence, kind, points, value, fromDisk, 0, firstAckWaitNanos) == Outcome.SENT;
  }

  /**
   * @param firstAckWait how long to wait for the acknowledgement of the producer's first record to
   *     the topic; negative: not at all, {@link Outcome#WAIT} instead, with {@link #onProgress}
   *     called when it completes
   */
  private Outcome send(
      long sequence,
      RecordKind kind,
      int points,
      byte[] value,
      boolean fromDisk,
      int bytes,
      long firstAckWait) {
    assert inFlight.isEmpty() || inFlight.peekLast().sequence < sequence
        : "record " + sequence + " sent after " + inFlight.peekLast().sequence;
    InFlight record = null;
    try {
      writeHeader(kind, value);
      String topic = kind.topic(topics);
      String partition = partitionOf(kind, topic);
      FirstRecords.Gate gate = firstRecords.get(partition);
      FirstRecords.Gate mine = null;
      if (gate == null) {
        FirstRecords.Gate claimed = new FirstRecords.Gate();
        gate = firstRecords.claim(partition, claimed);
        if (gate == null) {
          mine = claimed;
        }
      }
      if (mine == null && !gate.acked) {
        if (firstAckWait < 0) {
          if (gate.done.getCount() > 0) {
            gate.whenDone(onProgress);
            return Outcome.WAIT;
          }
          return Outcome.REFUSED; // the first record failed: its run recovers, we retry later
        }
        if (!awaitFirstRecord(gate, topic, firstAckWait)) {
          return Outcome.REFUSED;
        }
      }
      FirstRecords.Gate first = mine;
      record = new InFlight(sequence, points, fromDisk, mine, bytes);
      // Drop what is acknowledged as we go, so the queue holds only what is really in flight.
      dropAcknowledged();
      inFlight.addLast(record);
      // KafkaProducer reports a full buffer or missing metadata after max.block.ms through the
      // callback, called before send() returns, not by throwing: such a record was refused, not
      // lost in flight, and must wait on disk like one refused by an exception.
      producer.send(new ProducerRecord<>(topic, runId, value), record);
      record.returned = true;
      if (record.refused != null) {
        lastRefusal = record.refused;
        forget(record);
        if (first != null) {
          firstRecords.release(partition, first);
        }
        log.debug(
            "Kafka refused record {} of run {} at once: {}",
            sequence,
            runId,
            record.refused.toString());
        return Outcome.REFUSED;
      }
      if (sequence > highestSent) {
        highestSent = sequence;
      }
      return Outcome.SENT;
    } catch (RuntimeException e) {
      lastRefusal = e;
      forget(record);
      if (record != null && record.completed != null) {
        firstRecords.release(partitionOf(kind, kind.topic(topics)), record.completed);
      }
      log.debug("cannot hand record {} of run {} to Kafka: {}", sequence, runId, e.toString());
      return Outcome.REFUSED;
    }
  }

  /** Takes back a record the producer refused: it is the newest in flight, if tracked at all. */
  private void forget(InFlight record) {
    if (record != null && inFlight.peekLast() == record) {
      inFlight.pollLast();
    }
  }

  /**
   * The partition of this run's records in {@code topic}, as {@code topic#partition}. The first
   * time (per producer), waits (at most {@code max.block.ms}) until the producer knows the topic's
   * partitions and leaders.
   *
   * @throws org.apache.kafka.common.errors.TimeoutException if the topic is not known in time: the
   *     record stays on disk like any other refused record
   */
  private String partitionOf(RecordKind kind, String topic) {
    String partition = partitions[kind.ordinal()];
    if (partition == null) {
      int count = producer.partitionsFor(topic).size();
      // The default partitioner's choice for the run id (a custom partitioner.class may choose
      // another partition: then the gate is only coarser than it could be, never wrong per run).
      int p =
          count == 0
              ? 0
              : BuiltInPartitioner.partitionForKey(
                  runId.getBytes(java.nio.charset.StandardCharsets.UTF_8), count);
      partition = topic + "#" + p;
      partitions[kind.ordinal()] = partition;
    }
    return partition;
  }

  /**
   * Waits until Kafka acknowledged the producer's first record to {@code topic}, at most the first
   * acknowledgement wait; true once it did.
   *
   * <p>Why a producer sends one record to a partition and waits before sending more: a broker that
   * holds no state of this producer on a partition takes any sequence number as the producer's
   * first. A partition just created (a topic the first send auto-creates), or a broker that has not
   * yet applied its leadership although metadata names it leader, answers the first batch with
   * NOT_LEADER_OR_FOLLOWER; a second batch in flight then arrives after the partition is ready and
   * is appended, and every retry of the first fails with OUT_OF_ORDER_SEQUENCE_NUMBER, without end
   * since the producer never gives up on a record (KAFKA-15591, KAFKA-14312). Metadata naming a
   * leader does not close that window, so until the broker has this producer's first record,
   * nothing else goes to that partition, from this run or any other run sharing the producer (the
   * state is the producer's: with one producer for many runs, their first records would race).
   *
   * @return false if the first record is not acknowledged in time or failed: the record to send
   *     stays on disk and is sent again later, like a refused one
   */
  private boolean awaitFirstRecord(FirstRecords.Gate first, String topic, long firstAckWaitNanos) {
    if (first.acked) {
      return true;
    }
    try {
      if (!first.done.await(firstAckWaitNanos, TimeUnit.NANOSECONDS)) {
        log.debug(
            "Kafka has not yet acknowledged the producer's first record to {}; later records of run"
                + " {} wait on disk",
            topic,
            runId);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return first.acked;
  }

  /** Writes the wire format's header (magic byte, schema id) over the first bytes of value. */
  private void writeHeader(RecordKind kind, byte[] value) {
    int k = kind.ordinal();
    int id = schemaIds[k];
    if (id == 0) {
      id = registry.register(kind.topic(topics) + "-value", kind.schema);
      schemaIds[k] = id;
    }
    value[0] = WireFormat.MAGIC_BYTE;
    value[1] = (byte) (id >>> 24);
    value[2] = (byte) (id >>> 16);
    value[3] = (byte) (id >>> 8);
    value[4] = (byte) id;
  }

  /**
   * Aborts the producer and everything in flight, and starts a new one.
   *
   * @return the lowest sequence to send again
   */
  long reset() {
    return resetCountingPoints()[0];
  }

  /**
   * {@link #reset()}, also returning (second element) the metric points that must be sent again.
   */
  long[] resetCountingPoints() {
    producers.abort(producer);
    // After an abort every callback has run: what is left unacknowledged must be sent again.
    resend = new TreeSet<>();
    long points = 0;
    for (InFlight r : inFlight) {
      if (!r.acked) {
        resend.add(r.sequence);
        points += r.points;
      }
    }
    resendThrough = highestSent;
    long from = resend.isEmpty() ? highestSent + 1 : resend.first();
    inFlight.clear();
    highestSent = from - 1;
    failed.set(false);
    // A new producer has a new producer id: no broker holds its state yet.
    producer = producers.acquire();
    firstRecords = producers.firstRecords(producer);
    Arrays.fill(partitions, null);
    return new long[] {from, points};
  }

  /** Waits for in-flight records, at most {@code timeout}, and closes the producer. */
  void close(Duration timeout) {
    if (producers.shared()) {
      // The producer goes on for other runs: wait for this run's records only.
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!idle() && !failed() && System.nanoTime() < deadline) {
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      }
    }
    producers.release(producer, timeout);
  }
}
