package dev.runstream.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.SchemaRegistryException;
import dev.runstream.schemas.avro.MetricBatch;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

/**
 * A record that cannot be read only because the schema registry does not answer is read again
 * later, not dead-lettered; a record whose schema the registry does not know is skipped (and
 * dead-lettered on a real broker).
 */
class RegistryOutageTest {
  /** A registry whose lookups by id fail with the given HTTP status while it is non-zero. */
  private static final class FailingRegistry implements SchemaRegistry {
    private final SchemaRegistry delegate;
    volatile int failWith;

    FailingRegistry(SchemaRegistry delegate) {
      this.delegate = delegate;
    }

    @Override
    public int register(String subject, Schema schema) {
      return delegate.register(subject, schema);
    }

    @Override
    public Schema schemaById(int id) {
      if (failWith != 0) {
        throw new SchemaRegistryException("registry says " + failWith, failWith);
      }
      return delegate.schemaById(id);
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
      return delegate.isCompatible(subject, schema);
    }
  }

  @Test
  void shouldFailTheThreadRatherThanDeadLetterWhileTheRegistryDoesNotAnswer() {
    FailingRegistry[] failing = new FailingRegistry[1];
    try (TopologyHarness h =
        new TopologyHarness(MonitorSettings.defaults(), r -> failing[0] = new FailingRegistry(r))) {
      failing[0].failWith = -1; // no answer at all
      MetricBatch batch =
          MetricBatch.newBuilder()
              .setRunId("r1")
              .setStep(0)
              .setTimestampMs(1)
              .setSequence(-1)
              .setNames(List.of("loss"))
              .setValues(List.of(1.0))
              .build();
      assertThatThrownBy(() -> h.pipe(batch)).isInstanceOf(StreamsException.class);
      assertThat(h.deadLetters.isEmpty()).as("not dead-lettered").isTrue();
      assertThat(h.stored("r1")).isNull();

      failing[0].failWith = 503;
      assertThatThrownBy(() -> h.pipe(batch)).isInstanceOf(StreamsException.class);
      assertThat(h.deadLetters.isEmpty()).isTrue();

      failing[0].failWith = 0; // back: the record, read again after the restart, counts
      h.pipe(batch);
      assertThat(h.stored("r1").getMetrics().get("loss").getCount()).isEqualTo(1);
      assertThat(h.deadLetters.isEmpty()).isTrue();
    }
  }

  @Test
  void shouldSkipARecordWhoseSchemaTheRegistryDoesNotKnowAndGoOn() {
    // Its dead-letter copy is made by the consumer-side handler, which the test driver does not
    // run; ExactlyOnceRestartIT checks that part on the real broker.
    FailingRegistry[] failing = new FailingRegistry[1];
    try (TopologyHarness h =
        new TopologyHarness(MonitorSettings.defaults(), r -> failing[0] = new FailingRegistry(r))) {
      failing[0].failWith = 404;
      h.log("r1", 0, Map.of("loss", 1.0));
      assertThat(h.stored("r1")).as("skipped, not retried").isNull();

      failing[0].failWith = 0;
      h.log("r1", 1, Map.of("loss", 0.5));
      assertThat(h.stored("r1").getMetrics().get("loss").getCount()).isEqualTo(1);
    }
  }
}
