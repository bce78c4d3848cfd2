package dev.runstream.cli;

import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.ProcessorConfig;
import dev.runstream.processor.StreamProcessor;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.sink.ClickHouseSink;
import dev.runstream.sink.SinkConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The processing side of runstream running in this JVM against a stack's servers: the stream
 * processor and the ClickHouse sink. Training jobs only need Kafka and the registry.
 *
 * <p>Register it with {@link LocalStack#closeFirst} so it stops before the servers it talks to.
 */
public final class Pipeline implements AutoCloseable {
  private final LocalStack stack;
  private final StreamProcessor processor;
  private final ClickHouseSink sink;

  private Pipeline(LocalStack stack, StreamProcessor processor, ClickHouseSink sink) {
    this.stack = stack;
    this.processor = processor;
    this.sink = sink;
  }

  /**
   * Starts the processor and the sink against {@code stack} with default settings; blocks until
   * both have started (the sink has created its tables).
   *
   * @param stateDir where the processor keeps its state stores
   */
  public static Pipeline start(LocalStack stack, Path stateDir) {
    ConfigProperties none = ConfigProperties.of(Map.of());
    return start(stack, processorConfig(stack, none, stateDir), sinkConfig(stack, none));
  }

  /**
   * Starts the processor and the sink against {@code stack} with these settings; blocks until both
   * have started.
   *
   * @param processorConfig the processor's settings, e.g. {@link #processorConfig}
   * @param sinkConfig the sink's settings, e.g. {@link #sinkConfig}
   */
  public static Pipeline start(
      LocalStack stack, ProcessorConfig processorConfig, SinkConfig sinkConfig) {
    Objects.requireNonNull(stack, "stack");
    Objects.requireNonNull(processorConfig, "processorConfig");
    Objects.requireNonNull(sinkConfig, "sinkConfig");
    StreamProcessor processor = StreamProcessor.start(processorConfig);
    try {
      return new Pipeline(stack, processor, ClickHouseSink.start(sinkConfig));
    } catch (RuntimeException e) {
      processor.close();
      throw e;
    }
  }

  /**
   * The processor's settings as its own launcher reads them ({@link ProcessorConfig#fromEnv}:
   * detectors, liveness timeouts, webhooks, topic prefix, Kafka properties), for the stack's
   * servers.
   *
   * @param defaultStateDir the state directory unless {@code RUNSTREAM_STATE_DIR} names one
   * @throws IllegalArgumentException naming the environment variable that is wrong
   */
  public static ProcessorConfig processorConfig(
      LocalStack stack, ConfigProperties env, Path defaultStateDir) {
    return ProcessorConfig.forServers(
        env, stack.kafkaBootstrap(), stack.schemaRegistryUrl(), defaultStateDir);
  }

  /**
   * The sink's settings as its own launcher reads them ({@link SinkConfig#fromEnv}: batch sizes,
   * topic prefix, team, Kafka properties), for the stack's servers.
   *
   * @throws IllegalArgumentException naming the environment variable that is wrong
   */
  public static SinkConfig sinkConfig(LocalStack stack, ConfigProperties env) {
    return SinkConfig.forServers(
        env, stack.kafkaBootstrap(), stack.schemaRegistryUrl(), stack.clickhouseUrl());
  }

  public LocalStack stack() {
    return stack;
  }

  public ClickHouseSink sink() {
    return sink;
  }

  /** Stops the sink (flushing what it holds) and the processor. Idempotent. */
  @Override
  public void close() {
    try {
      sink.close();
    } finally {
      processor.close();
    }
  }
}
