package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PauseGateTest {
  private static final Duration BACKOFF = Duration.ofSeconds(5);
  private static final TopicPartition A = new TopicPartition("runstream.metrics", 0);
  private static final TopicPartition B = new TopicPartition("runstream.metrics", 1);

  private final AtomicLong now = new AtomicLong(42);
  private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
  private final PauseGate gate = new PauseGate(consumer, BACKOFF, now::get);

  @BeforeEach
  void setUp() {
    consumer.assign(List.of(A, B));
  }

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void shouldBeOpenUntilSomethingClosesIt() {
    gate.apply(false);

    assertThat(gate.closed(false)).isFalse();
    assertThat(gate.backoffLeftMillis()).isZero();
    assertThat(consumer.paused()).isEmpty();
  }

  @Test
  void shouldPauseEveryPartitionForTheBackoffThenResume() {
    gate.backOff();
    gate.apply(false);
    assertThat(consumer.paused()).containsExactlyInAnyOrder(A, B);
    assertThat(gate.backoffLeftMillis()).isEqualTo(5_000);

    advance(BACKOFF.minusMillis(1));
    gate.apply(false);
    assertThat(consumer.paused()).containsExactlyInAnyOrder(A, B);
    assertThat(gate.backoffLeftMillis()).isEqualTo(1);

    advance(Duration.ofMillis(1));
    gate.apply(false);
    assertThat(consumer.paused()).isEmpty();
    assertThat(gate.backingOff()).isFalse();
  }

  @Test
  void shouldStayClosedAfterAFailedWriteUntilItSucceedsEvenWhenTheBackoffIsOver() {
    gate.block();
    advance(BACKOFF.multipliedBy(3));
    gate.apply(false);
    assertThat(gate.blocked()).isTrue();
    assertThat(gate.backingOff()).isFalse();
    assertThat(consumer.paused()).containsExactlyInAnyOrder(A, B);

    gate.unblock();
    gate.apply(false);
    assertThat(consumer.paused()).isEmpty();
  }

  @Test
  void shouldCloseWhileTheWriterIsBehind() {
    gate.apply(true);
    assertThat(consumer.paused()).containsExactlyInAnyOrder(A, B);

    gate.apply(false);
    assertThat(consumer.paused()).isEmpty();
  }

  @Test
  void shouldPauseNewlyAssignedPartitionsOnlyWhileClosed() {
    gate.assigned(List.of(A), false);
    assertThat(consumer.paused()).isEmpty();

    gate.block();
    gate.assigned(List.of(B), false);
    assertThat(consumer.paused()).containsExactly(B);
  }
}
