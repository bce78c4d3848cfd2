package dev.runstream.sdk.internal;

import dev.runstream.schemas.config.KafkaAccessErrors;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the runs of one producer learned about Kafka, logged once per change of condition rather
 * than once per run or refusal: reachable and keeping up, slow (records wait long for their
 * acknowledgement, but Kafka takes them), or unreachable (the producer cannot hand records over: no
 * metadata or a full buffer within {@code max.block.ms}). Thread-safe.
 */
final class KafkaHealth {
  private static final Logger log = LoggerFactory.getLogger(KafkaHealth.class);

  /** How long the oldest record may wait for its acknowledgement before Kafka counts as slow. */
  static final long SLOW_NANOS = TimeUnit.SECONDS.toNanos(5);

  enum Condition {
    OK,
    SLOW,
    UNREACHABLE
  }

  private final String where;

  /** How long no run may have reported trouble before the condition counts as over. */
  static final long CALM_NANOS = TimeUnit.SECONDS.toNanos(10);

  private volatile Condition condition = Condition.OK;
  private long lastTroubleNanos;

  /**
   * @param where how to name the cluster in messages, e.g. "Kafka at host:9092"
   */
  KafkaHealth(String where) {
    this.where = where;
  }

  Condition condition() {
    return condition;
  }

  /** The producer refused a record at once: it cannot reach Kafka (or its buffer is full). */
  synchronized void refused(String runId, long sequence, Throwable cause, String directory) {
    lastTroubleNanos = System.nanoTime();
    if (condition == Condition.UNREACHABLE) {
      return;
    }
    condition = Condition.UNREACHABLE;
    Optional<String> denied = KafkaAccessErrors.explain(cause, "WRITE");
    if (denied.isPresent()) {
      // Not a network problem that passes: nothing is sent until the ACLs or credentials change.
      log.error(
          "{}; records of run {} from sequence {} (and of other runs of this process) wait in their"
              + " run directories, such as {}, and are sent when Kafka lets them in",
          denied.get(),
          runId,
          sequence,
          directory);
      return;
    }
    log.warn(
        "cannot reach {}: {}; records of run {} from sequence {} (and of other runs of this"
            + " process) wait in their run directories, such as {}, and are sent when it answers",
        where,
        cause == null ? "the producer refused a record" : cause.toString(),
        runId,
        sequence,
        directory);
  }

  /** Records have waited for their acknowledgement longer than {@link #SLOW_NANOS}. */
  synchronized void slow(String runId, long records, long waitedNanos) {
    lastTroubleNanos = System.nanoTime();
    if (condition != Condition.OK) {
      return;
    }
    condition = Condition.SLOW;
    log.warn(
        "Kafka is slow: {} records of run {} waiting for acknowledgement for {} s (it takes them;"
            + " they are safe in the run directory meanwhile)",
        records,
        runId,
        TimeUnit.NANOSECONDS.toSeconds(waitedNanos));
  }

  /**
   * A run's records are acknowledged without a long wait; the condition is over once no run
   * reported trouble for {@link #CALM_NANOS} (runs check at different times: one run's good news
   * must not end a condition another run still sees).
   */
  synchronized void keepingUp() {
    if (condition == Condition.OK || System.nanoTime() - lastTroubleNanos < CALM_NANOS) {
      return;
    }
    log.info(
        "{} {}",
        where,
        condition == Condition.UNREACHABLE ? "is reachable again" : "keeps up again");
    condition = Condition.OK;
  }
}
