package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.WireFormat;
import java.nio.ByteBuffer;
import java.time.Duration;
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

  /** Sends this producer's first record to each topic (10, 11, 12) and acknowledges them. */
  private void openTopics() {
    assertThat(send(10, RecordKind.METRICS, 1)).isTrue();
    assertThat(send(11, RecordKind.RUN_EVENT, 0)).isTrue();
    assertThat(send(12, RecordKind.ALERT, 0)).isTrue();
    ack(0);
    ack(1);
    ack(2);
    assertThat(delivery.ackedThrough()).isEqualTo(12);
  }

  @Test
  void shouldMoveTheMarkOnlyPastRecordsAcknowledgedWithEverythingBefore() {
    openTopics();
    // Records of different topics (partitions) are acknowledged in any order.
    assertThat(send(20, RecordKind.METRICS, 3)).isTrue();
    assertThat(send(21, RecordKind.RUN_EVENT, 0)).isTrue();
    assertThat(send(22, RecordKind.METRICS, 3)).isTrue();
    assertThat(send(24, RecordKind.ALERT, 0)).isTrue(); // 23 went before this process
    assertThat(send(25, RecordKind.METRICS, 3)).isTrue();
    assertThat(delivery.ackedThrough()).isEqualTo(19);
    assertThat(delivery.acknowledgedAboveMark()).isEmpty();

    ack(5);
    ack(4);
    assertThat(delivery.ackedThrough()).isEqualTo(19);
    assertThat(delivery.acknowledgedAboveMark()).containsExactlyInAnyOrder(21L, 22L);
    assertThat(sent.sum()).isEqualTo(1 + 3);
    ack(3);
    // 23 was not sent here (Kafka had it): the mark stops before the next record in flight.
    assertThat(delivery.ackedThrough()).isEqualTo(23);
    ack(7);
    assertThat(delivery.ackedThrough()).isEqualTo(23);
    assertThat(delivery.idle()).isFalse();
    ack(6);
    assertThat(delivery.ackedThrough()).isEqualTo(25);
    assertThat(delivery.idle()).isTrue();
    assertThat(sent.sum()).isEqualTo(1 + 9);
    // The header is written over the room left for it; the body is untouched.
    byte[] first = records.get(0).value();
    assertThat(first[0]).isEqualTo(WireFormat.MAGIC_BYTE);
    assertThat(ByteBuffer.wrap(first, 1, 4).getInt()).isPositive();
    assertThat(first[WireFormat.HEADER_SIZE]).isEqualTo((byte) 10);
    assertThat(records.get(0).key()).isEqualTo("run1");
  }

  @Test
  void shouldSendAgainOnlyWhatWasNotAcknowledgedAfterAFailure() {
    assertThat(send(10, RecordKind.METRICS, 2)).isTrue();
    ack(0); // the topic's first record, before more go there
    for (int s = 11; s < 15; s++) {
      assertThat(send(s, RecordKind.METRICS, 2)).isTrue();
    }
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
    ack(0);
    refuseWith = new TimeoutException("Topic not present in metadata after 1000 ms");

    assertThat(send(11, RecordKind.METRICS, 1)).isFalse();
    assertThat(delivery.failed()).as("a refusal is not a failure in flight").isFalse();
    assertThat(delivery.ackedThrough()).isEqualTo(10);
    assertThat(delivery.idle()).isTrue();

    refuseWith = null;
    assertThat(send(11, RecordKind.METRICS, 1)).isTrue();
    assertThat(delivery.ackedThrough()).isEqualTo(10);
    ack(1);
    assertThat(delivery.ackedThrough()).isEqualTo(11);
    assertThat(sent.sum()).isEqualTo(2);
  }

  @Test
  void shouldSendNothingMoreToATopicUntilKafkaAcknowledgedTheProducersFirstRecordThere() {
    Delivery impatient =
        new Delivery(
            ManualProducer::new,
            new InMemorySchemaRegistry(),
            Topics.withPrefix("t."),
            "run1",
            9,
            sent,
            replayed,
            Duration.ofMillis(50));
    assertThat(send(impatient, 10, RecordKind.METRICS)).isTrue();

    // Kafka may not have the first yet (a partition being created answers NOT_LEADER_OR_FOLLOWER):
    // a second batch in flight could be appended before it, and the first never would be.
    assertThat(send(impatient, 11, RecordKind.METRICS)).as("waits on disk").isFalse();
    assertThat(send(impatient, 11, RecordKind.RUN_EVENT)).as("another partition").isTrue();
    assertThat(records).extracting(ProducerRecord::topic).containsExactly("t.metrics", "t.runs");
    assertThat(impatient.idle()).isFalse();

    ack(0);
    assertThat(send(impatient, 12, RecordKind.METRICS)).isTrue();
    assertThat(records).extracting(ProducerRecord::topic).endsWith("t.metrics");
    assertThat(impatient.failed()).isFalse();
  }

  @Test
  void shouldSendTheNextRecordOnceTheFirstIsAcknowledgedWhileItWaits() {
    assertThat(send(10, RecordKind.METRICS, 1)).isTrue();
    CompletableFuture<Void> kafka = CompletableFuture.runAsync(() -> ack(0));

    assertThat(send(11, RecordKind.METRICS, 1)).isTrue();

    kafka.join();
    assertThat(records).hasSize(2);
  }

  @Test
  void shouldWaitForTheFirstRecordOfEveryNewProducerAgain() {
    assertThat(send(10, RecordKind.METRICS, 1)).isTrue();
    callbacks.get(0).onCompletion(null, new TimeoutException("delivery timeout"));
    assertThat(delivery.failed()).isTrue();
    assertThat(send(11, RecordKind.METRICS, 1)).as("after a failed first record").isFalse();
    assertThat(records).hasSize(1);

    assertThat(delivery.reset()).isEqualTo(10);
    // A new producer has a new producer id, of which no broker has state: its first record again
    // goes alone.
    assertThat(send(10, RecordKind.METRICS, 1)).isTrue();
    ack(1);
    assertThat(send(11, RecordKind.METRICS, 1)).isTrue();
    ack(2);
    assertThat(delivery.ackedThrough()).isEqualTo(11);
    assertThat(records).hasSize(3);
  }

  private static boolean send(Delivery delivery, long sequence, RecordKind kind) {
    byte[] value = new byte[WireFormat.HEADER_SIZE + 1];
    return delivery.send(sequence, kind, 1, value, false);
  }
}
