package dev.runstream.sdk.internal;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks {@code nvidia-smi} for one GPU sample per call, riding out calls that fail: a busy GPU host
 * answers slowly now and then, and one lost sample must not cost the rest of the run its GPU
 * metrics.
 *
 * <table>
 *   <caption>What one call's outcome does</caption>
 *   <tr><th>outcome</th><th>sample</th><th>next call</th><th>logged</th></tr>
 *   <tr><td>answered</td><td>the GPU metrics</td><td>next sample; failures reset</td>
 *       <td>DEBUG if it had failed before</td></tr>
 *   <tr><td>failed, timed out or not started, fewer than {@link #MAX_FAILURES} times in a row</td>
 *       <td>none</td><td>after a backoff of {@link #INITIAL_BACKOFF} doubling up to
 *       {@link #MAX_BACKOFF}, with jitter; samples before then have no GPU metrics</td>
 *       <td>DEBUG</td></tr>
 *   <tr><td>the {@link #MAX_FAILURES}th failure in a row</td><td>none</td>
 *       <td>never: GPU metrics are off for this run</td><td>one WARN with the last reason</td></tr>
 *   <tr><td>interrupted (the run is shutting down)</td><td>none</td>
 *       <td>next sample; not counted as a failure</td><td>nothing</td></tr>
 * </table>
 *
 * <p>The backoff is waited out between samples rather than slept, because the sampling thread also
 * sends the run's heartbeats. Called from one scheduler thread; not thread-safe.
 */
final class GpuSampler {
  /** How long one {@code nvidia-smi} call may take. */
  static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** Failures in a row after which GPU metrics are off for the run. */
  static final int MAX_FAILURES = 5;

  /** The backoff after the first failure; it doubles with every further failure in a row. */
  static final Duration INITIAL_BACKOFF = Duration.ofSeconds(1);

  /** The longest backoff between two calls. */
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /** Runs one command; the real one is {@link Commands#execute}, tests substitute a script. */
  @FunctionalInterface
  interface Runner {
    Commands.Result run(List<String> command, Duration timeout);
  }

  private static final Logger log = LoggerFactory.getLogger(GpuSampler.class);

  private final Runner runner;
  private final LongSupplier nanoClock;
  private final DoubleSupplier random;
  private int failures;
  private long notBeforeNanos;
  private boolean off;

  /** A sampler that runs the real {@code nvidia-smi}. */
  GpuSampler() {
    this(
        (command, timeout) -> Commands.execute(command, null, timeout),
        System::nanoTime,
        () -> ThreadLocalRandom.current().nextDouble());
  }

  /**
   * @param runner runs {@code nvidia-smi}
   * @param nanoClock a monotonic clock in nanoseconds, like {@link System#nanoTime()}
   * @param random numbers in [0, 1) that spread the backoff
   */
  GpuSampler(Runner runner, LongSupplier nanoClock, DoubleSupplier random) {
    this.runner = Objects.requireNonNull(runner, "runner");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.random = Objects.requireNonNull(random, "random");
  }

  /**
   * The GPU metrics of one {@code nvidia-smi} call ({@link NvidiaSmi#parseSample}), or an empty map
   * when this sample has none: the call failed, a backoff is being waited out, or GPU metrics are
   * off. Blocks for at most {@link #TIMEOUT}.
   */
  Map<String, Double> sample() {
    if (off || nanoClock.getAsLong() - notBeforeNanos < 0) {
      return Map.of();
    }
    Commands.Result result = runner.run(NvidiaSmi.SAMPLE_COMMAND, TIMEOUT);
    switch (result.outcome()) {
      case OK -> {
        if (failures > 0) {
          log.debug("nvidia-smi answered again after {} failed calls", failures);
          failures = 0;
        }
        return NvidiaSmi.parseSample(result.output());
      }
      case INTERRUPTED -> {
        // The run is finishing and stopped its sampling thread: not a failure of nvidia-smi.
        return Map.of();
      }
      default -> {
        failures++;
        String reason = result.describe(TIMEOUT);
        if (failures >= MAX_FAILURES) {
          off = true;
          log.warn(
              "nvidia-smi {} ({} calls in a row failed); GPU metrics are off for this run",
              reason,
              failures);
        } else {
          Duration wait = backoff(failures);
          notBeforeNanos = nanoClock.getAsLong() + wait.toNanos();
          log.debug(
              "nvidia-smi {} (failure {} of {}); asking again in {} ms",
              reason,
              failures,
              MAX_FAILURES,
              wait.toMillis());
        }
        return Map.of();
      }
    }
  }

  /** Whether GPU metrics are off for the rest of the run. */
  boolean off() {
    return off;
  }

  /**
   * The wait after failure {@code failure} (1-based) in a row: equal jitter, half of {@code
   * min(INITIAL_BACKOFF * 2^(failure-1), MAX_BACKOFF)} fixed and half random, so that the jobs of a
   * host that stalled together do not ask again in lockstep.
   */
  Duration backoff(int failure) {
    long base = INITIAL_BACKOFF.toMillis() << Math.min(failure - 1, 20);
    base = Math.min(base, MAX_BACKOFF.toMillis());
    long half = base / 2;
    return Duration.ofMillis(half + (long) (random.getAsDouble() * (base - half)));
  }
}
