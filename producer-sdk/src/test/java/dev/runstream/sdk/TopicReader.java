package dev.runstream.sdk;

import static org.awaitility.Awaitility.await;

import dev.runstream.deploy.LocalStack;
import dev.runstream.schemas.AvroDeserializer;
import dev.runstream.schemas.SerdeConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a topic of the local stack from its start, for tests that check what reached Kafka. */
final class TopicReader {
  private TopicReader() {}

  /** Reads the topic from the start until at least {@code atLeast} records, then 1 s of quiet. */
  static <T extends SpecificRecord> List<T> readAll(
      LocalStack stack, String topic, Class<T> type, int atLeast) {
    return read(stack, topic, type, atLeast, true);
  }

  /**
   * Reads the topic from the start until at least {@code atLeast} records and, if {@code quiet}, 1
   * s without more (a topic still being written, like the system topic of a live run, is never
   * quiet).
   */
  static <T extends SpecificRecord> List<T> read(
      LocalStack stack, String topic, Class<T> type, int atLeast, boolean quiet) {
    Deserializer<T> values =
        new AvroDeserializer<>(type, SerdeConfig.registry(stack.schemaRegistryUrl()));
    List<T> read = new ArrayList<>();
    try (KafkaConsumer<String, T> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                // A topic the SDK has not created yet is unknown to the consumer until its next
                // metadata refresh (5 minutes by default).
                ConsumerConfig.METADATA_MAX_AGE_CONFIG,
                500),
            new StringDeserializer(),
            values)) {
      consumer.subscribe(List.of(topic));
      long[] quietSince = {System.nanoTime()};
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                for (ConsumerRecord<String, T> r : consumer.poll(Duration.ofMillis(200))) {
                  read.add(r.value());
                  quietSince[0] = System.nanoTime();
                }
                return read.size() >= atLeast
                    && (!quiet || System.nanoTime() - quietSince[0] > 1_000_000_000L);
              });
    }
    return read;
  }
}
