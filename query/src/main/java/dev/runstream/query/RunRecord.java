package dev.runstream.query;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A run's metadata as stored: its latest RunStarted with later config and tag updates applied, and
 * its state from the latest run summary.
 *
 * @param id the run id
 * @param team the owning team (W&B's entity)
 * @param project the project
 * @param name the display name
 * @param notes the notes, empty if none
 * @param tags the current tags
 * @param config the current config flattened to dotted keys, iterated in key order
 * @param configJson the current config as the SDK sent it
 * @param group the run group, empty if none
 * @param jobType the job type, empty if none
 * @param startedAt when the run started (second precision)
 * @param state the latest state (RUNNING, FINISHED, ...) or {@code "UNKNOWN"} without a summary
 * @param endedAt when the run ended (finished or failed) or, when it crashed or stopped answering,
 *     when it was last seen alive (a heartbeat or a point); null while it runs or without a summary
 */
public record RunRecord(
    String id,
    String team,
    String project,
    String name,
    String notes,
    List<String> tags,
    Map<String, String> config,
    String configJson,
    String group,
    String jobType,
    Instant startedAt,
    String state,
    Instant endedAt) {
  /** The state of a run that has no summary yet. */
  public static final String UNKNOWN_STATE = "UNKNOWN";

  public RunRecord {
    tags = List.copyOf(tags);
    config = Collections.unmodifiableSortedMap(new TreeMap<>(config));
  }

  /** A run whose end is not known ({@code endedAt} null). */
  public RunRecord(
      String id,
      String team,
      String project,
      String name,
      String notes,
      List<String> tags,
      Map<String, String> config,
      String configJson,
      String group,
      String jobType,
      Instant startedAt,
      String state) {
    this(
        id,
        team,
        project,
        name,
        notes,
        tags,
        config,
        configJson,
        group,
        jobType,
        startedAt,
        state,
        null);
  }

  /**
   * How long the run ran: from its start to {@link #endedAt()}, or to {@code now} while it runs;
   * zero, never negative, when clocks disagree. To the second, as {@link #startedAt()}.
   */
  public Duration duration(Instant now) {
    Duration d = Duration.between(startedAt, endedAt != null ? endedAt : now);
    return d.isNegative() ? Duration.ZERO : d;
  }
}
