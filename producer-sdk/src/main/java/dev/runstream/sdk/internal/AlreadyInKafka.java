package dev.runstream.sdk.internal;

import java.util.Arrays;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Which records of a run directory's journal Kafka already holds, by what a {@link KafkaRunLookup}
 * read back of the run: per topic, the highest sequence of the run found there. A sync, and a
 * resumed run replaying its journal, skip those records instead of sending them again, so that a
 * run killed before it recorded Kafka's acknowledgements ({@link RunDirectory}'s {@code acked})
 * does not leave duplicates the processor cannot recognise (it drops a replayed sequence only near
 * the highest one it has seen).
 *
 * <p>Why "at or below the highest sequence found in the topic" means "in Kafka": the run's records
 * are sent in sequence order ({@link RecordPipeline}, {@link Syncer}), each topic's by one
 * idempotent producer at a time, and the producer's first record to a partition goes alone ({@link
 * Delivery}'s first-record gate); the idempotent producer writes a partition in send order without
 * gaps, so when Kafka holds a record of the run in a topic, it holds every record of that topic
 * sent before it. It is per topic: records of different topics are acknowledged independently, so a
 * lower sequence of one topic may be missing while a higher one of another arrived.
 *
 * <p>Where the order breaks: when a send fails for good (after the producer's own retries) while
 * later records of the same topic were in flight, those later ones may be in Kafka and the failed
 * one not; it is sent again after them, by a new producer. Every sequence up to the highest handed
 * to the failed producer is then out of order in Kafka, and the run directory's {@code reordered}
 * mark says so ({@link RunDirectory#writeReordered}): at or below it, Kafka's order proves nothing
 * and nothing is skipped by it (the acknowledgement mark and the recovery's own bookkeeping still
 * apply). Records sent after the recovery are in order again.
 *
 * <p>Immutable.
 */
final class AlreadyInKafka {
  /** Nothing is known to be in Kafka: every record after the acknowledgement mark is sent. */
  static final AlreadyInKafka NOTHING = new AlreadyInKafka(new long[0], Long.MAX_VALUE);

  // By RecordKind ordinal; -1 where no record of the run was found.
  private final long[] highest;
  private final long reorderedThrough;

  private AlreadyInKafka(long[] highest, long reorderedThrough) {
    this.highest = highest;
    this.reorderedThrough = reorderedThrough;
  }

  /**
   * @param history what the lookup found, or null when Kafka was not asked
   * @param reorderedThrough the run directory's {@code reordered} mark: the highest sequence whose
   *     order in Kafka may be broken, -1 when none
   */
  static AlreadyInKafka of(RunHistory history, long reorderedThrough) {
    if (history == null || !history.found() || history.highestByKind().isEmpty()) {
      return NOTHING;
    }
    long[] highest = new long[RecordKind.values().length];
    Arrays.fill(highest, -1);
    for (Map.Entry<RecordKind, Long> e : history.highestByKind().entrySet()) {
      highest[e.getKey().ordinal()] = e.getValue();
    }
    return new AlreadyInKafka(highest, reorderedThrough);
  }

  /** Whether Kafka holds the record of {@code kind} with {@code sequence}. */
  boolean holds(RecordKind kind, long sequence) {
    return sequence > reorderedThrough
        && kind.ordinal() < highest.length
        && sequence <= highest[kind.ordinal()];
  }

  /** Whether any record can be {@link #holds held}. */
  boolean any() {
    return this != NOTHING;
  }

  @Override
  public String toString() {
    if (!any()) {
      return "nothing";
    }
    StringJoiner s = new StringJoiner(", ", "highest sequence per topic: ", "");
    for (RecordKind kind : RecordKind.values()) {
      s.add(kind.name().toLowerCase(java.util.Locale.ROOT) + " " + highest[kind.ordinal()]);
    }
    return reorderedThrough < 0 ? s.toString() : s + "; out of order through " + reorderedThrough;
  }
}
