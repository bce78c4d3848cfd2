package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.sdk.internal.RunHistory.Outcome;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The skip decision of a sync or a resumed run's replay: per topic, by Kafka's order. */
class AlreadyInKafkaTest {
  private static RunHistory found(Map<RecordKind, Long> highest) {
    return new RunHistory(Outcome.FOUND, 10, 100, null, "e", "p", true, 50, "read", highest);
  }

  @Test
  void shouldHoldEveryRecordOfATopicUpToItsHighestSequenceAndNoneAbove() {
    AlreadyInKafka in =
        AlreadyInKafka.of(found(Map.of(RecordKind.METRICS, 100L, RecordKind.RUN_EVENT, 40L)), -1);

    assertThat(in.holds(RecordKind.METRICS, 0)).isTrue();
    assertThat(in.holds(RecordKind.METRICS, 100)).isTrue();
    assertThat(in.holds(RecordKind.METRICS, 101)).isFalse();
    assertThat(in.holds(RecordKind.RUN_EVENT, 40)).isTrue();
    // A run event after the newest one found is missing, though metrics with higher sequences
    // arrived: topics are acknowledged independently.
    assertThat(in.holds(RecordKind.RUN_EVENT, 41)).isFalse();
    assertThat(in.holds(RecordKind.RUN_EVENT, 99)).isFalse();
    // No record of the run in a topic: none of its records is known to be there.
    assertThat(in.holds(RecordKind.SYSTEM, 1)).isFalse();
    assertThat(in.holds(RecordKind.ALERT, 1)).isFalse();
    assertThat(in.any()).isTrue();
  }

  @Test
  void shouldNotTrustTheOrderThroughTheReorderedMark() {
    AlreadyInKafka in = AlreadyInKafka.of(found(Map.of(RecordKind.METRICS, 100L)), 60);

    assertThat(in.holds(RecordKind.METRICS, 60)).isFalse();
    assertThat(in.holds(RecordKind.METRICS, 12)).isFalse();
    assertThat(in.holds(RecordKind.METRICS, 61)).isTrue();
    assertThat(in.holds(RecordKind.METRICS, 100)).isTrue();
  }

  @Test
  void shouldHoldNothingWhenKafkaCouldNotTellOrTheOrderMayBeBrokenAnywhere() {
    Map<RecordKind, Long> highest = Map.of(RecordKind.METRICS, 100L);

    assertThat(AlreadyInKafka.of(null, -1).holds(RecordKind.METRICS, 1)).isFalse();
    assertThat(
            AlreadyInKafka.of(RunHistory.unreachable("no answer"), -1).holds(RecordKind.METRICS, 1))
        .isFalse();
    assertThat(
            AlreadyInKafka.of(
                    new RunHistory(Outcome.ABSENT, -1, -1, null, null, null, true, 9, "read"), -1)
                .any())
        .isFalse();
    // Killed between a failed send and its recovery: the mark says "everything".
    assertThat(AlreadyInKafka.of(found(highest), Long.MAX_VALUE).holds(RecordKind.METRICS, 1))
        .isFalse();
  }
}
