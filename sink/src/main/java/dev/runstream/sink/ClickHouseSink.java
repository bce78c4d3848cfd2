package dev.runstream.sink;

import com.clickhouse.client.api.Client;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.config.KafkaClients;
import dev.runstream.sink.internal.Migrations;
import dev.runstream.sink.internal.RecordMapper;
import dev.runstream.sink.internal.Retry;
import dev.runstream.sink.internal.SinkCounters;
import dev.runstream.sink.internal.SinkWorker;
import dev.runstream.sink.internal.StallWatch;
import dev.runstream.sink.internal.TableWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes every runstream topic (runs, metrics, system, run summaries, alerts) into ClickHouse.
 *
 * <p>{@link #start(SinkConfig)} applies the schema migrations, creates missing topics, and starts
 * two daemon threads: a consumer thread that owns a Kafka consumer (group {@link
 * SinkConfig#groupId()}, manual commits, {@code read_committed}) and buffers decoded rows per
 * table, and a writer thread that writes to ClickHouse. When {@link SinkConfig#batchMaxRows()} rows
 * are buffered or the oldest is {@link SinkConfig#batchMaxDelay()} old, the batch goes to the
 * writer (one RowBinary insert per table) while the next one is decoded; the downsampled curves of
 * the batches of one {@link SinkConfig#rollupInterval()} are written together, and only then are
 * their offsets committed. Records that cannot be decoded go to the dead-letter topic with the
 * reason in headers. While ClickHouse is unavailable the consumer pauses (at most two batches are
 * held) and the same batch is retried; nothing is committed until it is written. A write that
 * ClickHouse leaves unanswered for {@link SinkConfig#stallWarning()} is logged once as a warning
 * naming the server, the table and the wait, and its end once at INFO. Delivery to ClickHouse is
 * at-least-once; the tables' keys and the curves' recomputation make repeated rows invisible to
 * every query.
 *
 * <p>Thread-safe: {@link #stats()} and {@link #close()} may be called from any thread.
 */
public final class ClickHouseSink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClickHouseSink.class);
  private static final Duration INITIAL_BACKOFF = Duration.ofMillis(100);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
  private static final int FETCH_MIN_BYTES = 64 * 1024;
  private static final int FETCH_MAX_WAIT_MS = 50;

  private final SinkConfig config;
  private final SinkCounters counters = new SinkCounters();
  private final ClickHouseHttp clickHouse;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> deadLetters;
  private final ExecutorService writerThread;
  private final ExecutorService rollupThread;
  private final SinkWorker worker;
  private final Thread thread;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  private ClickHouseSink(SinkConfig config) {
    this.config = config;
    Client client =
        ClickHouseHttp.newClient(
            config.clickHouseUrl(), config.clickHouseUser(), config.clickHousePassword());
    this.clickHouse = new ClickHouseHttp(client, true);
    try {
      List<Integer> applied = Migrations.apply(clickHouse, config.database());
      log.info(
          "ClickHouse schema of {} at version {} (applied now: {})",
          config.database(),
          Migrations.latestVersion(),
          applied);
      ensureTopics(config);
      this.consumer = new KafkaConsumer<>(consumerProperties(config));
      this.deadLetters = new KafkaProducer<>(producerProperties(config));
    } catch (RuntimeException e) {
      clickHouse.close();
      throw e;
    }
    Topics topics = config.topics();
    SinkWorker.Settings settings =
        new SinkWorker.Settings(
            List.of(
                topics.runs.name(),
                topics.metrics.name(),
                topics.system.name(),
                topics.runSummaries.name(),
                topics.alerts.name()),
            topics.deadLetters,
            config.batchMaxRows(),
            config.batchMaxDelay(),
            MAX_BACKOFF,
            config.rollupInterval());
    // ClickHouse is written on its own thread, so the next batch is decoded meanwhile.
    this.writerThread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "runstream-sink-writer-" + config.groupId());
              t.setDaemon(true);
              return t;
            });
    // The rollups of live runs are inserted on a thread of their own, beside the next batches, so a
    // batch never waits behind a rollup write (a third as many rows as the points).
    this.rollupThread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "runstream-sink-rollups-" + config.groupId());
              t.setDaemon(true);
              return t;
            });
    this.worker =
        new SinkWorker(
            consumer,
            deadLetters,
            new StallWatch(
                TableWriter.clickHouse(clickHouse, config.database()),
                config.stallWarning(),
                System::nanoTime,
                StallWatch.logging(
                    config.clickHouseUrl() + " (database " + config.database() + ")")),
            new RecordMapper(
                topics, SerdeConfig.registry(config.schemaRegistryUrl()), config.team()),
            new Retry(config.insertAttempts(), INITIAL_BACKOFF, MAX_BACKOFF),
            settings,
            counters,
            System::nanoTime,
            writerThread,
            rollupThread);
    this.thread = new Thread(this::runWorker, "runstream-sink-" + config.groupId());
    this.thread.setDaemon(true);
  }

  /**
   * Applies the ClickHouse migrations, creates missing topics, and starts consuming. Blocks until
   * the schema and topics are in place (seconds); returns once the worker thread runs.
   *
   * @throws RuntimeException when ClickHouse or Kafka cannot be reached at start-up
   */
  public static ClickHouseSink start(SinkConfig config) {
    Objects.requireNonNull(config, "config");
    log.info("starting runstream sink: {}", config);
    ClickHouseSink sink = new ClickHouseSink(config);
    sink.thread.start();
    return sink;
  }

  /** The settings this sink runs with. */
  public SinkConfig config() {
    return config;
  }

  /** The counters so far. Thread-safe, does not block. */
  public SinkStats stats() {
    return new SinkStats(
        counters.recordsRead.sum(),
        counters.rowsWritten(),
        counters.deadLettered.sum(),
        counters.batches.sum(),
        counters.retries.sum(),
        counters.failedFlushes.sum(),
        counters.rollupRefreshes.sum(),
        counters.rollupFailures.sum(),
        counters.bufferedRows(),
        counters.maxBufferedRows(),
        counters.rollupAppendedPoints.sum(),
        counters.rollupRecomputedSeries.sum());
  }

  /** Whether the worker thread is running. */
  public boolean isRunning() {
    return thread.isAlive();
  }

  /** The error that stopped the worker, if it stopped by one. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure.get());
  }

  /**
   * Waits up to {@code timeout} for the worker to stop (after {@link #close()} or a failure).
   *
   * @return whether it stopped
   */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    thread.join(Math.max(1, timeout.toMillis()));
    return !thread.isAlive();
  }

  /**
   * Writes the pending batch, commits its offsets, stops the worker and closes the Kafka and
   * ClickHouse clients. Blocks until done (bounded by the insert retries when ClickHouse is down,
   * in which case the batch stays uncommitted and is read again by the next sink). Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    worker.requestStop();
    try {
      thread.join(TimeUnit.MINUTES.toMillis(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      log.warn("sink worker did not stop within 2 minutes; closing its clients anyway");
    }
    writerThread.shutdownNow();
    rollupThread.shutdownNow();
    closeQuietly(consumer, "consumer");
    closeQuietly(deadLetters, "dead-letter producer");
    clickHouse.close();
    log.info("runstream sink stopped: {}", stats());
  }

  private void runWorker() {
    try {
      worker.run();
    } catch (Throwable t) {
      failure.set(t);
      log.error("runstream sink worker stopped by an error", t);
    } finally {
      writerThread.shutdown();
      rollupThread.shutdown();
    }
  }

  private static void closeQuietly(AutoCloseable closeable, String what) {
    try {
      closeable.close();
    } catch (Exception e) {
      log.warn("closing the {} failed: {}", what, e.toString());
    }
  }

  private static void ensureTopics(SinkConfig config) {
    try (Admin admin =
        Admin.create(
            config
                .kafkaClients()
                .admin(Map.of(AdminClientConfig.CLIENT_ID_CONFIG, "runstream-sink-admin")))) {
      TopicSetup.ensure(
          admin, config.topics(), TopicSetup.DEFAULT_PARTITIONS, config.replicationFactor());
    }
  }

  /** The user's Kafka properties over these; read committed ({@link KafkaClients#consumer}). */
  // Package-private for tests.
  static Map<String, Object> consumerProperties(SinkConfig config) {
    return config
        .kafkaClients()
        .consumer(
            Map.of(
                ConsumerConfig.GROUP_ID_CONFIG,
                config.groupId(),
                ConsumerConfig.CLIENT_ID_CONFIG,
                "runstream-sink-" + config.groupId(),
                // Offsets are committed only after the rows are in ClickHouse.
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                // A new sink group must store the history, not only what arrives after it starts.
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                // A sink that keeps up would otherwise fetch after every produce request (fetch
                // .min.bytes 1): a request, a response and a wake-up in the broker for a few
                // records. Waiting for 64 KiB or 50 ms makes fetches fewer and larger; it adds at
                // most 50 ms to log-to-queryable, where a batch waits up to batchMaxDelay anyway.
                ConsumerConfig.FETCH_MIN_BYTES_CONFIG,
                FETCH_MIN_BYTES,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
                FETCH_MAX_WAIT_MS,
                // Summaries and alerts come from the processor's exactly-once transactions: output
                // of an aborted one (or of a processor killed mid-transaction) must never reach
                // ClickHouse. KafkaClients sets it for every consumer; named here because this
                // consumer's correctness depends on it.
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                IsolationLevel.READ_COMMITTED.toString(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class,
                // Raw bytes: the worker decodes, so a bad record can be dead-lettered instead of
                // failing poll() for the whole partition.
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class));
  }

  private static Map<String, Object> producerProperties(SinkConfig config) {
    return config
        .kafkaClients()
        .producer(
            Map.of(
                ProducerConfig.CLIENT_ID_CONFIG,
                "runstream-sink-dlq-" + config.groupId(),
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                true,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class));
  }
}
