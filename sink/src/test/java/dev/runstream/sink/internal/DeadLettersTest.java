package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class DeadLettersTest {
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final SinkCounters counters = new SinkCounters();
  private final DeadLetters deadLetters =
      new DeadLetters(
          producer,
          "team.dlq",
          new Retry(3, Duration.ZERO, Duration.ZERO, d -> {}, () -> 0.0, () -> {}),
          counters);

  private static RowBatch.Source source(long offset, String value) {
    return new RowBatch.Source(
        "team.metrics",
        2,
        offset,
        "run-1".getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8));
  }

  private static String header(ProducerRecord<byte[], byte[]> record, String key) {
    return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
  }

  @Test
  void shouldSendEachRecordOnceWithItsBytesTheReasonAndWhereItCameFrom() {
    RowBatch.Source first = source(7, "bad");
    RowBatch.Source second = source(9, "worse");

    boolean sent = deadLetters.send(List.of(first, first, second), "ClickHouse rejected it");

    assertThat(sent).isTrue();
    assertThat(producer.history()).hasSize(2);
    ProducerRecord<byte[], byte[]> out = producer.history().get(0);
    assertThat(out.topic()).isEqualTo("team.dlq");
    assertThat(out.key()).isEqualTo(first.key());
    assertThat(out.value()).isEqualTo(first.value());
    assertThat(header(out, DeadLetters.ERROR_HEADER)).isEqualTo("ClickHouse rejected it");
    assertThat(header(out, DeadLetters.SOURCE_TOPIC_HEADER)).isEqualTo("team.metrics");
    assertThat(header(out, DeadLetters.SOURCE_PARTITION_HEADER)).isEqualTo("2");
    assertThat(header(out, DeadLetters.SOURCE_OFFSET_HEADER)).isEqualTo("7");
    assertThat(header(producer.history().get(1), DeadLetters.SOURCE_OFFSET_HEADER)).isEqualTo("9");
    assertThat(counters.deadLettered.sum()).isEqualTo(2);
    assertThat(deadLetters.topic()).isEqualTo("team.dlq");
  }

  @Test
  void shouldSayWhenTheBrokerDidNotTakeARecordSoTheCallerDoesNotSkipIt() {
    producer.sendException = new TimeoutException("broker away");

    boolean sent = deadLetters.send(List.of(source(7, "bad")), "undecodable record");

    assertThat(sent).isFalse();
    assertThat(counters.deadLettered.sum()).isZero();
  }
}
