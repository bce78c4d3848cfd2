package dev.runstream.processor.internal;

import dev.runstream.schemas.SchemaRegistryException;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a record that cannot be deserialized to the dead-letter topic and continues, as {@link
 * LogAndContinueExceptionHandler} does, unless the reason is that the schema registry could not be
 * asked: no answer, or any refusal but "no such schema" (404). Then the record is probably fine,
 * and dead-lettering it would drop valid data for the length of an outage (after a restart, when no
 * schema is cached yet, every record); instead the stream thread fails after a pause of {@value
 * #PAUSE_MS} ms, is replaced, and reads the record again from the last commit.
 *
 * <p>Configured by class name ({@code default.deserialization.exception.handler}); thread-safe.
 */
public final class RegistryAwareDeserializationHandler implements DeserializationExceptionHandler {
  /** Pause before failing the thread, so an outage does not spin rebalances. */
  public static final long PAUSE_MS = 2000;

  private static final Logger log =
      LoggerFactory.getLogger(RegistryAwareDeserializationHandler.class);

  private final LogAndContinueExceptionHandler deadLetters = new LogAndContinueExceptionHandler();
  private final Duration pause;

  /** The handler Kafka Streams creates, pausing {@value #PAUSE_MS} ms before failing. */
  public RegistryAwareDeserializationHandler() {
    this(Duration.ofMillis(PAUSE_MS));
  }

  RegistryAwareDeserializationHandler(Duration pause) {
    this.pause = pause;
  }

  @Override
  public void configure(Map<String, ?> configs) {
    deadLetters.configure(configs);
  }

  @Override
  public Response handleError(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    SchemaRegistryException unavailable = registryUnavailable(exception);
    if (unavailable == null) {
      return deadLetters.handleError(context, record, exception);
    }
    log.warn(
        "cannot read record {} of {}-{} while the schema registry is unavailable ({}); failing"
            + " the stream thread in {} ms to read it again rather than dead-letter it",
        context.offset(),
        context.topic(),
        context.partition(),
        unavailable.getMessage(),
        pause.toMillis());
    try {
      Thread.sleep(pause.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return Response.fail();
  }

  /** The registry failure behind {@code e} unless it is absent or says "no such schema". */
  static SchemaRegistryException registryUnavailable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SchemaRegistryException registry) {
        return registry.status() == 404 ? null : registry;
      }
    }
    return null;
  }
}
