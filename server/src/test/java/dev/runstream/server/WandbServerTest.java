package dev.runstream.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP surface that needs no Kafka: authentication, the answers that do not open a run,
 * uploads, and every refusal with its status and message.
 */
class WandbServerTest {
  private static final String KEY = "local-" + "a1".repeat(20);
  private static final String TEAM = "vision";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  @TempDir Path dir;
  private WandbServer server;

  @BeforeEach
  void start() {
    // Kafka is never reached by these requests; an unused port keeps it that way.
    server =
        WandbServer.start(
            ServerConfig.builder("127.0.0.1:1", "http://127.0.0.1:1")
                .host("127.0.0.1")
                .port(0)
                .dataDir(dir)
                .maxBodyBytes(4096)
                .apiKey(KEY, TEAM)
                .build());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void shouldSayWhichSettingTheWebPageNeedsWhenClickHouseIsNotConfigured() throws Exception {
    for (String path : new String[] {"/web/index.html", "/web", "/api/projects"}) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                  .header("Authorization", basic(KEY))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path).isEqualTo(503);
      assertThat(JSON.readTree(r.body()).path("error").asText())
          .as(path)
          .contains("CLICKHOUSE_URL");
    }
    HttpResponse<String> root =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(root.statusCode()).isEqualTo(302);
    assertThat(root.headers().firstValue("Location")).contains("/web/");
  }

  @Test
  void shouldRefuseRequestsWithoutAKnownKeyAsTheClientReportsInvalidKeys() throws Exception {
    HttpResponse<String> none = post("/graphql", viewer(), null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(message(none)).startsWith("no API key");
    HttpResponse<String> wrong = post("/graphql", viewer(), "b".repeat(40));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(message(wrong)).startsWith("invalid API key");
    HttpResponse<String> stream = post("/files/x/p/r/file_stream", "{}", "b".repeat(40));
    assertThat(stream.statusCode()).isEqualTo(401);
  }

  @Test
  void shouldAnswerTheViewerWithTheKeysTeamWhateverEntityIsNamed() throws Exception {
    HttpResponse<String> r = post("/graphql", viewer(), KEY);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode viewer = JSON.readTree(r.body()).path("data").path("viewer");
    assertThat(viewer.path("entity").asText()).isEqualTo(TEAM);
    assertThat(viewer.path("username").asText()).isEqualTo(TEAM);
    assertThat(viewer.path("teams").path("edges").get(0).path("node").path("name").asText())
        .isEqualTo(TEAM);
  }

  @Test
  void shouldAnswerServerFeaturesAndTheOrganisationQueryHarmlessly() throws Exception {
    JsonNode features =
        JSON.readTree(
            post(
                    "/graphql",
                    query("query ServerFeaturesQuery { serverInfo { features { name } } }"),
                    KEY)
                .body());
    assertThat(features.path("data").path("serverInfo").path("features").isArray()).isTrue();
    assertThat(features.path("data").path("serverInfo").path("features")).isEmpty();
    JsonNode org =
        JSON.readTree(
            post(
                    "/graphql",
                    query("query OrganizationCoreWeaveOrganizationID ($entityName: String!) { x }"),
                    KEY)
                .body());
    assertThat(org.path("data").has("entity")).isTrue();
    assertThat(org.path("data").path("entity").isNull()).isTrue();
  }

  @Test
  void shouldRefuseUnknownOperationsAndMalformedRequestsWithAMessage() throws Exception {
    HttpResponse<String> unknown = post("/graphql", query("query ArtifactManifest { x }"), KEY);
    assertThat(unknown.statusCode()).isEqualTo(200);
    assertThat(message(unknown))
        .contains("does not support the GraphQL operation 'ArtifactManifest'");
    HttpResponse<String> notJson = post("/graphql", "{\"query\": ", KEY);
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(message(notJson)).startsWith("GraphQL request is not valid JSON");
    HttpResponse<String> anonymous = post("/graphql", query("{ viewer { id } }"), KEY);
    assertThat(anonymous.statusCode()).isEqualTo(400);
    assertThat(message(anonymous)).contains("names no operation");
    HttpResponse<String> noQuery = post("/graphql", "{\"variables\": {}}", KEY);
    assertThat(noQuery.statusCode()).isEqualTo(400);
    assertThat(message(noQuery)).contains("no \"query\" string");
    HttpResponse<String> badStream = post("/files/x/p/r/file_stream", "[1, 2", KEY);
    assertThat(badStream.statusCode()).isEqualTo(400);
    assertThat(message(badStream)).startsWith("file_stream is not valid JSON");
    // A malformed line refuses the whole post, before any run is opened for it.
    HttpResponse<String> badLine =
        post(
            "/files/x/p/r/file_stream",
            "{\"files\":{\"wandb-history.jsonl\":{\"offset\":4,\"content\":"
                + "[\"{\\\"_step\\\":4,\\\"_timestamp\\\":1.7e9}\",\"{\\\"_step\\\":\\\"x\\\"}\"]}}}",
            KEY);
    assertThat(badLine.statusCode()).isEqualTo(400);
    assertThat(message(badLine))
        .isEqualTo(
            "wandb-history.jsonl line 5: _step is \"x\"; expected a non-negative whole number");
    HttpResponse<String> badComplete =
        post("/files/x/p/r/file_stream", "{\"complete\":\"yes\"}", KEY);
    assertThat(badComplete.statusCode()).isEqualTo(400);
    assertThat(message(badComplete)).contains("\"complete\" is \"yes\"; expected true or false");
    HttpResponse<String> badUpsert =
        post(
            "/graphql",
            "{\"query\":\"mutation UpsertBucket { x }\",\"variables\":{\"name\":\"r1\","
                + "\"config\":\"{not json\"}}",
            KEY);
    assertThat(badUpsert.statusCode()).isEqualTo(400);
    assertThat(message(badUpsert)).contains("config").contains("not valid JSON");
  }

  @Test
  void shouldRefuseBodiesOverTheLimitAndUnknownPaths() throws Exception {
    HttpResponse<String> big =
        post("/graphql", query("query Viewer { viewer { id } } #" + "x".repeat(5000)), KEY);
    assertThat(big.statusCode()).isEqualTo(413);
    assertThat(message(big)).isNotBlank();
    HttpResponse<String> otel = post("/sdk/otel/v1/metrics", "", KEY);
    assertThat(otel.statusCode()).isEqualTo(404);
    assertThat(otel.body()).contains("does not collect client telemetry");
    HttpResponse<String> other = post("/api/v1/nothing", "{}", KEY);
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(message(other)).contains("has no POST /api/v1/nothing");
  }

  @Test
  void shouldStoreUploadsOnlyAtTheUrlsItSigned() throws Exception {
    String files =
        JSON.writeValueAsString(
            Map.of(
                "query",
                "mutation CreateRunFiles ($entity: String!) { createRunFiles { runID } }",
                "variables",
                Map.of(
                    "entity", "someone-else",
                    "project", "my project",
                    "run", "abc123",
                    "files", new String[] {"config.yaml", "media/ü.txt"})));
    JsonNode created =
        JSON.readTree(post("/graphql", files, KEY).body()).path("data").path("createRunFiles");
    assertThat(created.path("files")).hasSize(2);
    String url = created.path("files").get(0).path("uploadUrl").asText();
    assertThat(url)
        .startsWith(
            "http://127.0.0.1:"
                + server.port()
                + "/upload/vision/my%20project/abc123/config.yaml?sig=");

    assertThat(put(url, "lr: 0.02\n").statusCode()).isEqualTo(200);
    assertThat(put(created.path("files").get(1).path("uploadUrl").asText(), "ü").statusCode())
        .isEqualTo(200);
    // The team comes from the key, not from the entity the request named.
    Path stored = dir.resolve("files").resolve("vision").resolve("my+project").resolve("abc123");
    assertThat(Files.readString(stored.resolve("config.yaml"))).isEqualTo("lr: 0.02\n");
    assertThat(Files.readString(stored.resolve("media").resolve("ü.txt"))).isEqualTo("ü");

    HttpResponse<String> forged = put(url.replace("config.yaml", "other.yaml"), "x");
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(message(forged)).contains("not signed by this server");
    assertThat(stored.resolve("other.yaml")).doesNotExist();
  }

  private static String viewer() {
    return query("query Viewer { viewer { id entity } }");
  }

  private static String query(String text) {
    try {
      return JSON.writeValueAsString(Map.of("query", text));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String basic(String key) {
    return "Basic "
        + Base64.getEncoder().encodeToString(("api:" + key).getBytes(StandardCharsets.UTF_8));
  }

  private static String message(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).path("errors").get(0).path("message").asText();
  }

  private HttpResponse<String> post(String path, String body, String key) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (key != null) {
      b.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString(("api:" + key).getBytes(StandardCharsets.UTF_8)));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private HttpResponse<String> put(String url, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .PUT(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }
}
