package dev.runstream.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.schemas.AvroDeserializer;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.avro.MetricBatch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class MetricBatchDeserializerTest {
  private static final String TOPIC = "runstream.metrics";

  private final SchemaRegistry registry = new InMemorySchemaRegistry();
  private final AvroSerializer<MetricBatch> serializer = new AvroSerializer<>(registry);
  private final AvroDeserializer<MetricBatch> generic =
      new AvroDeserializer<>(MetricBatch.class, registry);
  private final MetricBatchDeserializer deserializer = new MetricBatchDeserializer(registry);

  private static MetricBatch batch(String runId, long step, List<String> names, Double... values) {
    return MetricBatch.newBuilder()
        .setRunId(runId)
        .setEntity("team")
        .setProject("proj")
        .setStep(step)
        .setTimestampMs(1_700_000_000_000L + step)
        .setSequence(step * 3)
        .setNames(names)
        .setValues(Arrays.asList(values))
        .build();
  }

  @Test
  void shouldReadWhatTheGenericDeserializerReads() {
    List<MetricBatch> batches =
        List.of(
            batch("r1", 0, List.of("loss", "acc"), 0.5, Double.NaN),
            batch("r1", 1, List.of("loss", "acc"), Double.NEGATIVE_INFINITY, -0.0),
            batch("r2", 1, List.of("loss", "acc"), 1e300, 2.0),
            batch("r1", 2, List.of("loss", "acc", "lr"), 0.25, 0.75, 1e-4),
            batch("r1", 3, List.of("loss"), 0.125),
            batch("r1", 4, List.of(), new Double[0]),
            batch("run-é✓", Long.MAX_VALUE, List.of("ünïcode/näme"), Double.MIN_VALUE));
    for (MetricBatch b : batches) {
      byte[] bytes = serializer.serialize(TOPIC, b);
      MetricBatch read = deserializer.deserialize(TOPIC, bytes);
      assertThat(read).isEqualTo(generic.deserialize(TOPIC, bytes)).isEqualTo(b);
      assertThat(read.getValues()).containsExactlyElementsOf(b.getValues());
    }
  }

  @Test
  void shouldReturnTheSameNamesListWhileARunRepeatsItsNames() {
    MetricBatch first =
        deserializer.deserialize(TOPIC, serializer.serialize(TOPIC, batch("r1", 0, names(), 1.0)));
    MetricBatch second =
        deserializer.deserialize(TOPIC, serializer.serialize(TOPIC, batch("r1", 1, names(), 2.0)));
    MetricBatch third =
        deserializer.deserialize(TOPIC, serializer.serialize(TOPIC, batch("r1", 2, names(), 3.0)));
    MetricBatch other =
        deserializer.deserialize(
            TOPIC, serializer.serialize(TOPIC, batch("r1", 3, List.of("lost"), 4.0)));

    assertThat(third.getNames()).isSameAs(second.getNames()).containsExactly("loss");
    assertThat(third.getRunId()).isSameAs(second.getRunId());
    assertThat(other.getNames()).containsExactly("lost");
    assertThat(first.getValues()).containsExactly(1.0);
    assertThat(third.getValues()).containsExactly(3.0);
    assertThatThrownBy(() -> third.getNames().add("x"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void shouldRejectRepeatedInvalidNamesEveryTime() {
    for (int step = 0; step < 2; step++) {
      MetricBatch dup =
          deserializer.deserialize(
              TOPIC, serializer.serialize(TOPIC, batch("r3", step, List.of("a", "a"), 1.0, 2.0)));
      assertThatThrownBy(() -> RejectedRecordException.check("r3", dup))
          .isInstanceOf(RejectedRecordException.class)
          .hasMessageContaining("names a twice");
    }
    for (int step = 2; step < 4; step++) {
      MetricBatch ok =
          deserializer.deserialize(
              TOPIC, serializer.serialize(TOPIC, batch("r3", step, List.of("a", "b"), 1.0, 2.0)));
      RejectedRecordException.check("r3", ok);
      assertThat(((MetricBatchDeserializer.Names) ok.getNames()).valid).isTrue();
    }
  }

  private static List<String> names() {
    return List.of("loss");
  }

  @Test
  void shouldRejectMalformedRecordsOfTheCurrentSchema() {
    byte[] good = serializer.serialize(TOPIC, batch("r1", 0, List.of("loss", "acc"), 1.0, 2.0));
    deserializer.deserialize(TOPIC, good); // the schema is known from here on

    byte[] truncated = Arrays.copyOf(good, good.length - 3);
    assertThatThrownBy(() -> deserializer.deserialize(TOPIC, truncated))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("is not a valid MetricBatch");
    byte[] trailing = Arrays.copyOf(good, good.length + 1);
    assertThatThrownBy(() -> deserializer.deserialize(TOPIC, trailing))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("bytes left");
    byte[] hugeArray = good.clone();
    // runId "r1": length byte 4 (zig-zag 2) at offset 5; make its length negative (zig-zag -1).
    hugeArray[5] = 1;
    assertThatThrownBy(() -> deserializer.deserialize(TOPIC, hugeArray))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("negative length");
    assertThatThrownBy(() -> deserializer.deserialize(TOPIC, new byte[] {1, 0, 0, 0, 1, 2}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("magic byte");
  }

  @Test
  void shouldResolveAnOlderWriterSchema() throws IOException {
    // The schema before records were numbered: no sequence field, so it defaults to -1.
    Schema old =
        new Schema.Parser()
            .parse(
                "{\"type\":\"record\",\"name\":\"MetricBatch\",\"namespace\":"
                    + "\"dev.runstream.schemas.avro\",\"fields\":["
                    + "{\"name\":\"runId\",\"type\":\"string\"},"
                    + "{\"name\":\"entity\",\"type\":\"string\",\"default\":\"\"},"
                    + "{\"name\":\"project\",\"type\":\"string\",\"default\":\"\"},"
                    + "{\"name\":\"step\",\"type\":\"long\"},"
                    + "{\"name\":\"timestampMs\",\"type\":\"long\"},"
                    + "{\"name\":\"names\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
                    + "{\"name\":\"values\",\"type\":{\"type\":\"array\",\"items\":\"double\"}}]}");
    int id = registry.register(TOPIC + "-old-value", old);
    GenericRecord r = new GenericData.Record(old);
    r.put("runId", "r9");
    r.put("entity", "");
    r.put("project", "p");
    r.put("step", 7L);
    r.put("timestampMs", 8L);
    r.put("names", List.of("loss"));
    r.put("values", List.of(0.5));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(old).write(r, enc);
    enc.flush();

    for (int i = 0; i < 2; i++) { // the first read learns the schema, the second uses it
      MetricBatch read = deserializer.deserialize(TOPIC, out.toByteArray());
      assertThat(read.getSequence()).isEqualTo(-1);
      assertThat(read.getStep()).isEqualTo(7);
      assertThat(read.getNames()).containsExactly("loss");
      assertThat(read.getValues()).containsExactly(0.5);
    }
  }
}
