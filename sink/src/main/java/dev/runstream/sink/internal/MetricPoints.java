package dev.runstream.sink.internal;

import java.util.List;

/**
 * The points of one {@code MetricBatch} record: one step of one run, a value per metric name. The
 * batch keeps them instead of encoded rows: {@link MetricRows} encodes a whole batch in the tables'
 * key order when it is written, and for {@code metrics} {@link RollupTracker} updates the
 * downsampled curves from them once the insert succeeded.
 *
 * @param team the team (the record's entity)
 * @param project the project
 * @param runId the run
 * @param step the step of every point
 * @param timestampMs the record's time, epoch milliseconds
 * @param seq the record's sequence: of two points of one step, the higher wins
 * @param names metric names, distinct
 * @param values the values, parallel to {@code names}
 */
public record MetricPoints(
    String team,
    String project,
    String runId,
    long step,
    long timestampMs,
    long seq,
    List<String> names,
    List<Double> values) {

  /** The value of {@code names().get(i)}, without a box when the values are an array. */
  public double value(int i) {
    return values instanceof MetricBatchReader.Doubles d ? d.at(i) : values.get(i);
  }
}
