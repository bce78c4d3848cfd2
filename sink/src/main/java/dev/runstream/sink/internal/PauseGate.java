package dev.runstream.sink.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * When the sink's consumer may fetch: never during a backoff after a transient failure, never while
 * a failed write waits to succeed ({@link #block()} until {@link #unblock()}), and never while the
 * writer is behind (the caller says so: both batches full). Closed, it pauses every assigned
 * partition; open, it resumes them, so nothing is buffered without bound while ClickHouse or the
 * registry is away.
 *
 * <p>Not thread-safe: the consumer thread owns it, as it owns the consumer.
 */
final class PauseGate {
  private final Consumer<?, ?> consumer;
  private final Duration backoff;
  private final LongSupplier nanoTime;
  private long backoffUntilNanos;
  private boolean blocked;

  PauseGate(Consumer<?, ?> consumer, Duration backoff, LongSupplier nanoTime) {
    this.consumer = Objects.requireNonNull(consumer, "consumer");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.backoffUntilNanos = nanoTime.getAsLong();
  }

  /** The pause after each failure. */
  Duration backoff() {
    return backoff;
  }

  /** Starts a backoff: closed for {@link #backoff()} from now. */
  void backOff() {
    backoffUntilNanos = nanoTime.getAsLong() + backoff.toNanos();
  }

  /** A write failed: closed until {@link #unblock()}, and backing off from now. */
  void block() {
    blocked = true;
    backOff();
  }

  /** The failed write succeeded, or was given up: open again once the backoff is over. */
  void unblock() {
    blocked = false;
  }

  /** Whether a failed write waits to succeed. */
  boolean blocked() {
    return blocked;
  }

  /** Whether a backoff is running. */
  boolean backingOff() {
    return nanoTime.getAsLong() - backoffUntilNanos < 0;
  }

  /** What is left of the backoff, in milliseconds; zero when none runs. */
  long backoffLeftMillis() {
    return TimeUnit.NANOSECONDS.toMillis(Math.max(0, backoffUntilNanos - nanoTime.getAsLong()));
  }

  /** Whether nothing may be fetched; {@code writerBehind}: both batches full. */
  boolean closed(boolean writerBehind) {
    return blocked || backingOff() || writerBehind;
  }

  /** Pauses every assigned partition while {@link #closed}, resumes them after. */
  void apply(boolean writerBehind) {
    Set<TopicPartition> assigned = consumer.assignment();
    if (closed(writerBehind)) {
      if (!consumer.paused().containsAll(assigned)) {
        consumer.pause(assigned);
      }
    } else if (!consumer.paused().isEmpty()) {
      consumer.resume(consumer.paused());
    }
  }

  /** Newly assigned partitions start paused while {@link #closed}. */
  void assigned(Collection<TopicPartition> partitions, boolean writerBehind) {
    if (closed(writerBehind)) {
      consumer.pause(partitions);
    }
  }
}
