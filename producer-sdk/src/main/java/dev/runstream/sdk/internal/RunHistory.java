package dev.runstream.sdk.internal;

import java.util.Map;

/**
 * What Kafka holds of one run, as a {@link KafkaRunLookup} found it.
 *
 * @param outcome whether the run was found, and if not, whether that is known
 * @param lastStep the highest step the run logged (from its metric batches, heartbeats, finish and
 *     resume events); -1 when none was found
 * @param lastSequence the highest sequence of the run's records that were read; -1 when none
 * @param name the run's display name from its {@code RunStarted} event or its summary; null when
 *     not looked for or not found
 * @param entity the team named in the run's newest lifecycle event; null when none was read
 * @param project the project named in the run's newest lifecycle event; null when none was read
 * @param complete whether every topic was read back far enough: false when the time budget ran out
 *     first, so that {@code lastStep} and {@code lastSequence} are lower bounds only
 * @param recordsRead records read from all partitions
 * @param detail for the messages: what was read, what was not finished, or why Kafka could not be
 *     asked
 * @param highestByKind per topic (by the kind of record sent there), the highest sequence of the
 *     run's records read there; a kind is absent when none was read. A lower bound when the scan
 *     was not complete. {@link AlreadyInKafka} turns it into what need not be sent again
 */
record RunHistory(
    Outcome outcome,
    long lastStep,
    long lastSequence,
    String name,
    String entity,
    String project,
    boolean complete,
    long recordsRead,
    String detail,
    Map<RecordKind, Long> highestByKind) {

  RunHistory {
    highestByKind = Map.copyOf(highestByKind);
  }

  /** A history without per-topic sequences (none read). */
  RunHistory(
      Outcome outcome,
      long lastStep,
      long lastSequence,
      String name,
      String entity,
      String project,
      boolean complete,
      long recordsRead,
      String detail) {
    this(
        outcome,
        lastStep,
        lastSequence,
        name,
        entity,
        project,
        complete,
        recordsRead,
        detail,
        Map.of());
  }

  /** What the lookup could establish. */
  enum Outcome {
    /** Records of the run are in Kafka. */
    FOUND,
    /** The run's lifecycle partition was read to its start without a record of the run. */
    ABSENT,
    /** Kafka answered, but the time budget ran out before the run was found or ruled out. */
    UNKNOWN,
    /** Kafka did not answer within the time budget (or refused the consumer). */
    UNREACHABLE
  }

  static RunHistory unreachable(String detail) {
    return new RunHistory(Outcome.UNREACHABLE, -1, -1, null, null, null, false, 0, detail);
  }

  boolean found() {
    return outcome == Outcome.FOUND;
  }
}
