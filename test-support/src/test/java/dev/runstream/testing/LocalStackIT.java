package dev.runstream.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runstream.deploy.LocalStack;
import dev.runstream.deploy.ManagedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The shared stack from the extension, against real clients of each server. */
@ExtendWith(LocalStackExtension.class)
class LocalStackIT {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void startsEveryServerHereAndDescribesThem(LocalStack stack) {
    assertThat(LocalStackExtension.stack()).isSameAs(stack);
    assertThat(stack.kafkaBootstrap()).matches("127\\.0\\.0\\.1:\\d+");
    assertThat(stack.schemaRegistryUrl()).matches("http://127\\.0\\.0\\.1:\\d+/apis/ccompat/v7");
    assertThat(stack.clickhouseUrl()).matches("http://127\\.0\\.0\\.1:\\d+");
    assertThat(stack.servers()).allSatisfy(s -> assertThat(s.isRunning()).isTrue());
    assertThat(stack.describe()).contains("kafka", "schema-registry", "clickhouse", "started here");
  }

  @Test
  void kafkaRoundTrip(LocalStack stack) throws Exception {
    String topic = "it-" + UUID.randomUUID();
    produceAndConsume(stack.kafkaBootstrap(), topic, "run-1", "hello");
  }

  @Test
  void schemaRegistryRegistersAndReturnsAnAvroSchema(LocalStack stack) throws Exception {
    String avro =
        "{\"type\":\"record\",\"name\":\"T\",\"namespace\":\"dev.runstream.test\","
            + "\"fields\":[{\"name\":\"step\",\"type\":\"long\"}]}";
    String body = "{\"schema\": \"" + avro.replace("\"", "\\\"") + "\"}";
    String subject = "t-" + UUID.randomUUID() + "-value";

    HttpResponse<String> registered =
        send(
            HttpRequest.newBuilder(
                    URI.create(stack.schemaRegistryUrl() + "/subjects/" + subject + "/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    assertThat(registered.statusCode()).as(registered.body()).isEqualTo(200);
    String id = registered.body().replaceAll("(?s).*\"id\"\\s*:\\s*(\\d+).*", "$1");
    assertThat(id).matches("\\d+");

    HttpResponse<String> byId =
        send(
            HttpRequest.newBuilder(URI.create(stack.schemaRegistryUrl() + "/schemas/ids/" + id))
                .GET()
                .build());
    assertThat(byId.statusCode()).as(byId.body()).isEqualTo(200);
    assertThat(byId.body()).contains("dev.runstream.test").contains("step");
  }

  @Test
  void clickhouseAnswersSql(LocalStack stack) throws Exception {
    assertThat(clickhouse(stack, "SELECT 1")).isEqualTo("1");
    assertThat(clickhouse(stack, "SELECT version()")).matches("\\d+\\.\\d+.*");
  }

  @Test
  void kafkaCanBeStoppedAndRestartedOnTheSamePortWithItsData(LocalStack stack) throws Exception {
    ManagedServer kafka = stack.kafka();
    String before = kafka.address();
    String topic = "restart-" + UUID.randomUUID();
    produceAndConsume(stack.kafkaBootstrap(), topic, "k", "before");

    kafka.stop();
    assertThat(kafka.isRunning()).isFalse();
    kafka.stop(); // idempotent
    kafka.start();

    assertThat(kafka.isRunning()).isTrue();
    assertThat(kafka.address()).isEqualTo(before);
    // The record written before the restart is still there.
    List<String> values = produceAndConsume(stack.kafkaBootstrap(), topic, "k", "after");
    assertThat(values).containsExactly("before", "after");
  }

  @Test
  void clickhouseCanBeStoppedAndRestartedWithItsData(LocalStack stack) throws Exception {
    String table = "t_" + UUID.randomUUID().toString().replace("-", "");
    clickhouse(stack, "CREATE TABLE " + table + " (x UInt32) ENGINE = MergeTree ORDER BY x");
    clickhouse(stack, "INSERT INTO " + table + " VALUES (42)");

    stack.clickhouse().stop();
    assertThat(stack.clickhouse().isRunning()).isFalse();
    stack.clickhouse().start();

    assertThat(clickhouse(stack, "SELECT sum(x) FROM " + table)).isEqualTo("42");
    clickhouse(stack, "DROP TABLE " + table);
  }

  private static String clickhouse(LocalStack stack, String sql) throws Exception {
    HttpResponse<String> response =
        send(
            HttpRequest.newBuilder(URI.create(stack.clickhouseUrl() + "/"))
                .POST(HttpRequest.BodyPublishers.ofString(sql, StandardCharsets.UTF_8))
                .build());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return response.body().strip();
  }

  private static HttpResponse<String> send(HttpRequest request) throws Exception {
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** Produces one record and reads the topic from the start until it is seen. */
  private static List<String> produceAndConsume(
      String bootstrap, String topic, String key, String value) throws Exception {
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.ACKS_CONFIG,
                "all"),
            new StringSerializer(),
            new StringSerializer())) {
      RecordMetadata sent = producer.send(new ProducerRecord<>(topic, key, value)).get();
      assertThat(sent.offset()).isGreaterThanOrEqualTo(0);
    }
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                "g-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      List<String> seen = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInSameThread()
          .pollInterval(Duration.ZERO)
          .until(
              () -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                  assertThat(r.key()).isEqualTo(key);
                  seen.add(r.value());
                }
                return seen.contains(value);
              });
      return seen;
    }
  }
}
