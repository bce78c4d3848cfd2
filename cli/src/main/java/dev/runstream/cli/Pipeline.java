package dev.runstream.cli;

import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.ProcessorConfig;
import dev.runstream.processor.StreamProcessor;
import dev.runstream.sink.ClickHouseSink;
import dev.runstream.sink.SinkConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

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
    return start(stack, Map.of(), stateDir, UnaryOperator.identity());
  }

  /**
   * Starts the processor and the sink against {@code stack}, configured from {@code env} as their
   * own launchers are ({@link ProcessorConfig#fromEnv}, {@link SinkConfig#fromEnv}: detectors,
   * liveness timeouts, webhooks, batch sizes, topic prefix), with the stack's servers. Blocks until
   * both have started.
   *
   * @param defaultStateDir the processor's state directory unless {@code RUNSTREAM_STATE_DIR} says
   * @param adjust changes to the processor's settings after the environment's
   * @throws IllegalArgumentException naming the environment variable that is wrong
   */
  public static Pipeline start(
      LocalStack stack,
      Map<String, String> env,
      Path defaultStateDir,
      UnaryOperator<ProcessorConfig> adjust) {
    Objects.requireNonNull(stack, "stack");
    Map<String, String> settings = new HashMap<>(env);
    settings.put(SinkConfig.ENV_KAFKA_BOOTSTRAP, stack.kafkaBootstrap());
    settings.put(SinkConfig.ENV_SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    settings.put(SinkConfig.ENV_CLICKHOUSE_URL, stack.clickhouseUrl());
    settings.putIfAbsent("RUNSTREAM_STATE_DIR", defaultStateDir.toString());
    ProcessorConfig processorConfig = adjust.apply(ProcessorConfig.fromEnv(settings));
    SinkConfig sinkConfig = SinkConfig.fromEnv(settings);
    StreamProcessor processor = StreamProcessor.start(processorConfig);
    try {
      return new Pipeline(stack, processor, ClickHouseSink.start(sinkConfig));
    } catch (RuntimeException e) {
      processor.close();
      throw e;
    }
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
