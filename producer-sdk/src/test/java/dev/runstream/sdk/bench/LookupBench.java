package dev.runstream.sdk.bench;

import dev.runstream.deploy.LocalStack;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.sdk.Resume;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * How fast {@code init} reads a run's partition back from Kafka: {@code init(id, ALLOW)} of an id
 * that is not there, over a runs partition of {@value #RECORDS} records of other runs (the worst
 * case: the whole partition is read, newest window first), against the floor, a plain consumer
 * reading the same partition forward, in the same run. Not JMH: each measurement is one long read.
 */
final class LookupBench {
  static final int RECORDS = 1_000_000;
  private static final int ROUNDS = 3;

  private LookupBench() {}

  static void run() throws IOException {
    try (LocalStack stack = LocalStack.builder().withClickHouse(false).start()) {
      String prefix = "lookup-bench-" + System.nanoTime() + ".";
      Topics topics = Topics.withPrefix(prefix);
      try (Admin admin =
          Admin.create(
              Map.<String, Object>of(
                  AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
        TopicSetup.ensure(admin, topics, TopicSetup.DEFAULT_PARTITIONS, (short) 1);
      }
      int partition = partitionOf("absent-run-0");
      fill(stack, topics.runs.name(), partition);
      Path dir = Files.createTempDirectory("lookup-bench");
      int candidate = 0;
      for (int round = 0; round < ROUNDS; round++) {
        // A new id each round (a finished round's run is in Kafka), in the filled partition.
        String id;
        do {
          id = "absent-run-" + candidate++;
        } while (partitionOf(id) != partition);
        double floor = forward(stack, new TopicPartition(topics.runs.name(), partition));
        long started = System.nanoTime();
        Run run =
            Runstream.init(
                RunOptions.builder("bench", Map.of())
                    .kafkaBootstrap(stack.kafkaBootstrap())
                    .schemaRegistryUrl(stack.schemaRegistryUrl())
                    .topicPrefix(prefix)
                    .directory(dir.resolve("round-" + round))
                    .runId(id)
                    .resume(Resume.ALLOW)
                    .resumeLookupTimeout(Duration.ofSeconds(120))
                    .systemMetricsInterval(Duration.ZERO)
                    .build());
        double seconds = (System.nanoTime() - started) / 1e9;
        run.finish();
        deleteTree(dir.resolve("round-" + round));
        double sdk = RECORDS / seconds;
        System.out.printf(
            "init(ALLOW) of a new id over %,d records: %.2f s, %.0f records/s; forward read"
                + " of the same partition %.0f records/s; ratio %.2f%n",
            RECORDS, seconds, sdk, floor, sdk / floor);
      }
      Files.delete(dir);
    }
  }

  private static int partitionOf(String runId) {
    return BuiltInPartitioner.partitionForKey(
        runId.getBytes(StandardCharsets.UTF_8), TopicSetup.DEFAULT_PARTITIONS);
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static void fill(LocalStack stack, String topic, int partition) {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrap(),
                ProducerConfig.LINGER_MS_CONFIG,
                20,
                ProducerConfig.COMPRESSION_TYPE_CONFIG,
                "lz4"),
            new StringSerializer(),
            new ByteArraySerializer())) {
      // About the size of a heartbeat event in the wire format.
      byte[] value = new byte[100];
      for (int i = 0; i < RECORDS; i++) {
        producer.send(new ProducerRecord<>(topic, partition, "other-run-" + (i % 500), value));
      }
      producer.flush();
    }
  }

  /** Records per second of a consumer reading the whole partition from its start. */
  private static double forward(LocalStack stack, TopicPartition tp) {
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrap(),
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                10_000,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                8 * 1024 * 1024),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      long started = System.nanoTime();
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long read = 0;
      while (read < RECORDS) {
        read += consumer.poll(Duration.ofMillis(100)).count();
      }
      return read / ((System.nanoTime() - started) / 1e9);
    }
  }
}
