package dev.runstream.cli.load;

/**
 * When the steps of a load are due: {@code ticksPerSecond} ticks from an anchor time, each tick one
 * step of every run. A generator that falls behind (a pause, a slow {@code log()}) catches up from
 * the deadlines rather than drifting, so the rate it reaches is the rate asked for or an honest
 * shortfall. Immutable; a new rate is a new pacer.
 *
 * @param anchorNanos when tick 0 is due ({@link System#nanoTime})
 * @param ticksPerSecond ticks per second, positive
 */
public record Pacer(long anchorNanos, double ticksPerSecond) {
  public Pacer {
    if (!(ticksPerSecond > 0)) {
      throw new IllegalArgumentException("ticksPerSecond must be positive: " + ticksPerSecond);
    }
  }

  /** The pacer for {@code pointsPerSecond} over {@code runs} runs of {@code metrics} metrics. */
  public static Pacer forRate(long anchorNanos, double pointsPerSecond, int runs, int metrics) {
    return new Pacer(anchorNanos, pointsPerSecond / ((double) runs * metrics));
  }

  /** How many ticks are due by {@code nanos}: tick k is due at anchor + k / ticksPerSecond. */
  public long due(long nanos) {
    if (nanos < anchorNanos) {
      return 0;
    }
    return (long) Math.floor((nanos - anchorNanos) / 1e9 * ticksPerSecond) + 1;
  }

  /** When tick {@code tick} is due. */
  public long deadline(long tick) {
    return anchorNanos + (long) Math.ceil(tick * 1e9 / ticksPerSecond);
  }
}
