package dev.runstream.sdk;

/**
 * A snapshot of what a run did with the points logged to it. Counts metric points (one per
 * name-value pair of {@code log()}), not calls, and not system metrics or lifecycle events.
 *
 * <p>A resumed run ({@link Resume}) first delivers what its earlier process left unacknowledged in
 * the run directory: those points count in {@code sent} and {@code replayed} (not in {@code
 * accepted}), so {@code sent} may exceed {@code accepted} there.
 *
 * @param accepted points taken by {@code log()}
 * @param sent points Kafka acknowledged (each point once, whether sent live or replayed)
 * @param spilled points that were written only to the run directory because Kafka was unreachable,
 *     the sender was behind, or the run is offline; they are replayed (or synced) later
 * @param replayed points Kafka acknowledged after reading them back from the run directory
 * @param rejected points refused for an invalid name or value, or logged after {@code finish()}
 * @param durable points written to the run directory and forced to the storage device (fsync); a
 *     crash of the machine keeps at least these
 * @param lost points neither written to the run directory nor sent (the disk refused the write)
 */
public record RunCounters(
    long accepted, long sent, long spilled, long replayed, long rejected, long durable, long lost) {

  /** Points accepted but not (yet) acknowledged by Kafka: on disk for a later replay or sync. */
  public long unsent() {
    return Math.max(0, accepted - sent - lost);
  }
}
