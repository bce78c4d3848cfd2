package dev.runstream.processor;

import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.TopicSetup;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running stream processor: creates missing topics, then runs {@link RunstreamTopology} with
 * exactly-once processing. Records that cannot be deserialized go to the dead-letter topic with
 * Kafka Streams' error headers, and processing continues.
 */
public final class StreamProcessor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StreamProcessor.class);

  private final KafkaStreams streams;

  private StreamProcessor(KafkaStreams streams) {
    this.streams = streams;
  }

  /** Starts the processor; returns once Kafka Streams is started (not yet running). */
  public static StreamProcessor start(ProcessorConfig config) {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrap()))) {
      TopicSetup.ensure(admin, config.topics(), TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrap());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
    props.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueExceptionHandler.class.getName());
    props.put(
        StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.topics().deadLetters);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    KafkaStreams streams =
        new KafkaStreams(
            RunstreamTopology.build(
                config.topics(),
                SerdeConfig.registry(config.schemaRegistryUrl()),
                config.publishInterval()),
            props);
    streams.setUncaughtExceptionHandler(
        e -> {
          log.error("stream processor thread failed; replacing it", e);
          return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler
              .StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    streams.start();
    log.info(
        "stream processor {} started against {}", config.applicationId(), config.kafkaBootstrap());
    return new StreamProcessor(streams);
  }

  /** The Kafka Streams state: RUNNING once partitions are assigned. */
  public KafkaStreams.State state() {
    return streams.state();
  }

  /** Stops processing and commits, waiting at most 30 seconds. Idempotent. */
  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }

  /** Runs the processor configured from the environment until the JVM is stopped. */
  public static void main(String[] args) throws InterruptedException {
    StreamProcessor processor = start(ProcessorConfig.fromEnv(System.getenv()));
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
