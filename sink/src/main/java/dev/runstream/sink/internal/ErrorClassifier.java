package dev.runstream.sink.internal;

import com.clickhouse.client.api.ClickHouseException;
import com.clickhouse.client.api.ServerException;
import dev.runstream.schemas.SchemaRegistryException;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The one place that decides what a failure means: {@link Action#RETRY} when the same work may
 * succeed later unchanged (a server down, slow, overloaded, or misconfigured in a way an operator
 * fixes without touching the data), {@link Action#DEAD_LETTER} when the data itself is the problem
 * and retrying would only stall the pipeline.
 *
 * <p>Stateless and thread-safe.
 */
public final class ErrorClassifier {
  /** What to do with the work that failed. */
  public enum Action {
    RETRY,
    DEAD_LETTER
  }

  /**
   * ClickHouse error codes that say nothing about the data: timeouts, network, memory and load
   * limits, read-only replicas, too many parts; and access or missing-table errors, which an
   * operator fixes (dead-lettering a whole batch for a dropped table would lose nothing but time to
   * replay, yet it would flood the dead-letter topic).
   */
  static final Set<Integer> RETRYABLE_CLICKHOUSE_CODES =
      Set.of(
          3, // UNEXPECTED_END_OF_FILE
          60, // UNKNOWN_TABLE
          81, // UNKNOWN_DATABASE
          159, // TIMEOUT_EXCEEDED
          164, // READONLY
          192, // UNKNOWN_USER
          193, // WRONG_PASSWORD
          202, // TOO_MANY_SIMULTANEOUS_QUERIES
          203, // NO_FREE_CONNECTION
          209, // SOCKET_TIMEOUT
          210, // NETWORK_ERROR
          241, // MEMORY_LIMIT_EXCEEDED
          242, // TABLE_IS_READ_ONLY
          252, // TOO_MANY_PARTS
          285, // TOO_FEW_LIVE_REPLICAS
          319, // UNKNOWN_STATUS_OF_INSERT
          425, // SYSTEM_ERROR
          497, // ACCESS_DENIED
          516, // AUTHENTICATION_FAILED
          999, // KEEPER_EXCEPTION
          1000 // POCO_EXCEPTION
          );

  private ErrorClassifier() {}

  public static Action classify(Throwable failure) {
    // A registry that cannot answer says nothing about the record; one that answers "no such
    // schema" (404) does: the record names a schema that does not exist.
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SchemaRegistryException sre) {
        int status = sre.status();
        boolean transientStatus = status < 0 || status == 408 || status == 429 || status >= 500;
        return transientStatus ? Action.RETRY : Action.DEAD_LETTER;
      }
    }
    // Undecodable bytes: an EOFException inside must not make a truncated record look transient.
    if (failure instanceof SerializationException) {
      return Action.DEAD_LETTER;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ServerException se) {
        if (RETRYABLE_CLICKHOUSE_CODES.contains(se.getCode())) {
          return Action.RETRY;
        }
        int http = se.getTransportProtocolCode();
        boolean gateway = http == 502 || http == 503 || http == 504 || http == 429;
        return gateway || se.isRetryable() ? Action.RETRY : Action.DEAD_LETTER;
      }
      if (t instanceof ClickHouseException
          || t instanceof IOException
          || t instanceof TimeoutException
          || t instanceof RetriableException) {
        return Action.RETRY;
      }
    }
    return Action.DEAD_LETTER;
  }

  /** A one-line reason for logs and the dead-letter header. */
  public static String reason(Throwable failure) {
    String message = failure.getMessage();
    String text =
        failure.getClass().getSimpleName() + (message == null ? "" : ": " + message.strip());
    // Header values stay small; the full trace is in the log.
    return text.length() > 1000 ? text.substring(0, 1000) + "..." : text;
  }
}
