package dev.runstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.deploy.LocalStack;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.testing.LocalStackExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The hand-written registry client and serdes against a real registry (Apicurio's ccompat API). */
@ExtendWith(LocalStackExtension.class)
class HttpSchemaRegistryClientIT {
  private final String url;
  private final HttpSchemaRegistryClient client;

  HttpSchemaRegistryClientIT(LocalStack stack) {
    this.url = stack.schemaRegistryUrl();
    this.client = new HttpSchemaRegistryClient(url);
  }

  private static String subject() {
    return "it-" + UUID.randomUUID() + "-value";
  }

  private static Schema v1() {
    return SchemaBuilder.record("Point").namespace("it").fields().requiredLong("step").endRecord();
  }

  @Test
  void shouldRegisterAndFetchBackBySchemaId() {
    String subject = subject();
    int id = client.register(subject, v1());

    HttpSchemaRegistryClient fresh = new HttpSchemaRegistryClient(url); // no cache
    assertThat(fresh.schemaById(id)).isEqualTo(v1());
    assertThat(fresh.register(subject, v1())).as("same schema, same id").isEqualTo(id);
  }

  @Test
  @Timeout(60)
  void shouldGiveEveryClientTheSameIdWhenManyRegisterANewSubjectAtOnce() throws Exception {
    // Many runs starting together each register the first version of a subject; a registry that
    // answers all but one of them with 409 must not make them fail.
    String subject = subject();
    int clients = 8;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      CyclicBarrier together = new CyclicBarrier(clients);
      List<Future<Integer>> ids = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        ids.add(
            pool.submit(
                () -> {
                  HttpSchemaRegistryClient own = new HttpSchemaRegistryClient(url);
                  together.await();
                  return own.register(subject, v1());
                }));
      }
      Set<Integer> distinct = new HashSet<>();
      for (Future<Integer> id : ids) {
        distinct.add(id.get());
      }
      assertThat(distinct).hasSize(1);
      assertThat(client.schemaById(distinct.iterator().next())).isEqualTo(v1());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldStillRefuseAnIncompatibleSchema() throws Exception {
    String subject = subject();
    client.register(subject, v1());
    setCompatibility(subject, "BACKWARD");
    Schema withoutDefault =
        SchemaBuilder.record("Point")
            .namespace("it")
            .fields()
            .requiredLong("step")
            .requiredDouble("value")
            .endRecord();

    assertThatThrownBy(() -> client.register(subject, withoutDefault))
        .isInstanceOf(SchemaRegistryException.class)
        .satisfies(e -> assertThat(((SchemaRegistryException) e).status()).isEqualTo(409));
  }

  @Test
  void shouldAnswerRepeatedQuestionsFromItsCache() {
    String subject = subject();
    int id = client.register(subject, v1());
    HttpSchemaRegistryClient unreachable = new HttpSchemaRegistryClient("http://127.0.0.1:1/x");

    assertThat(client.register(subject, v1())).isEqualTo(id);
    assertThatThrownBy(() -> unreachable.register(subject, v1()))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("did not answer");
  }

  @Test
  void shouldTellCompatibleFromIncompatibleEvolution() throws Exception {
    String subject = subject();
    client.register(subject, v1());
    setCompatibility(subject, "BACKWARD");
    Schema withDefault =
        SchemaBuilder.record("Point")
            .namespace("it")
            .fields()
            .requiredLong("step")
            .name("value")
            .type()
            .doubleType()
            .doubleDefault(0)
            .endRecord();
    Schema withoutDefault =
        SchemaBuilder.record("Point")
            .namespace("it")
            .fields()
            .requiredLong("step")
            .requiredDouble("value")
            .endRecord();

    assertThat(client.isCompatible(subject, withDefault)).isTrue();
    assertThat(client.isCompatible(subject, withoutDefault)).isFalse();
    assertThat(client.isCompatible(subject(), withoutDefault)).as("new subject").isTrue();
  }

  @Test
  void shouldReportAnUnknownSchemaIdWithTheRegistryStatus() {
    assertThatThrownBy(() -> client.schemaById(987_654))
        .isInstanceOf(SchemaRegistryException.class)
        .satisfies(e -> assertThat(((SchemaRegistryException) e).status()).isEqualTo(404));
  }

  @Test
  void shouldRoundTripRecordsThroughTheRealRegistry() {
    MetricBatch batch =
        MetricBatch.newBuilder()
            .setRunId("r")
            .setStep(1)
            .setTimestampMs(2)
            .setNames(List.of("loss"))
            .setValues(List.of(0.25))
            .build();
    String topic = "it-" + UUID.randomUUID();
    byte[] bytes = new AvroSerializer<MetricBatch>(client).serialize(topic, batch);
    AvroDeserializer<MetricBatch> reader =
        new AvroDeserializer<>(MetricBatch.class, new HttpSchemaRegistryClient(url));

    assertThat(reader.deserialize(topic, bytes)).isEqualTo(batch);
    int id =
        ((bytes[1] & 0xff) << 24)
            | ((bytes[2] & 0xff) << 16)
            | ((bytes[3] & 0xff) << 8)
            | (bytes[4] & 0xff);
    assertThat(client.schemaById(id)).isEqualTo(MetricBatch.getClassSchema());
  }

  private void setCompatibility(String subject, String level) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url + "/config/" + subject))
                    .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                    .PUT(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"compatibility\":\"" + level + "\"}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }
}
