package dev.runstream.query;

/**
 * One metric of a run's latest summary, as the stream processor aggregated it. Min, max, first and
 * last are NaN while no finite value was seen.
 */
public record MetricSummaryRow(
    String runId,
    String metric,
    long updatedMs,
    long count,
    long finiteCount,
    double sum,
    double min,
    long minStep,
    double max,
    long maxStep,
    double first,
    long firstStep,
    double last,
    long lastStep,
    long lastTimestampMs,
    long nanCount,
    long infCount) {}
