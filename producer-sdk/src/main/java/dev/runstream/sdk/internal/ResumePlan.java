package dev.runstream.sdk.internal;

import dev.runstream.sdk.Mode;
import dev.runstream.sdk.Resume;
import dev.runstream.sdk.RunOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a run may start as its {@link Resume} policy asks, and where it continues: from its run
 * directory's journal ({@link #scan}), from what Kafka holds of it ({@link RunHistory}), and the
 * later of the two ({@link #merge}). Knows nothing of delivery; {@link KafkaRun#start} asks it once
 * per start.
 */
final class ResumePlan {
  private static final Logger log = LoggerFactory.getLogger(ResumePlan.class);

  /**
   * Where an earlier process of this run left off, from its run directory and from Kafka.
   *
   * @param ackedThrough the highest sequence through which the local journal needs no replay
   * @param resumed whether there was an earlier process at all
   */
  record Previous(
      long nextSequence, long nextStep, long ackedThrough, String name, boolean resumed) {
    static final Previous NONE = new Previous(0, 0, -1, null, false);
  }

  private final RunOptions options;
  private final String id;
  private final Path path;

  /**
   * @param id the run's id
   * @param path the run's directory, which may not exist yet
   */
  ResumePlan(RunOptions options, String id, Path path) {
    this.options = options;
    this.id = id;
    this.path = path;
  }

  /**
   * Enforces the resume policy against what the run directory and Kafka hold of the run; warns
   * where it lets a start go on without knowing enough.
   *
   * @param exists whether the run directory exists
   * @param kafka what Kafka holds of the run, or null when it was not asked
   * @throws IllegalStateException when the policy forbids this start
   */
  void check(boolean exists, RunHistory kafka) {
    Resume resume = options.resume();
    if (kafka == null) {
      if (!exists && resume == Resume.MUST) {
        throw new IllegalStateException(
            "run "
                + id
                + " cannot be resumed: there is no run directory "
                + path
                + (options.mode() == Mode.OFFLINE
                    ? " (an offline run is resumed from its run directory only)"
                    : options.mode() == Mode.ONLINE && options.resumeLookupTimeout().isZero()
                        ? " (and Kafka was not asked: resumeLookupTimeout is 0)"
                        : ""));
      }
      return;
    }
    String budget = "within resumeLookupTimeout " + options.resumeLookupTimeout();
    String kafkaAt = "Kafka at " + options.kafkaBootstrap();
    switch (resume) {
      case NEVER -> {
        if (kafka.found()) {
          throw new IllegalStateException(
              "run "
                  + id
                  + " already exists in Kafka (topics "
                  + options.topicPrefix()
                  + "*); resume it with Resume.ALLOW or choose another run id");
        }
        if (kafka.outcome() != RunHistory.Outcome.ABSENT) {
          log.warn(
              "runstream could not check {} that run id {} is new in {} ({}); starting it anyway."
                  + " If the id was used before, both runs' points are kept under it and the"
                  + " later sequence wins where their steps meet",
              budget,
              id,
              kafkaAt,
              kafka.detail());
        }
      }
      case MUST -> {
        switch (kafka.outcome()) {
          case FOUND -> {}
          case ABSENT -> {
            if (!exists) {
              throw new IllegalStateException(
                  "run "
                      + id
                      + " cannot be resumed: "
                      + kafkaAt
                      + " has no record of it in "
                      + options.topicPrefix()
                      + "runs, and there is no run directory "
                      + path);
            }
          }
          case UNKNOWN, UNREACHABLE -> {
            // With a run directory the run is known to exist and where it left off here is
            // known: a training job is not stopped by a Kafka blip; explain() warns instead.
            if (!exists) {
              throw new IllegalStateException(
                  "run "
                      + id
                      + " cannot be resumed: there is no run directory "
                      + path
                      + ", and "
                      + kafkaAt
                      + (kafka.outcome() == RunHistory.Outcome.UNREACHABLE
                          ? " could not be asked where the run left off "
                          : " gave no record of it ")
                      + budget
                      + " ("
                      + kafka.detail()
                      + "); raise resumeLookupTimeout (RUNSTREAM_RESUME_LOOKUP_TIMEOUT) or copy"
                      + " the run directory here");
            }
          }
        }
      }
      case ALLOW -> {}
    }
  }

  /** The later of where the run directory and Kafka say the run left off. */
  static Previous merge(Previous local, boolean localExists, RunHistory kafka) {
    if (kafka == null || !kafka.found()) {
      return local;
    }
    long nextSequence = Math.max(local.nextSequence(), kafka.lastSequence() + 1);
    long nextStep = Math.max(local.nextStep(), kafka.lastStep() + 1);
    // Without a run directory there is nothing to replay; with one, its own records after its
    // acknowledged mark are still sent first (they keep their lower sequences).
    long acked = localExists ? local.ackedThrough() : nextSequence - 1;
    String name = local.name() != null ? local.name() : kafka.name();
    return new Previous(nextSequence, nextStep, acked, name, true);
  }

  /**
   * Logs what the lookup leaves uncertain about this resumed (or new) run, and what follows.
   *
   * @param localExists whether the run directory existed before this start
   * @param name the display name this process gives the run
   * @param firstStep the step this process starts at
   * @param nextSequence the sequence of this process's first record
   */
  void explain(
      RunHistory kafka, boolean localExists, String name, long firstStep, long nextSequence) {
    String budget = "within resumeLookupTimeout " + options.resumeLookupTimeout();
    String kafkaAt = "Kafka at " + options.kafkaBootstrap();
    String where =
        localExists
            ? "continuing from the run directory " + path + " at step " + firstStep
            : "starting it at step 0 as a new run";
    switch (kafka.outcome()) {
      case FOUND -> {
        if (!kafka.complete()) {
          log.warn(
              "run {}: {} was not read back far enough {} ({}); continuing at step {} and"
                  + " sequence {}, after the newest records found. If the run had gone further,"
                  + " this process's points meet its earlier ones at the same steps downstream,"
                  + " where the higher sequence wins",
              id,
              kafkaAt,
              budget,
              kafka.detail(),
              firstStep,
              nextSequence);
        }
        if (options.name() == null && !localExists && kafka.name() == null) {
          log.info(
              "run {}: its display name was not found in Kafka {}; this process calls it {}, and"
                  + " what was stored downstream keeps the name it started with",
              id,
              budget,
              name);
        }
        if (kafka.project() != null && !kafka.project().equals(options.project())
            || kafka.entity() != null && !kafka.entity().equals(options.entity())) {
          log.warn(
              "run {} exists in Kafka under team {} and project {}; this process logs it under"
                  + " team {} and project {}",
              id,
              kafka.entity(),
              kafka.project(),
              options.entity(),
              options.project());
        }
      }
      case ABSENT -> {}
      case UNKNOWN, UNREACHABLE ->
          log.warn(
              "runstream could not find out from {} {} where run {} left off ({}); {}. If the run"
                  + " already logged to Kafka from another machine, this process's points at the"
                  + " steps it logged there lose to the earlier points downstream (same run,"
                  + " metric and step: the higher sequence wins) and its curves mix both. Raise"
                  + " resumeLookupTimeout, or copy the newest run directory here",
              kafkaAt,
              budget,
              id,
              kafka.detail(),
              where);
    }
  }

  /** Where the run directory's journal says the earlier process left off. */
  static Previous scan(RunDirectory directory) {
    long lastSequence = -1;
    long lastStep = -1;
    try (JournalReader reader = new JournalReader(directory.path(), 0)) {
      for (JournalRecord r = reader.next(); r != null; r = reader.next()) {
        lastSequence = Math.max(lastSequence, r.sequence());
        if (r.kind() == RecordKind.METRICS) {
          lastStep = Math.max(lastStep, r.step());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the journal in " + directory.path(), e);
    }
    long acked = Math.min(directory.readAcked(), lastSequence);
    Object name = null;
    try {
      name = directory.readMetadata().get("name");
    } catch (UncheckedIOException e) {
      // run.json unreadable: the resumed run gets a new display name, nothing else depends on it
    }
    return new Previous(
        lastSequence + 1,
        lastStep + 1,
        acked,
        name instanceof String s && !s.isBlank() ? s : null,
        true);
  }
}
