package dev.runstream.sink.internal;

import java.util.HashMap;
import java.util.Map;

/**
 * Rows for one table produced from one Kafka record: RowBinary-encoded already, or metric points
 * that {@link MetricRows} encodes with the rest of their batch, in key order.
 *
 * @param table the table name without database
 * @param bytes the rows in the table's column order ({@link Tables#COLUMNS}); null when the rows
 *     are {@code points} still to be encoded
 * @param rows how many rows these are
 * @param points for metric rows: the points (for {@code metrics} the downsampled curves must follow
 *     once they are stored); null otherwise
 */
public record EncodedRows(String table, byte[] bytes, int rows, MetricPoints points) {
  public EncodedRows(String table, byte[] bytes, int rows) {
    this(table, bytes, rows, null);
  }

  /** Rows of {@code table} ({@code metrics} or {@code system_metrics}) not encoded yet. */
  public static EncodedRows points(String table, MetricPoints points) {
    return new EncodedRows(table, null, points.names().size(), points);
  }

  /** Whether these are points {@link MetricRows} encodes when their batch is written. */
  public boolean deferred() {
    return bytes == null;
  }

  /** Each series these rows write and the step range written; empty without points. */
  public Map<Rollups.Series, Rollups.StepRange> touched() {
    Map<Rollups.Series, Rollups.StepRange> out = new HashMap<>();
    if (points != null) {
      Rollups.StepRange range = new Rollups.StepRange(points.step(), points.step());
      for (String name : points.names()) {
        out.put(new Rollups.Series(points.team(), points.project(), points.runId(), name), range);
      }
    }
    return out;
  }
}
