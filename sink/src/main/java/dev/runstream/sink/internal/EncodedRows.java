package dev.runstream.sink.internal;

import java.util.HashMap;
import java.util.Map;

/**
 * Rows for one table, already RowBinary-encoded, produced from one Kafka record.
 *
 * @param table the table name without database
 * @param bytes the rows in the table's column order ({@link Tables#COLUMNS})
 * @param rows how many rows {@code bytes} holds
 * @param points for {@code metrics} rows: the points, whose downsampled curves must follow once the
 *     rows are in; null otherwise
 */
public record EncodedRows(String table, byte[] bytes, int rows, MetricPoints points) {
  public EncodedRows(String table, byte[] bytes, int rows) {
    this(table, bytes, rows, null);
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
