package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.schemas.AvroDeserializer;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.MetricBatch;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

class MetricBatchReaderTest {
  private static final String TOPIC = Topics.defaults().metrics.name();
  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final MetricBatchReader reader = new MetricBatchReader(registry);
  private final AvroDeserializer<MetricBatch> avro =
      new AvroDeserializer<>(MetricBatch.class, registry);

  private static MetricBatch batch(String run, long step, List<String> names, List<Double> values) {
    return MetricBatch.newBuilder()
        .setRunId(run)
        .setEntity("team")
        .setProject("proj")
        .setStep(step)
        .setTimestampMs(1_700_000_000_123L)
        .setSequence(step * 3 + 1)
        .setNames(names)
        .setValues(values)
        .build();
  }

  private byte[] bytes(MetricBatch batch) {
    byte[] data = new AvroSerializer<MetricBatch>(registry).serialize(TOPIC, batch);
    reader.learn(data);
    return data;
  }

  @Test
  void shouldReadWhatAvrosReaderReads() {
    List<MetricBatch> batches =
        List.of(
            batch("r1", 0, List.of("loss", "acc"), List.of(0.5, 1.0)),
            batch(
                "r-ü-\uD83D\uDE80",
                Long.MAX_VALUE,
                List.of("ß/λ", "\uD83D\uDE80", "x".repeat(300)),
                List.of(Double.NaN, Double.NEGATIVE_INFINITY, -0.0)),
            batch("r2", 1L << 40, List.of(), List.of()),
            batch("", 7, List.of("a", "a"), List.of(1.0)));
    for (MetricBatch b : batches) {
      byte[] data = bytes(b);
      MetricBatch read = reader.read(data);
      assertThat(read).as("read directly").isNotNull();
      MetricBatch expected = avro.deserialize(TOPIC, data);
      assertThat(read.getRunId()).isEqualTo(expected.getRunId());
      assertThat(read.getEntity()).isEqualTo(expected.getEntity());
      assertThat(read.getProject()).isEqualTo(expected.getProject());
      assertThat(read.getStep()).isEqualTo(expected.getStep());
      assertThat(read.getTimestampMs()).isEqualTo(expected.getTimestampMs());
      assertThat(read.getSequence()).isEqualTo(expected.getSequence());
      assertThat(read.getNames()).containsExactlyElementsOf(expected.getNames());
      // Bit for bit: NaN and -0.0 included.
      assertThat(read.getValues().stream().map(Double::doubleToRawLongBits).toList())
          .isEqualTo(expected.getValues().stream().map(Double::doubleToRawLongBits).toList());
    }
  }

  @Test
  void shouldShareTheNamesAndStringsOfRecordsThatRepeatThem() {
    MetricBatch first =
        reader.read(bytes(batch("r1", 1, List.of("loss", "acc"), List.of(1.0, 2.0))));
    reader.read(bytes(batch("r2", 1, List.of("lr"), List.of(1.0))));
    MetricBatch again =
        reader.read(bytes(batch("r1", 2, List.of("loss", "acc"), List.of(3.0, 4.0))));
    assertThat(again.getNames()).isSameAs(first.getNames());
    assertThat(again.getRunId()).isSameAs(first.getRunId());
    assertThat(again.getProject()).isSameAs(first.getProject());
    assertThat(again.getValues()).containsExactly(3.0, 4.0);
    MetricBatch other =
        reader.read(bytes(batch("r1", 3, List.of("loss", "acc2"), List.of(1.0, 2.0))));
    assertThat(other.getNames()).containsExactly("loss", "acc2");
  }

  @Test
  void shouldReadOnlySchemasLearnedAfterAvrosReaderReadThem() {
    MetricBatchReader fresh = new MetricBatchReader(registry);
    byte[] data = bytes(batch("r1", 1, List.of("loss"), List.of(1.0)));
    assertThat(fresh.read(data)).as("its schema id is not learned yet").isNull();
    fresh.learn(data);
    assertThat(fresh.read(data).getNames()).containsExactly("loss");
  }

  @Test
  void shouldReadArraysWrittenInSeveralBlocksWithByteSizes() throws Exception {
    // Avro writers may split an array into blocks, and give a block's size in bytes after a
    // negative count; Java's writer does neither, so these bytes are written by hand.
    MetricBatch expected = batch("r", 5, List.of("a", "bb", "ccc"), List.of(1.5, Double.NaN, -2.0));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] framed = bytes(expected);
    out.write(framed, 0, 5);
    BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
    enc.writeString("r");
    enc.writeString("team");
    enc.writeString("proj");
    enc.writeLong(5);
    enc.writeLong(1_700_000_000_123L);
    enc.writeLong(16);
    enc.writeLong(-2); // two names, then their size in bytes
    enc.writeLong(1 + 1 + 1 + 2);
    enc.writeString("a");
    enc.writeString("bb");
    enc.writeLong(1);
    enc.writeString("ccc");
    enc.writeLong(0);
    enc.writeLong(1);
    enc.writeDouble(1.5);
    enc.writeLong(2);
    enc.writeDouble(Double.NaN);
    enc.writeDouble(-2.0);
    enc.writeLong(0);
    enc.flush();
    byte[] data = out.toByteArray();
    MetricBatch read = reader.read(data);
    assertThat(read).isNotNull();
    assertThat(read.getNames()).containsExactly("a", "bb", "ccc");
    assertThat(read.getValues()).containsExactly(1.5, Double.NaN, -2.0);
    assertThat(avro.deserialize(TOPIC, data).getNames()).containsExactly("a", "bb", "ccc");
  }

  @Test
  void shouldLeaveToAvroWhatItCannotReadDirectly() throws Exception {
    byte[] good = bytes(batch("r1", 1, List.of("loss"), List.of(1.0)));
    // Cut short, a byte too many, a bad magic byte, an unknown schema id.
    assertThat(reader.read(Arrays.copyOf(good, good.length - 3))).isNull();
    assertThat(reader.read(Arrays.copyOf(good, good.length + 1))).isNull();
    byte[] magic = good.clone();
    magic[0] = 1;
    assertThat(reader.read(magic)).isNull();
    byte[] unknown = good.clone();
    unknown[4] = 99;
    reader.learn(unknown); // the registry does not know it: nothing learned
    assertThat(reader.read(unknown)).isNull();
    assertThat(reader.read(new byte[] {0, 0})).isNull();
    // A string length beyond the record.
    byte[] longString = good.clone();
    longString[5] = 0x7e;
    assertThat(reader.read(longString)).isNull();

    // Another (compatible) version of the schema: Avro's reader resolves it.
    Schema older =
        SchemaBuilder.record("MetricBatch")
            .namespace("dev.runstream.schemas.avro")
            .fields()
            .requiredString("runId")
            .requiredLong("step")
            .requiredLong("timestampMs")
            .name("names")
            .type()
            .array()
            .items()
            .stringType()
            .noDefault()
            .name("values")
            .type()
            .array()
            .items()
            .doubleType()
            .noDefault()
            .endRecord();
    int id = registry.register("older-value", older);
    GenericRecord record = new GenericData.Record(older);
    record.put("runId", "r1");
    record.put("step", 3L);
    record.put("timestampMs", 9L);
    record.put("names", new ArrayList<>(List.of("loss")));
    record.put("values", new ArrayList<>(List.of(1.0)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(older).write(record, enc);
    enc.flush();
    byte[] data = out.toByteArray();
    reader.learn(data);
    assertThat(reader.read(data)).isNull();
    assertThat(avro.deserialize(TOPIC, data).getRunId()).isEqualTo("r1");
  }
}
