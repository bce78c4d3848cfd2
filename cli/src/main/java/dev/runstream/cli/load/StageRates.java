package dev.runstream.cli.load;

/**
 * Points per second at each stage over some interval.
 *
 * @param accepted points per second {@code log()} took
 * @param inKafka points per second appended to the metrics topic
 * @param counted points per second the stream processor counted
 * @param written points per second the sink wrote to ClickHouse
 */
public record StageRates(double accepted, double inKafka, double counted, double written) {
  /** The rates between two samples {@code nanos} apart; zero rates for an empty interval. */
  public static StageRates between(StageCounts from, StageCounts to, long nanos) {
    if (nanos <= 0) {
      return new StageRates(0, 0, 0, 0);
    }
    StageCounts d = to.minus(from);
    double seconds = nanos / 1e9;
    return new StageRates(
        d.accepted() / seconds,
        d.inKafka() / seconds,
        d.counted() / seconds,
        d.written() / seconds);
  }
}
