package dev.runstream.sink.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's one retry loop: at most {@code maxAttempts} tries, exponential backoff with equal
 * jitter (half the backoff fixed, half random, so many sinks that failed together do not retry in
 * lockstep), and only for failures {@link ErrorClassifier} calls {@link
 * ErrorClassifier.Action#RETRY}. The operation must be repeatable: inserts rebuild their input
 * stream from the batch's bytes on every attempt.
 *
 * <p>Thread-safe; blocks the calling thread while backing off.
 */
public final class Retry {
  /** An action that may fail. */
  @FunctionalInterface
  public interface Operation {
    void run() throws Exception;
  }

  /** Waits between attempts; tests substitute one that records instead of sleeping. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  private static final Logger log = LoggerFactory.getLogger(Retry.class);

  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Sleeper sleeper;
  private final DoubleSupplier random;
  private final Runnable onRetry;

  public Retry(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    this(
        maxAttempts,
        initialBackoff,
        maxBackoff,
        d -> Thread.sleep(d.toMillis()),
        () -> ThreadLocalRandom.current().nextDouble(),
        () -> {});
  }

  public Retry(
      int maxAttempts,
      Duration initialBackoff,
      Duration maxBackoff,
      Sleeper sleeper,
      DoubleSupplier random,
      Runnable onRetry) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
    }
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff");
    }
    this.maxAttempts = maxAttempts;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    this.random = Objects.requireNonNull(random, "random");
    this.onRetry = Objects.requireNonNull(onRetry, "onRetry");
  }

  /** The same policy counting each retry with {@code onRetry}. */
  public Retry withOnRetry(Runnable onRetry) {
    return new Retry(maxAttempts, initialBackoff, maxBackoff, sleeper, random, onRetry);
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public Duration maxBackoff() {
    return maxBackoff;
  }

  /**
   * Runs {@code operation} until it succeeds, fails with a non-retryable error, or used every
   * attempt; then rethrows the last failure. An interrupt while backing off stops at once, with the
   * interrupt flag set again.
   */
  public void run(String what, Operation operation) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        operation.run();
        return;
      } catch (Exception e) {
        if (attempt >= maxAttempts || ErrorClassifier.classify(e) != ErrorClassifier.Action.RETRY) {
          throw e;
        }
        Duration wait = backoff(attempt);
        log.warn(
            "{} failed (attempt {} of {}), retrying in {} ms: {}",
            what,
            attempt,
            maxAttempts,
            wait.toMillis(),
            ErrorClassifier.reason(e));
        onRetry.run();
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          e.addSuppressed(ie);
          throw e;
        }
      }
    }
  }

  /** The wait after failed attempt {@code attempt} (1-based): in [base/2, base]. */
  public Duration backoff(int attempt) {
    long initial = initialBackoff.toMillis();
    long cap = maxBackoff.toMillis();
    long base = initial;
    for (int i = 1; i < attempt && base < cap; i++) {
      base *= 2;
    }
    base = Math.min(base, cap);
    long half = base / 2;
    return Duration.ofMillis(half + (long) (random.getAsDouble() * (base - half)));
  }
}
