package dev.runstream.cli;

import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.ProcessorConfig;
import dev.runstream.processor.StreamProcessor;
import dev.runstream.sink.ClickHouseSink;
import dev.runstream.sink.SinkConfig;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The processing side of runstream running in this JVM against a stack's servers: the stream
 * processor and the ClickHouse sink. Training jobs only need Kafka and the registry.
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
   * Starts the processor and the sink against {@code stack}; blocks until both have started (the
   * sink has created its tables).
   *
   * @param stateDir where the processor keeps its state stores
   */
  public static Pipeline start(LocalStack stack, Path stateDir) {
    Objects.requireNonNull(stack, "stack");
    StreamProcessor processor =
        StreamProcessor.start(
            ProcessorConfig.of(stack.kafkaBootstrap(), stack.schemaRegistryUrl(), stateDir));
    try {
      ClickHouseSink sink =
          ClickHouseSink.start(
              SinkConfig.builder()
                  .bootstrapServers(stack.kafkaBootstrap())
                  .schemaRegistryUrl(stack.schemaRegistryUrl())
                  .clickHouseUrl(stack.clickhouseUrl())
                  .build());
      return new Pipeline(stack, processor, sink);
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
