package dev.runstream.sink.internal;

import java.util.List;

/**
 * The points of one {@code MetricBatch} record as they were stored in {@code metrics}: one step of
 * one run, a value per metric name. Kept beside the encoded rows so {@link RollupTracker} can
 * update the downsampled curves once the insert succeeded.
 *
 * @param team the team (the record's entity)
 * @param project the project
 * @param runId the run
 * @param step the step of every point
 * @param seq the record's sequence: of two points of one step, the higher wins
 * @param names metric names, distinct
 * @param values the values, parallel to {@code names}
 */
public record MetricPoints(
    String team,
    String project,
    String runId,
    long step,
    long seq,
    List<String> names,
    List<Double> values) {}
