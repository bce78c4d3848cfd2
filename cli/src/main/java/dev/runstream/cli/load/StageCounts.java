package dev.runstream.cli.load;

/**
 * Points that reached each stage of the pipeline so far, counted from the start of a load.
 *
 * @param accepted points {@code log()} took (the SDK's counters)
 * @param inKafka points in the metrics topic (records appended since the start x metrics per step)
 * @param counted points the stream processor counted (its run summaries)
 * @param written points the sink wrote to ClickHouse
 */
public record StageCounts(long accepted, long inKafka, long counted, long written) {
  /** Nothing yet. */
  public static final StageCounts ZERO = new StageCounts(0, 0, 0, 0);

  /** The points of each stage added since {@code earlier}. */
  public StageCounts minus(StageCounts earlier) {
    return new StageCounts(
        accepted - earlier.accepted,
        inKafka - earlier.inKafka,
        counted - earlier.counted,
        written - earlier.written);
  }

  /** Whether every later stage holds at least what was accepted. */
  public boolean caughtUp() {
    return inKafka >= accepted && counted >= accepted && written >= accepted;
  }

  /** Points accepted but not written yet: the pipeline's backlog. */
  public long backlog() {
    return Math.max(0, accepted - written);
  }
}
