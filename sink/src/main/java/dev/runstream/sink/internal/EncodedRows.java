package dev.runstream.sink.internal;

/**
 * Rows for one table, already RowBinary-encoded, produced from one Kafka record.
 *
 * @param table the table name without database
 * @param bytes the rows in the table's column order
 * @param rows how many rows {@code bytes} holds
 */
public record EncodedRows(String table, byte[] bytes, int rows) {}
