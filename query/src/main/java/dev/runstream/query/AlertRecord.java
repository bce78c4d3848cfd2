package dev.runstream.query;

import java.time.Instant;

/**
 * An alert as stored; the raise and the resolution of an episode are two records.
 *
 * @param runId the run
 * @param team the owning team
 * @param project the project
 * @param episodeId the episode (raise and resolution share it)
 * @param resolved whether this record resolves the episode
 * @param time when it was raised or resolved (millisecond precision)
 * @param rule the detector, or {@code user}
 * @param severity INFO, WARNING or CRITICAL
 * @param title a short title
 * @param message the sentence a person reads
 * @param metric the metric, or null
 * @param step the step, or null
 * @param value the value that raised it, or null
 * @param baseline the reference value, or null
 */
public record AlertRecord(
    String runId,
    String team,
    String project,
    String episodeId,
    boolean resolved,
    Instant time,
    String rule,
    String severity,
    String title,
    String message,
    String metric,
    Long step,
    Double value,
    Double baseline) {}
