package dev.runstream.sdk.internal;

import java.time.Duration;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a {@link Delivery} gets its producer: one of its own ({@link #owned}), closed with the
 * delivery, or one shared by every run of the process with the same settings ({@link
 * SharedProducers}), which outlives the runs.
 */
interface ProducerHandle {
  /** The producer to send with now. */
  Producer<String, byte[]> acquire();

  /**
   * A send through {@code producer} failed after it was handed over: abort it (every record in
   * flight fails, its deliveries send them again) so that the next {@link #acquire()} gives a new
   * one. A shared producer is replaced once however many of its runs report the same failure.
   */
  void abort(Producer<String, byte[]> producer);

  /** The delivery is done with {@code producer}; an owned one is closed within {@code timeout}. */
  void release(Producer<String, byte[]> producer, Duration timeout);

  /** Whether the producer is shared, so {@link #release} does not wait for the run's records. */
  boolean shared();

  /** The first records of {@code producer} (as returned by {@link #acquire()}) per topic. */
  FirstRecords firstRecords(Producer<String, byte[]> producer);

  /** What the handle reports about Kafka's health, once per change. */
  KafkaHealth health();

  /** A producer per delivery, from {@code producers}. */
  static ProducerHandle owned(Supplier<Producer<String, byte[]>> producers) {
    KafkaHealth health = new KafkaHealth("Kafka");
    return new ProducerHandle() {
      private final Logger log = LoggerFactory.getLogger(ProducerHandle.class);

      @Override
      public Producer<String, byte[]> acquire() {
        return producers.get();
      }

      @Override
      public void abort(Producer<String, byte[]> producer) {
        try {
          producer.close(Duration.ZERO);
        } catch (RuntimeException e) {
          log.debug("closing a failed producer: {}", e.toString());
        }
      }

      @Override
      public void release(Producer<String, byte[]> producer, Duration timeout) {
        try {
          producer.close(timeout);
        } catch (RuntimeException e) {
          log.warn("closing a producer: {}", e.toString());
        }
      }

      @Override
      public boolean shared() {
        return false;
      }

      @Override
      public FirstRecords firstRecords(Producer<String, byte[]> producer) {
        return new FirstRecords(); // a new producer per acquire
      }

      @Override
      public KafkaHealth health() {
        return health;
      }
    };
  }
}
