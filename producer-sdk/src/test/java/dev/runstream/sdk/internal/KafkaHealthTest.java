package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.sdk.TestLogs;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/** What the SDK says about Kafka: slow or unreachable, once per change of condition. */
class KafkaHealthTest {
  private final KafkaHealth health = new KafkaHealth("Kafka at broker:9092");

  @Test
  void shouldSaySlowOnceHoweverManyRunsReportIt() {
    String said =
        TestLogs.capturingStandardError(
            () -> {
              for (int i = 0; i < 100; i++) {
                health.slow("run" + i, 4_000, TimeUnit.SECONDS.toNanos(7));
                health.keepingUp(); // another run's records are fine: the condition is not over
              }
            });
    assertThat(said)
        .containsOnlyOnce(
            "Kafka is slow: 4000 records of run run0 waiting for acknowledgement for 7 s")
        .doesNotContain("unreachable")
        .doesNotContain("cannot reach")
        .doesNotContain("keeps up again");
    assertThat(health.condition()).isEqualTo(KafkaHealth.Condition.SLOW);
  }

  @Test
  void shouldSayWhichBrokerCannotBeReachedAndWhyOnce() {
    TimeoutException cause =
        new TimeoutException("Topic t.runs not present in metadata after 1000 ms.");
    String said =
        TestLogs.capturingStandardError(
            () -> {
              for (int i = 0; i < 50; i++) {
                health.refused("run1", i, cause, "/tmp/run-run1");
                health.slow("run1", 10, TimeUnit.SECONDS.toNanos(30));
              }
            });
    assertThat(said)
        .containsOnlyOnce("cannot reach Kafka at broker:9092: " + cause)
        .doesNotContain("Kafka is slow");
    assertThat(health.condition()).isEqualTo(KafkaHealth.Condition.UNREACHABLE);
  }

  @Test
  void shouldSayNothingWhileKafkaKeepsUp() {
    String said = TestLogs.capturingStandardError(health::keepingUp);
    assertThat(said).isEmpty();
    assertThat(health.condition()).isEqualTo(KafkaHealth.Condition.OK);
  }
}
