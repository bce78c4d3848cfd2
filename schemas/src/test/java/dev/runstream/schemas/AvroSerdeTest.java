package dev.runstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.schemas.avro.Heartbeat;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {
  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();

  private static MetricBatch batch() {
    return MetricBatch.newBuilder()
        .setRunId("r1")
        .setEntity("t")
        .setProject("p")
        .setStep(3)
        .setTimestampMs(1000)
        .setSequence(7)
        .setNames(List.of("loss"))
        .setValues(List.of(0.5))
        .build();
  }

  @Test
  void shouldWriteTheConfluentWireFormatByteForByte() {
    byte[] bytes =
        new AvroSerializer<MetricBatch>(registry).serialize("runstream.metrics", batch());

    assertThat(bytes)
        .containsExactly(
            0x00, // magic byte
            0x00, 0x00, 0x00, 0x01, // schema id 1, big-endian
            0x04, 'r', '1', // runId: zigzag length 2, then UTF-8
            0x02, 't', // entity
            0x02, 'p', // project
            0x06, // step 3 as zigzag varint
            0xD0, 0x0F, // timestampMs 1000 -> zigzag 2000 -> varint
            0x0E, // sequence 7
            0x02, 0x08, 'l', 'o', 's', 's', 0x00, // names: one item, "loss", end of blocks
            0x02, 0, 0, 0, 0, 0, 0, 0xE0, 0x3F, 0x00); // values: 0.5 little-endian, end
  }

  @Test
  void shouldRegisterUnderTheTopicValueSubject() {
    new AvroSerializer<MetricBatch>(registry).serialize("team.metrics", batch());

    assertThat(registry.isCompatible("team.metrics-value", MetricBatch.getClassSchema())).isTrue();
    assertThat(registry.register("team.metrics-value", MetricBatch.getClassSchema())).isEqualTo(1);
  }

  @Test
  void shouldRoundTripAUnionPayloadAndNonFiniteValues() {
    RunEvent event =
        RunEvent.newBuilder()
            .setRunId("r")
            .setEntity("e")
            .setProject("p")
            .setTimestampMs(5)
            .setPayload(RunFinished.newBuilder().setExitCode(3).setLastStep(9).build())
            .build();
    byte[] bytes = new AvroSerializer<RunEvent>(registry).serialize("runs", event);
    RunEvent back = new AvroDeserializer<>(RunEvent.class, registry).deserialize("runs", bytes);
    assertThat(back).isEqualTo(event);

    MetricBatch nonFinite = batch();
    nonFinite.setValues(List.of(Double.NaN));
    nonFinite.setNames(List.of("loss"));
    byte[] nanBytes = new AvroSerializer<MetricBatch>(registry).serialize("m", nonFinite);
    assertThat(
            new AvroDeserializer<>(MetricBatch.class, registry)
                .deserialize("m", nanBytes)
                .getValues())
        .containsExactly(Double.NaN);
  }

  @Test
  void shouldReadRecordsWrittenWithAnOlderSchema() {
    Schema older =
        SchemaBuilder.record("Heartbeat")
            .namespace("dev.runstream.schemas.avro")
            .fields()
            .endRecord();
    int id = registry.register("hb-value", older);
    byte[] framed = {0, 0, 0, 0, (byte) id};

    Heartbeat read = new AvroDeserializer<>(Heartbeat.class, registry).deserialize("hb", framed);

    assertThat(read.getLastStep()).isEqualTo(-1L); // the reader's default fills the new field
  }

  @Test
  void shouldRejectMalformedValuesWithTheReason() {
    AvroDeserializer<MetricBatch> deserializer =
        new AvroDeserializer<>(MetricBatch.class, registry);
    byte[] good = new AvroSerializer<MetricBatch>(registry).serialize("m", batch());

    assertThatThrownBy(() -> deserializer.deserialize("m", new byte[] {0, 0}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("shorter than the wire-format header");
    assertThatThrownBy(() -> deserializer.deserialize("m", "{\"json\":1}".getBytes()))
        .hasMessageContaining("magic byte");
    assertThatThrownBy(() -> deserializer.deserialize("m", new byte[] {0, 0, 0, 0, 42, 1}))
        .hasMessageContaining("schema id 42");
    assertThatThrownBy(() -> deserializer.deserialize("m", Arrays.copyOf(good, good.length - 3)))
        .hasMessageContaining("not a valid MetricBatch");
    assertThatThrownBy(() -> deserializer.deserialize("m", Arrays.copyOf(good, good.length + 2)))
        .hasMessageContaining("bytes left");
  }

  @Test
  void shouldPassNullsThroughForTombstones() {
    assertThat(new AvroSerializer<MetricBatch>(registry).serialize("m", null)).isNull();
    assertThat(new AvroDeserializer<>(MetricBatch.class, registry).deserialize("m", null)).isNull();
  }
}
