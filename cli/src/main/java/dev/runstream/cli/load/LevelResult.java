package dev.runstream.cli.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One level of a load: a target rate held for a while, what each stage did, and whether the
 * pipeline sustained it.
 *
 * @param targetRate points per second asked for
 * @param rates points per second at each stage over the level
 * @param latencies log-to-queryable latencies of the level (steps still waited for at its end count
 *     with the time they had waited)
 * @param backlog points accepted but not written at the end of the level
 * @param failures why the level was not sustained; empty when it was
 */
public record LevelResult(
    double targetRate, StageRates rates, Latencies latencies, long backlog, List<String> failures) {

  /** The p99 a sustained level stays under: {@value #MAX_P99_MILLIS} ms. */
  public static final long MAX_P99_MILLIS = 2000;

  /** The share of the target rate the generator must reach for a level to count. */
  public static final double MIN_ACCEPTED_SHARE = 0.9;

  public LevelResult {
    failures = List.copyOf(failures);
  }

  /**
   * Judges a level. It is sustained when the generator kept (nearly) the pace, at least one latency
   * was measured, p99 stays under {@link #MAX_P99_MILLIS}, and the sink ended the level at most
   * that long behind (a backlog of at most 2 s of the target rate): a pipeline that merely buffers
   * the load does not keep up.
   */
  public static LevelResult judge(
      double targetRate, StageRates rates, Latencies latencies, long backlog) {
    List<String> failures = new ArrayList<>();
    if (rates.accepted() < MIN_ACCEPTED_SHARE * targetRate) {
      failures.add(
          String.format(
              Locale.ROOT,
              "the generator reached only %,.0f of %,.0f points/s",
              rates.accepted(),
              targetRate));
    }
    if (latencies.count() == 0) {
      failures.add("no latency measured");
    } else if (latencies.p99Nanos() >= Duration.ofMillis(MAX_P99_MILLIS).toNanos()) {
      failures.add(
          String.format(
              Locale.ROOT,
              "p99 %.2f s >= %.1f s",
              latencies.p99Nanos() / 1e9,
              MAX_P99_MILLIS / 1000.0));
    }
    double allowedBacklog = targetRate * MAX_P99_MILLIS / 1000.0;
    if (backlog > allowedBacklog) {
      failures.add(
          String.format(
              Locale.ROOT,
              "the sink ended %,d points behind (more than %.0f s of load)",
              backlog,
              MAX_P99_MILLIS / 1000.0));
    }
    return new LevelResult(targetRate, rates, latencies, backlog, failures);
  }

  /** Whether the pipeline sustained the level. */
  public boolean sustained() {
    return failures.isEmpty();
  }
}
