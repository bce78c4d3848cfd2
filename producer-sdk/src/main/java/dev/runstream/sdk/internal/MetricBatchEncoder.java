package dev.runstream.sdk.internal;

import dev.runstream.schemas.avro.MetricBatch;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 *
 * <p>A training loop logs the same metric names in every call: the encoding of the last batch's
 * names is kept and copied whole when the next batch has the very same names (the same strings, in
 * the same order: a loop's constant keys), and otherwise each name's encoding, up to {@value
 * #MAX_CACHED_STRINGS} strings, is copied instead of encoded again. The run's id, team and project
 * are kept the same way. Not thread-safe: one per writer.
 */
final class MetricBatchEncoder {
  static final int MAX_CACHED_STRINGS = 4096;

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

  private final int maxCachedStrings;
  private final Map<String, byte[]> strings = new HashMap<>();
  private final EncodeBuffer scratch = new EncodeBuffer(64);
  private final EncodeBuffer block = new EncodeBuffer(256);
  private String lastRunId;
  private String lastEntity;
  private String lastProject;
  private byte[] lastHeader;
  private String[] lastNames;
  private byte[] lastNamesBlock;

  MetricBatchEncoder() {
    this(MAX_CACHED_STRINGS);
  }

  MetricBatchEncoder(int maxCachedStrings) {
    this.maxCachedStrings = maxCachedStrings;
  }

  static List<String> describe(Schema schema) {
    return schema.getFields().stream().map(f -> f.name() + ":" + describeType(f.schema())).toList();
  }

  private static String describeType(Schema s) {
    return s.getType() == Schema.Type.ARRAY
        ? "ARRAY<" + describeType(s.getElementType()) + ">"
        : s.getType().name();
  }

  /** Appends the encoding of {@code points} with {@code sequence} to {@code out}. */
  void encode(MetricPoints points, long sequence, EncodeBuffer out) {
    // Identity, not equality: comparing is then a few reference checks, and a run's strings and a
    // training loop's constant names are the same objects call after call.
    if (points.runId() != lastRunId
        || points.entity() != lastEntity
        || points.project() != lastProject) {
      block.reset(0);
      writeString(points.runId(), block);
      writeString(points.entity(), block);
      writeString(points.project(), block);
      lastHeader = Arrays.copyOf(block.array(), block.size());
      lastRunId = points.runId();
      lastEntity = points.entity();
      lastProject = points.project();
    }
    out.write(lastHeader, 0, lastHeader.length);
    out.writeLong(points.step());
    out.writeLong(points.timestampMs());
    out.writeLong(sequence);
    String[] names = points.names();
    if (!sameAsLast(names)) {
      block.reset(0);
      // An Avro array is blocks of (count, items) ended by a count of 0; one block holds them all.
      if (names.length > 0) {
        block.writeLong(names.length);
        for (String name : names) {
          writeString(name, block);
        }
      }
      block.writeLong(0);
      lastNamesBlock = Arrays.copyOf(block.array(), block.size());
      lastNames = names;
    }
    out.write(lastNamesBlock, 0, lastNamesBlock.length);
    double[] values = points.values();
    if (values.length > 0) {
      out.writeLong(values.length);
      out.writeDoubles(values);
    }
    out.writeLong(0);
  }

  private boolean sameAsLast(String[] names) {
    String[] last = lastNames;
    if (last == null || last.length != names.length) {
      return false;
    }
    for (int i = 0; i < names.length; i++) {
      if (names[i] != last[i]) {
        return false;
      }
    }
    return true;
  }

  private void writeString(String s, EncodeBuffer out) {
    byte[] encoded = strings.get(s);
    if (encoded != null) {
      out.write(encoded, 0, encoded.length);
    } else if (strings.size() < maxCachedStrings) {
      scratch.reset(0);
      scratch.writeString(s);
      encoded = Arrays.copyOf(scratch.array(), scratch.size());
      strings.put(s, encoded);
      out.write(encoded, 0, encoded.length);
    } else {
      out.writeString(s);
    }
  }
}
