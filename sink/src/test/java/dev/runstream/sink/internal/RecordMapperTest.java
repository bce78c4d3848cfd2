package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.query.internal.RowBinaryReader;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.Heartbeat;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.Severity;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecordMapperTest {
  private static final Topics TOPICS = Topics.defaults();
  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final RecordMapper mapper = new RecordMapper(TOPICS, registry);

  private byte[] batch(String run, long step, List<String> names, List<Double> values) {
    return new AvroSerializer<MetricBatch>(registry)
        .serialize(
            TOPICS.metrics.name(),
            MetricBatch.newBuilder()
                .setRunId(run)
                .setEntity("t")
                .setProject("p")
                .setStep(step)
                .setTimestampMs(5_000)
                .setSequence(step)
                .setNames(names)
                .setValues(values)
                .build());
  }

  private MetricPoints map(byte[] value) {
    List<EncodedRows> rows = mapper.map(TOPICS.metrics.name(), value);
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).deferred()).as("encoded with its batch").isTrue();
    return rows.get(0).points();
  }

  @Test
  void shouldShareTheNamesOfBatchesThatLogTheSameNamesAndStillCheckEveryOther() {
    MetricPoints first = map(batch("r1", 0, List.of("loss", "acc"), List.of(1.0, 2.0)));
    MetricPoints second = map(batch("r2", 0, List.of("loss", "acc"), List.of(3.0, 4.0)));

    assertThat(second.names()).isSameAs(first.names()).containsExactly("loss", "acc");
    assertThat(second.values()).containsExactly(3.0, 4.0);
    assertThat(second.runId()).isEqualTo("r2");
    assertThat(second.timestampMs()).isEqualTo(5_000);

    assertThatThrownBy(() -> map(batch("r1", 1, List.of("loss", "loss"), List.of(1.0, 2.0))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("names metric 'loss' twice");
    assertThatThrownBy(() -> map(batch("r1", 1, List.of("loss", "acc"), List.of(1.0))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 names but 1 values");
    assertThatThrownBy(() -> map(batch("r1", 1, List.of("", "acc"), List.of(1.0, 2.0))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty name");
    MetricPoints other = map(batch("r1", 1, List.of("lr"), List.of(0.1)));
    assertThat(other.names()).containsExactly("lr");
  }

  @Test
  void shouldStoreEveryRecordUnderTheTeamThatOwnsTheTopicsWhateverItNames() throws IOException {
    RecordMapper bound = new RecordMapper(TOPICS, registry, Optional.of("vision"));

    List<EncodedRows> points =
        bound.map(TOPICS.metrics.name(), batch("r1", 0, List.of("loss"), List.of(1.0)));
    assertThat(points.get(0).points().team()).isEqualTo("vision");

    byte[] heartbeat =
        new AvroSerializer<RunEvent>(registry)
            .serialize(
                TOPICS.runs.name(),
                RunEvent.newBuilder()
                    .setRunId("r1")
                    .setEntity("someone-else")
                    .setProject("p")
                    .setTimestampMs(5_000)
                    .setSequence(1)
                    .setPayload(Heartbeat.newBuilder().build())
                    .build());
    List<EncodedRows> events = bound.map(TOPICS.runs.name(), heartbeat);
    assertThat(firstColumn(events.get(0))).isEqualTo("vision");

    byte[] alert =
        new AvroSerializer<Alert>(registry)
            .serialize(
                TOPICS.alerts.name(),
                Alert.newBuilder()
                    .setRunId("r1")
                    .setEntity("")
                    .setProject("p")
                    .setTimestampMs(5_000)
                    .setRule("user")
                    .setSeverity(Severity.INFO)
                    .setMessage("hello")
                    .build());
    assertThat(firstColumn(bound.map(TOPICS.alerts.name(), alert).get(0))).isEqualTo("vision");

    // Unbound, the record's own team is kept.
    assertThat(firstColumn(mapper.map(TOPICS.runs.name(), heartbeat).get(0)))
        .isEqualTo("someone-else");
  }

  private static String firstColumn(EncodedRows rows) throws IOException {
    return new RowBinaryReader(new ByteArrayInputStream(rows.bytes())).string();
  }
}
