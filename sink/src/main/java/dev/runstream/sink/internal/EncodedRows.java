package dev.runstream.sink.internal;

import java.util.Map;

/**
 * Rows for one table, already RowBinary-encoded, produced from one Kafka record.
 *
 * @param table the table name without database
 * @param bytes the rows in the table's column order ({@link Tables#COLUMNS})
 * @param rows how many rows {@code bytes} holds
 * @param touched for {@code metrics} rows: each series and the step range written, whose rollups
 *     must be recomputed once the rows are in; empty otherwise
 */
public record EncodedRows(
    String table, byte[] bytes, int rows, Map<Rollups.Series, Rollups.StepRange> touched) {
  public EncodedRows {
    touched = Map.copyOf(touched);
  }

  public EncodedRows(String table, byte[] bytes, int rows) {
    this(table, bytes, rows, Map.of());
  }
}
