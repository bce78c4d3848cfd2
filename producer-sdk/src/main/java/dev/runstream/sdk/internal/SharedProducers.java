package dev.runstream.sdk.internal;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One producer per producer configuration for the whole process, shared by every run with that
 * configuration, with one {@link SendBudget} and one {@link KafkaHealth}. The producer lives as
 * long as the process (it is a daemon and holds only connections when idle); a fatal send failure
 * replaces it once.
 */
final class SharedProducers implements ProducerHandle {
  private static final Logger log = LoggerFactory.getLogger(SharedProducers.class);
  private static final Map<String, SharedProducers> BY_CONFIG = new ConcurrentHashMap<>();

  private final Supplier<Producer<String, byte[]>> factory;
  private final SendBudget budget = SendBudget.defaults();
  private final KafkaHealth health;
  private Producer<String, byte[]> current;
  private FirstRecords currentFirst;

  private SharedProducers(Supplier<Producer<String, byte[]>> factory, String where) {
    this.factory = factory;
    this.health = new KafkaHealth(where);
  }

  /** The shared handle for {@code config} (made on first use; the producer on first send). */
  static SharedProducers of(Map<String, Object> config) {
    String key = new TreeMap<>(config).toString();
    return BY_CONFIG.computeIfAbsent(
        key,
        k ->
            new SharedProducers(
                Delivery.kafkaProducers(config), "Kafka at " + config.get("bootstrap.servers")));
  }

  SendBudget budget() {
    return budget;
  }

  @Override
  public synchronized Producer<String, byte[]> acquire() {
    if (current == null) {
      current = factory.get();
      currentFirst = new FirstRecords();
    }
    return current;
  }

  @Override
  public synchronized FirstRecords firstRecords(Producer<String, byte[]> producer) {
    return producer == current ? currentFirst : new FirstRecords();
  }

  @Override
  public void abort(Producer<String, byte[]> producer) {
    synchronized (this) {
      if (producer != current) {
        return; // another run replaced it already
      }
      current = null;
    }
    try {
      producer.close(Duration.ZERO);
    } catch (RuntimeException e) {
      log.debug("closing a failed shared producer: {}", e.toString());
    }
  }

  @Override
  public void release(Producer<String, byte[]> producer, Duration timeout) {
    // Shared: other runs go on with it.
  }

  @Override
  public boolean shared() {
    return true;
  }

  @Override
  public KafkaHealth health() {
    return health;
  }
}
