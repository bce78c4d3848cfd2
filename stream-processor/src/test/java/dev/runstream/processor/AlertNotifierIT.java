package dev.runstream.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.runstream.deploy.LocalStack;
import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.Severity;
import dev.runstream.schemas.config.KafkaClients;
import dev.runstream.testing.LocalStackExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The notifier end to end: alerts on the real alerts topic are posted to webhooks on a real HTTP
 * server on loopback, as generic JSON and as Slack bodies, with a retry after a server error;
 * alerts of aborted transactions, alerts below the minimum severity and records that are not alerts
 * are not posted, and do not stop the ones after them. The notifier is bound to a team, so the
 * bodies name that team whatever the alerts say.
 */
@ExtendWith(LocalStackExtension.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AlertNotifierIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private HttpServer server;
  private final List<String> generic = new CopyOnWriteArrayList<>();
  private final List<String> slack = new CopyOnWriteArrayList<>();
  private final AtomicInteger genericRequests = new AtomicInteger();
  private final AtomicInteger genericFailuresLeft = new AtomicInteger(1);

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/generic",
        ex -> {
          genericRequests.incrementAndGet();
          answer(ex, generic, genericFailuresLeft.getAndDecrement() > 0 ? 503 : 200);
        });
    server.createContext("/slack", ex -> answer(ex, slack, 200));
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  private static void answer(HttpExchange ex, List<String> into, int status) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    if (status == 200) {
      into.add(body);
    }
    ex.sendResponseHeaders(status, -1);
    ex.close();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  private static Alert alert(String rule, Severity severity, String message) {
    return Alert.newBuilder()
        .setRunId("r1")
        .setEntity("team")
        .setProject("tinyllm")
        .setTimestampMs(System.currentTimeMillis())
        .setRule(rule)
        .setSeverity(severity)
        .setTitle(rule + " in tinyllm/r1")
        .setMessage(message)
        .setEpisodeId("r1/" + rule + "/" + UUID.randomUUID())
        .build();
  }

  @Test
  void shouldPostCommittedAlertsOfEveryKindAndSkipTheRest(LocalStack stack) throws Exception {
    Topics topics =
        Topics.withPrefix("notify-" + UUID.randomUUID().toString().substring(0, 8) + ".");
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
      TopicSetup.ensure(admin, topics, TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    SchemaRegistry registry = SerdeConfig.registry(stack.schemaRegistryUrl());
    NotifierConfig config =
        new NotifierConfig(
            List.of(uri("/generic")),
            List.of(uri("/slack")),
            Severity.WARNING,
            3,
            Duration.ofMillis(50),
            Duration.ofSeconds(1),
            Duration.ofSeconds(10));
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
    Properties txProps = new Properties();
    txProps.putAll(props);
    txProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "notify-test-" + UUID.randomUUID());
    try (AlertNotifier notifier =
            AlertNotifier.start(
                config,
                KafkaClients.of(stack.kafkaBootstrap()),
                registry,
                topics,
                "notifier-" + UUID.randomUUID(),
                Optional.of("vision"));
        KafkaProducer<String, Alert> alerts =
            new KafkaProducer<>(
                props, new StringSerializer(), topics.alerts.serde(registry).serializer());
        KafkaProducer<String, Alert> transactional =
            new KafkaProducer<>(
                txProps, new StringSerializer(), topics.alerts.serde(registry).serializer());
        KafkaProducer<byte[], byte[]> raw =
            new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      // A new notifier starts at the end of the topic; send alerts below the minimum severity
      // until it has read one, so that it is known to read everything sent after.
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                alerts
                    .send(
                        new ProducerRecord<>(
                            topics.alerts.name(), "r1", alert("plateau", Severity.INFO, "probe")))
                    .get();
                return notifier.filtered() > 0;
              });

      alerts
          .send(
              new ProducerRecord<>(
                  topics.alerts.name(),
                  "r1",
                  alert("user", Severity.WARNING, "accuracy below 0.5 after epoch 3")))
          .get();
      raw.send(
              new ProducerRecord<>(
                  topics.alerts.name(),
                  "r1".getBytes(StandardCharsets.UTF_8),
                  "not an alert".getBytes(StandardCharsets.UTF_8)))
          .get();
      transactional.initTransactions();
      transactional.beginTransaction();
      transactional.send(
          new ProducerRecord<>(
              topics.alerts.name(),
              "r1",
              alert("divergence", Severity.CRITICAL, "from an aborted transaction")));
      transactional.flush();
      transactional.abortTransaction();
      alerts
          .send(
              new ProducerRecord<>(
                  topics.alerts.name(),
                  "r1",
                  alert(
                      "divergence",
                      Severity.CRITICAL,
                      "val_loss diverged: 3.20 at step 1200, best 0.41 at step 800 (7.8x)")))
          .get();

      await().atMost(Duration.ofMinutes(2)).until(() -> notifier.posted() == 2);
      assertThat(notifier.skipped()).as("the record that is not an alert").isEqualTo(1);

      assertThat(generic).hasSize(2);
      JsonNode user = JSON.readTree(generic.get(0));
      assertThat(user.get("rule").asText()).isEqualTo("user");
      assertThat(user.get("severity").asText()).isEqualTo("WARNING");
      assertThat(user.get("message").asText()).isEqualTo("accuracy below 0.5 after epoch 3");
      assertThat(user.get("entity").asText())
          .as("the team that owns the topics, not the one the alert names")
          .isEqualTo("vision");
      JsonNode divergence = JSON.readTree(generic.get(1));
      assertThat(divergence.get("rule").asText()).isEqualTo("divergence");
      assertThat(divergence.get("message").asText())
          .isEqualTo("val_loss diverged: 3.20 at step 1200, best 0.41 at step 800 (7.8x)");
      assertThat(genericRequests.get()).as("one retry after the 503").isEqualTo(3);

      assertThat(slack).hasSize(2);
      assertThat(JSON.readTree(slack.get(0)).get("text").asText())
          .startsWith(":warning: *user in tinyllm/r1*\naccuracy below 0.5 after epoch 3");
      assertThat(JSON.readTree(slack.get(1)).get("text").asText())
          .startsWith(":rotating_light: *divergence in tinyllm/r1*\nval_loss diverged");
      assertThat(String.join("\n", generic) + String.join("\n", slack))
          .doesNotContain("aborted")
          .doesNotContain("probe");
    }
  }
}
