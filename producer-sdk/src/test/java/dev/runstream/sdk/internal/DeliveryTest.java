package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.WireFormat;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The acknowledged mark with acknowledgements in any order, failures and refusals. */
class DeliveryTest {
  private final LongAdder sent = new LongAdder();
  private final LongAdder replayed = new LongAdder();
  private final List<Callback> callbacks = new ArrayList<>();
  private final List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
  private Exception refuseWith;

  /** Keeps every callback, to be completed by the test in any order; or refuses at once. */
  private final class ManualProducer extends MockProducer<String, byte[]> {
    ManualProducer() {
      super(false, null, new StringSerializer(), new ByteArraySerializer());
    }

    @Override
    public synchronized Future<RecordMetadata> send(
        ProducerRecord<String, byte[]> record, Callback callback) {
      if (refuseWith != null) {
        // What KafkaProducer does on a full buffer or missing metadata after max.block.ms.
        callback.onCompletion(null, refuseWith);
        return CompletableFuture.failedFuture(refuseWith);
      }
      records.add(record);
      callbacks.add(callback);
      return new CompletableFuture<>();
    }
  }

  private final Delivery delivery =
      new Delivery(
          ManualProducer::new,
          new InMemorySchemaRegistry(),
          Topics.withPrefix("t."),
          "run1",
          9,
          sent,
          replayed);

  private boolean send(long sequence, RecordKind kind, int points) {
    byte[] value = new byte[WireFormat.HEADER_SIZE + 1];
    value[WireFormat.HEADER_SIZE] = (byte) sequence;
    return delivery.send(sequence, kind, points, value, false);
  }

  private void ack(int i) {
    callbacks
        .get(i)
        .onCompletion(new RecordMetadata(new TopicPartition("t", 0), 0, 0, 0, 0, 0), null);
  }

  @Test
  void shouldMoveTheMarkOnlyPastRecordsAcknowledgedWithEverythingBefore() {
    // Records of different topics (partitions) are acknowledged in any order.
    assertThat(send(10, RecordKind.METRICS, 3)).isTrue();
    assertThat(send(11, RecordKind.RUN_EVENT, 0)).isTrue();
    assertThat(send(12, RecordKind.METRICS, 3)).isTrue();
    assertThat(send(14, RecordKind.ALERT, 0)).isTrue(); // 13 went before this process
    assertThat(send(15, RecordKind.METRICS, 3)).isTrue();
    assertThat(delivery.ackedThrough()).isEqualTo(9);

    ack(2);
    ack(1);
    assertThat(delivery.ackedThrough()).isEqualTo(9);
    assertThat(sent.sum()).isEqualTo(3);
    ack(0);
    // 13 was not sent here (Kafka had it): the mark stops before the next record in flight.
    assertThat(delivery.ackedThrough()).isEqualTo(13);
    ack(4);
    assertThat(delivery.ackedThrough()).isEqualTo(13);
    assertThat(delivery.idle()).isFalse();
    ack(3);
    assertThat(delivery.ackedThrough()).isEqualTo(15);
    assertThat(delivery.idle()).isTrue();
    assertThat(sent.sum()).isEqualTo(9);
    // The header is written over the room left for it; the body is untouched.
    byte[] first = records.get(0).value();
    assertThat(first[0]).isEqualTo(WireFormat.MAGIC_BYTE);
    assertThat(ByteBuffer.wrap(first, 1, 4).getInt()).isPositive();
    assertThat(first[WireFormat.HEADER_SIZE]).isEqualTo((byte) 10);
    assertThat(records.get(0).key()).isEqualTo("run1");
  }

  @Test
  void shouldSendAgainOnlyWhatWasNotAcknowledgedAfterAFailure() {
    for (int s = 10; s < 15; s++) {
      assertThat(send(s, RecordKind.METRICS, 2)).isTrue();
    }
    ack(0);
    ack(2);
    ack(4);
    callbacks.get(1).onCompletion(null, new TimeoutException("delivery timeout"));
    assertThat(delivery.failed()).isTrue();
    assertThat(delivery.ackedThrough()).isEqualTo(10);

    long[] reset = delivery.resetCountingPoints();

    assertThat(reset[0]).as("first sequence to send again").isEqualTo(11);
    assertThat(reset[1]).as("points to send again").isEqualTo(4); // 11 and 13
    assertThat(delivery.failed()).isFalse();
    assertThat(delivery.idle()).isTrue();
    assertThat(delivery.ackedThrough()).isEqualTo(10);
    assertThat(
            List.of(11L, 12L, 13L, 14L, 15L).stream()
                .filter(
                    s ->
                        delivery.needsSending(
                            new JournalRecord(s, RecordKind.METRICS, 2, s, new byte[0])))
                .toList())
        .containsExactly(11L, 13L, 15L);
  }

  @Test
  void shouldForgetARecordRefusedBeforeSendReturnedAndTakeItAgainLater() {
    assertThat(send(10, RecordKind.METRICS, 1)).isTrue();
    refuseWith = new TimeoutException("Topic not present in metadata after 1000 ms");

    assertThat(send(11, RecordKind.METRICS, 1)).isFalse();
    assertThat(delivery.failed()).as("a refusal is not a failure in flight").isFalse();
    ack(0);
    assertThat(delivery.ackedThrough()).isEqualTo(10);
    assertThat(delivery.idle()).isTrue();

    refuseWith = null;
    assertThat(send(11, RecordKind.METRICS, 1)).isTrue();
    assertThat(delivery.ackedThrough()).isEqualTo(10);
    ack(1);
    assertThat(delivery.ackedThrough()).isEqualTo(11);
    assertThat(sent.sum()).isEqualTo(2);
  }
}
