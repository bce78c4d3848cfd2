package dev.runstream.cli.load;

import java.util.Arrays;

/**
 * Percentiles of log-to-queryable latencies, by the nearest-rank method.
 *
 * @param count how many latencies were measured
 * @param p50Nanos the median, or 0 when none was measured
 * @param p99Nanos the 99th percentile, or 0 when none was measured
 * @param maxNanos the largest, or 0 when none was measured
 */
public record Latencies(int count, long p50Nanos, long p99Nanos, long maxNanos) {
  /** No latency measured. */
  public static final Latencies NONE = new Latencies(0, 0, 0, 0);

  /** The percentiles of {@code nanos}, which is not changed. */
  public static Latencies of(long[] nanos) {
    if (nanos.length == 0) {
      return NONE;
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return new Latencies(
        sorted.length, percentile(sorted, 50), percentile(sorted, 99), sorted[sorted.length - 1]);
  }

  /**
   * The nearest-rank {@code p}th percentile of {@code sorted} (ascending, not empty): the smallest
   * value that at least {@code p} percent of the values do not exceed.
   */
  static long percentile(long[] sorted, double p) {
    if (p <= 0 || p > 100) {
      throw new IllegalArgumentException("p must be in (0, 100]: " + p);
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }
}
