package dev.runstream.processor;

import dev.runstream.processor.internal.RegistryAwareDeserializationHandler;
import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.TopicSetup;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running stream processor: creates missing topics, then runs {@link RunstreamTopology} with
 * exactly-once processing ({@code exactly_once_v2}), and, when webhooks are configured, an {@link
 * AlertNotifier}. Records that cannot be deserialized, and records that deserialize but cannot be
 * applied (no run id key, a key that differs from the payload's run id, metric names and values
 * that do not pair up), go to the dead-letter topic with Kafka Streams' error headers (exception
 * class, the reason as message, stack trace, source topic, partition and offset), and processing
 * continues. A record that cannot be deserialized only because the schema registry does not answer
 * is not dead-lettered: the stream thread fails, is replaced and reads it again.
 *
 * <p>Thread-safe; {@link #close()} is idempotent.
 */
public final class StreamProcessor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StreamProcessor.class);

  /**
   * How often processing is committed (one Kafka transaction each): {@value #COMMIT_INTERVAL_MS}
   * ms.
   */
  public static final long COMMIT_INTERVAL_MS = 1000;

  /**
   * Stream threads by default: one per core, at most one per partition of the input topics ({@value
   * TopicSetup#DEFAULT_PARTITIONS}); {@code num.stream.threads} in the Kafka properties overrides
   * it.
   */
  public static final int DEFAULT_STREAM_THREADS =
      Math.max(
          1, Math.min(Runtime.getRuntime().availableProcessors(), TopicSetup.DEFAULT_PARTITIONS));

  private final KafkaStreams streams;
  private final AlertNotifier notifier;
  private final CompletableFuture<Void> failed;

  private StreamProcessor(
      KafkaStreams streams, AlertNotifier notifier, CompletableFuture<Void> failed) {
    this.streams = streams;
    this.notifier = notifier;
    this.failed = failed;
  }

  /**
   * Starts the processor; blocks while the topics are created (at most a minute) and returns once
   * Kafka Streams is started (not yet running: see {@link #state()}).
   */
  public static StreamProcessor start(ProcessorConfig config) {
    try (Admin admin =
        Admin.create(
            config
                .kafkaClients()
                .admin(
                    Map.of(
                        AdminClientConfig.CLIENT_ID_CONFIG, config.applicationId() + "-admin")))) {
      TopicSetup.ensure(
          admin,
          config.topics(),
          TopicSetup.DEFAULT_PARTITIONS,
          TopicSetup.BROKER_DEFAULT_REPLICATION);
    }
    SchemaRegistry registry = SerdeConfig.registry(config.schemaRegistryUrl());
    KafkaStreams streams =
        new KafkaStreams(
            RunstreamTopology.build(config.topics(), registry, config.monitor()),
            streamsProperties(config));
    streams.setUncaughtExceptionHandler(
        e -> {
          log.error("stream processor thread failed; replacing it", e);
          return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    CompletableFuture<Void> failed = new CompletableFuture<>();
    streams.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.ERROR) {
            failed.complete(null);
          }
        });
    streams.start();
    AlertNotifier notifier = null;
    if (config.notifier().enabled()) {
      notifier =
          AlertNotifier.start(
              config.notifier(),
              config.kafkaClients(),
              registry,
              config.topics(),
              config.applicationId() + "-notifier",
              config.monitor().team());
    }
    log.info(
        "stream processor {} started against {} (webhooks: {}, slack webhooks: {})",
        config.applicationId(),
        config.kafkaBootstrap(),
        config.notifier().webhooks().size(),
        config.notifier().slackWebhooks().size());
    return new StreamProcessor(streams, notifier, failed);
  }

  /**
   * The Kafka Streams properties {@link #start} uses, the user's Kafka properties over them but for
   * the application id, servers and exactly-once; exposed for tests and tools.
   */
  public static Properties streamsProperties(ProcessorConfig config) {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrap());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
    // Each exactly-once commit ends a transaction and waits for the broker; at the default 100 ms
    // under exactly_once_v2 the thread spent most of a burst waiting for commits. Summaries are
    // published once per publish interval (1 s by default) anyway; alerts and summaries become
    // visible to read_committed readers at most this much later.
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_INTERVAL_MS);
    // A thread processes the tasks of its partitions one record at a time: a second thread on a
    // second core processes other runs in parallel.
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, DEFAULT_STREAM_THREADS);
    // Processing never waits for the runs topic's partition of a task while it is empty. With the
    // default (0) Kafka Streams checks that partition's fetch lag before every record, building log
    // messages it mostly does not log: 18 % of the stream thread's CPU in ProcessorBench, where the
    // runs topic is quiet as it is in production. What it bought is timestamp order across the two
    // topics while run-event records are on the broker but not yet fetched; the processor already
    // takes run events in any order relative to metrics (late points after a finish, a goal defined
    // after the first points), since the SDK's two topics never promised one.
    props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    // A processor that keeps up would otherwise fetch after every produce request (fetch.min.bytes
    // 1): a request, a response and a broker wake-up for a few records. Waiting for 64 KiB or 50
    // ms makes fetches fewer and larger; it adds at most 50 ms before a point is counted, small
    // beside the commit interval. The restore consumer keeps the defaults: it reads to the end.
    props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MIN_BYTES_CONFIG), 64 * 1024);
    props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 50);
    // The store changelogs and run summaries are written uncompressed by default, and they are
    // most of what the broker receives: their records are several times larger than the SDK's
    // lz4-compressed metric records. lz4 costs the processor little and the broker fewer bytes to
    // validate, append and send to the sink and to restoring instances.
    props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
    props.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        RegistryAwareDeserializationHandler.class.getName());
    // A record that deserializes but cannot be applied (RejectedRecordException) goes there too,
    // rather than failing the stream thread on it again and again.
    props.put(
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueProcessingExceptionHandler.class.getName());
    props.put(
        StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.topics().deadLetters);
    // The broker's default.replication.factor for changelogs and repartition topics: 1 on a
    // development broker, what the cluster's operators chose elsewhere.
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
    Properties properties = new Properties();
    properties.putAll(config.kafkaClients().streams(props));
    return properties;
  }

  /** The Kafka Streams state: RUNNING once partitions are assigned. */
  public KafkaStreams.State state() {
    return streams.state();
  }

  /** Stops the notifier and processing, committing; waits at most 30 seconds. Idempotent. */
  @Override
  public void close() {
    if (notifier != null) {
      notifier.close();
    }
    streams.close(Duration.ofSeconds(30));
  }

  /**
   * Runs the processor configured from the environment until the JVM is stopped. A configuration
   * mistake stops it at once with exit code 2 and a message naming the setting.
   */
  public static void main(String[] args) throws InterruptedException {
    ProcessorConfig config;
    try {
      config = ProcessorConfig.fromEnv(System.getenv());
    } catch (IllegalArgumentException e) {
      log.error("invalid configuration, not starting: {}", e.getMessage());
      System.exit(2);
      return;
    }
    StreamProcessor processor = start(config);
    // A processor that failed for good must exit, so that its supervisor (systemd, Kubernetes,
    // compose) restarts it, rather than idle while runs go unwatched.
    processor.failed.thenRun(
        () -> {
          log.error("Kafka Streams failed for good; stopping with exit code 1");
          new Thread(() -> System.exit(1), "runstream-processor-exit").start();
        });
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  processor.close();
                  stopped.countDown();
                }));
    stopped.await();
  }
}
