package dev.runstream.sink.internal;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's dead-letter topic: each record that cannot be stored goes there with its original key
 * and bytes, the reason and where it came from in headers, and the broker's acknowledgement is
 * awaited (with {@link Retry}), so that a record is skipped only once it is safely elsewhere.
 *
 * <p>Thread-safe (the producer is): the consumer thread sends undecodable records, the writer
 * thread the records of rows ClickHouse rejected.
 */
public final class DeadLetters {
  /** Header with the reason the record could not be stored. */
  public static final String ERROR_HEADER = "runstream.error";

  /** Header with the topic the record was read from. */
  public static final String SOURCE_TOPIC_HEADER = "runstream.source.topic";

  /** Header with the partition the record was read from. */
  public static final String SOURCE_PARTITION_HEADER = "runstream.source.partition";

  /** Header with the offset the record was read at. */
  public static final String SOURCE_OFFSET_HEADER = "runstream.source.offset";

  private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);
  private static final long SEND_TIMEOUT_SECONDS = 30;

  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final Retry retry;
  private final SinkCounters counters;

  /** Sends to {@code topic}; counts each record sent in {@link SinkCounters#deadLettered}. */
  public DeadLetters(
      Producer<byte[], byte[]> producer, String topic, Retry retry, SinkCounters counters) {
    this.producer = Objects.requireNonNull(producer, "producer");
    this.topic = Objects.requireNonNull(topic, "topic");
    this.retry = Objects.requireNonNull(retry, "retry");
    this.counters = Objects.requireNonNull(counters, "counters");
  }

  /** The dead-letter topic. */
  public String topic() {
    return topic;
  }

  /**
   * Sends each of {@code sources} once (a record that contributed rows to a table several times is
   * sent once), waiting for the broker. Blocks; never throws.
   *
   * @return false when a send failed after its retries, so the caller must not skip the records
   */
  public boolean send(List<RowBatch.Source> sources, String reason) {
    Set<RowBatch.Source> seen = new HashSet<>();
    try {
      for (RowBatch.Source s : sources) {
        if (!seen.add(s)) {
          continue;
        }
        RecordHeaders headers = new RecordHeaders();
        headers.add(ERROR_HEADER, utf8(reason));
        headers.add(SOURCE_TOPIC_HEADER, utf8(s.topic()));
        headers.add(SOURCE_PARTITION_HEADER, utf8(Integer.toString(s.partition())));
        headers.add(SOURCE_OFFSET_HEADER, utf8(Long.toString(s.offset())));
        ProducerRecord<byte[], byte[]> out =
            new ProducerRecord<>(topic, null, null, s.key(), s.value(), headers);
        retry.run(
            "dead-letter " + s.topic() + "-" + s.partition() + "@" + s.offset(),
            () -> producer.send(out).get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS));
        counters.deadLettered.increment();
        log.warn(
            "dead-lettered {}-{}@{} to {}: {}",
            s.topic(),
            s.partition(),
            s.offset(),
            topic,
            reason);
      }
      return true;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.error("cannot write to the dead-letter topic {}", topic, e);
      return false;
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
