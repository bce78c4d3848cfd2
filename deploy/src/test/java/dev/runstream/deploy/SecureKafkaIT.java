package dev.runstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A broker started with SASL/SCRAM and ACLs: each team's credentials reach its own topics and
 * groups and nothing of another team's; a wrong password is refused; no secret on a command line.
 */
@Timeout(180)
class SecureKafkaIT {
  private static LocalStack stack;

  @BeforeAll
  static void start() {
    stack =
        LocalStack.builder()
            .useEnvironment(false)
            .withSchemaRegistry(false)
            .withClickHouse(false)
            .secureKafka(List.of("team-a", "team-b"))
            .start();
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private static Map<String, Object> props(Path file) throws Exception {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      p.load(in);
    }
    Map<String, Object> map = new HashMap<>();
    p.stringPropertyNames().forEach(k -> map.put(k, p.getProperty(k)));
    return map;
  }

  private static void produce(Map<String, Object> client, String topic) throws Exception {
    Map<String, Object> props = new HashMap<>(client);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "run-1", "hello")).get();
    }
  }

  private static List<String> consume(Map<String, Object> client, String topic, String group) {
    Map<String, Object> props = new HashMap<>(client);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      List<String> seen = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (seen.isEmpty() && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          seen.add(r.value());
        }
      }
      return seen;
    }
  }

  @Test
  void aTeamWritesAndReadsItsOwnTopics() throws Exception {
    Map<String, Object> a = props(stack.kafkaTeamProperties("team-a"));
    String topic = "team-a.runs-" + UUID.randomUUID();

    produce(a, topic);

    assertThat(consume(a, topic, "team-a.cli-" + UUID.randomUUID())).containsExactly("hello");
  }

  @Test
  void anotherTeamCannotWriteATeamsTopic() throws Exception {
    Map<String, Object> b = props(stack.kafkaTeamProperties("team-b"));
    String topic = "team-a.metrics-" + UUID.randomUUID();

    assertThatThrownBy(() -> produce(b, topic))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(TopicAuthorizationException.class)
        .hasMessageContaining(topic)
        .satisfies(
            e ->
                assertThat(((TopicAuthorizationException) e).unauthorizedTopics())
                    .containsExactly(topic));
  }

  @Test
  void anotherTeamCannotReadATeamsTopicNorJoinItsGroups() throws Exception {
    Map<String, Object> a = props(stack.kafkaTeamProperties("team-a"));
    Map<String, Object> b = props(stack.kafkaTeamProperties("team-b"));
    String topic = "team-a.alerts-" + UUID.randomUUID();
    produce(a, topic);

    assertThatThrownBy(() -> consume(b, topic, "team-b.reader-" + UUID.randomUUID()))
        .isInstanceOf(TopicAuthorizationException.class)
        .hasMessageContaining(topic);
    assertThatThrownBy(() -> consume(b, "team-b.own", "team-a.sink"))
        .isInstanceOf(GroupAuthorizationException.class)
        .satisfies(
            e -> assertThat(((GroupAuthorizationException) e).groupId()).isEqualTo("team-a.sink"));
  }

  @Test
  void aTeamsServiceUserMayCreateItsStreamsInternalTopics() throws Exception {
    Map<String, Object> service = props(stack.kafkaServiceProperties("team-a"));
    String topic = "team-a.processor-summaries-changelog-" + UUID.randomUUID();
    try (var admin = org.apache.kafka.clients.admin.Admin.create(service)) {
      admin
          .createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1)))
          .all()
          .get();
      assertThat(admin.listTopics().names().get()).contains(topic);
      // Listing shows only what the user may describe: no other team's topics.
      assertThat(admin.listTopics().names().get()).allMatch(t -> t.startsWith("team-a."));
    }
  }

  @Test
  void aWrongPasswordIsRefused() throws Exception {
    Map<String, Object> a = props(stack.kafkaTeamProperties("team-a"));
    a.put(
        "sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required"
            + " username=\"team-a\" password=\"wrong\";");

    assertThatThrownBy(() -> produce(a, "team-a.runs"))
        .hasRootCauseInstanceOf(SaslAuthenticationException.class);
  }

  @Test
  void credentialsArePrivateFilesAndOnNoCommandLine() throws Exception {
    List<Path> files =
        List.of(
            stack.kafkaAdminProperties(),
            stack.kafkaTeamProperties("team-a"),
            stack.kafkaServiceProperties("team-b"),
            stack.dataDir().resolve("kafka/server.properties"));
    for (Path file : files) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .as(file.toString())
          .isEqualTo("rw-------");
    }
    String jaas = (String) props(stack.kafkaAdminProperties()).get("sasl.jaas.config");
    String password = jaas.replaceAll(".*password=\"([^\"]+)\".*", "$1");
    assertThat(password).hasSizeGreaterThanOrEqualTo(20);
    assertThat(StackProcesses.of(stack.dataDir()))
        .isNotEmpty()
        .noneSatisfy(cmd -> assertThat(cmd).contains(password));
    assertThat(stack.dataDir().resolve("kafka/format.args")).doesNotExist();
  }
}
