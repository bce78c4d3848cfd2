package dev.runstream.sdk.internal;

import dev.runstream.schemas.avro.MetricBatch;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Encodes {@link MetricPoints} as the Avro binary form of a {@link MetricBatch}, byte for byte what
 * {@code SpecificDatumWriter<MetricBatch>} writes (a test holds it to that), at a fraction of its
 * cost: the generic writer walks the schema, boxes every value and dispatches per field, which made
 * it the largest cost between {@code log()} and Kafka.
 *
 * <p>The field order is fixed here. {@link #SUPPORTED} checks it against the schema the SDK was
 * built with; where they differ (a schema changed without this class), the writer uses the generic
 * writer instead, so a mismatch costs speed, never correctness.
 */
final class MetricBatchEncoder {
  private static final List<String> FIELDS =
      List.of(
          "runId:STRING",
          "entity:STRING",
          "project:STRING",
          "step:LONG",
          "timestampMs:LONG",
          "sequence:LONG",
          "names:ARRAY<STRING>",
          "values:ARRAY<DOUBLE>");

  /** Whether {@link MetricBatch}'s schema is the one this encoder writes. */
  static final boolean SUPPORTED = FIELDS.equals(describe(MetricBatch.getClassSchema()));

  private MetricBatchEncoder() {}

  static List<String> describe(Schema schema) {
    return schema.getFields().stream().map(f -> f.name() + ":" + describeType(f.schema())).toList();
  }

  private static String describeType(Schema s) {
    return s.getType() == Schema.Type.ARRAY
        ? "ARRAY<" + describeType(s.getElementType()) + ">"
        : s.getType().name();
  }

  /** Appends the encoding of {@code points} with {@code sequence} to {@code out}. */
  static void encode(MetricPoints points, long sequence, EncodeBuffer out) {
    out.writeString(points.runId());
    out.writeString(points.entity());
    out.writeString(points.project());
    out.writeLong(points.step());
    out.writeLong(points.timestampMs());
    out.writeLong(sequence);
    String[] names = points.names();
    // An Avro array is blocks of (count, items) ended by a count of 0; one block holds them all.
    if (names.length > 0) {
      out.writeLong(names.length);
      for (String name : names) {
        out.writeString(name);
      }
    }
    out.writeLong(0);
    double[] values = points.values();
    if (values.length > 0) {
      out.writeLong(values.length);
      for (double value : values) {
        out.writeDouble(value);
      }
    }
    out.writeLong(0);
  }
}
