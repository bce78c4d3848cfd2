package dev.runstream.sdk.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * System metrics sampled once per interval for every run of the process that shares a run directory
 * parent and the GPU setting: runs ask at their own (randomly offset) times, and a sample younger
 * than half the interval is handed out again instead of reading the machine (and starting {@code
 * nvidia-smi}) once per run. Process counters ("since init") count from the first run's init.
 * Thread-safe.
 */
final class SharedSampler {
  private static final Map<String, SharedSampler> SAMPLERS = new ConcurrentHashMap<>();

  private final SystemMetrics metrics;
  private final long maxAgeNanos;
  private long sampledAt;
  private Map<String, Double> last;

  private SharedSampler(SystemMetrics metrics, Duration interval) {
    this.metrics = metrics;
    this.maxAgeNanos = interval.toNanos() / 2;
  }

  static SharedSampler of(Path directory, boolean gpus, Duration interval) {
    String key = directory.toAbsolutePath() + "|" + gpus + "|" + interval.toMillis();
    return SAMPLERS.computeIfAbsent(
        key, k -> new SharedSampler(new SystemMetrics(directory, gpus), interval));
  }

  synchronized Map<String, Double> sample() {
    long now = System.nanoTime();
    if (last == null || now - sampledAt > maxAgeNanos) {
      last = metrics.sample();
      sampledAt = now;
    }
    return last;
  }
}
