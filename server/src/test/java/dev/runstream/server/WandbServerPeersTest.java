package dev.runstream.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.server.internal.PeerRouter;
import dev.runstream.server.internal.RunKey;
import dev.runstream.server.internal.RunOwners;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Servers sharing the work, over HTTP, with requests that need no Kafka: a request for a run
 * another server owns is answered by that server through the one the client reached; a forwarded
 * request is never forwarded again; an owner that is down gives 503 naming it.
 */
class WandbServerPeersTest {
  private static final String KEY = "local-" + "a1".repeat(20);
  private static final String TEAM = "vision";
  private static final String PROJECT = "my project";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<WandbServer> servers = new ArrayList<>();
  @TempDir Path dir;

  @AfterEach
  void stop() {
    servers.forEach(WandbServer::close);
  }

  @Test
  void shouldAnswerARunOfAnotherServerThroughThatServer() throws Exception {
    int[] ports = freePorts(2);
    URI a = url(ports[0]);
    URI b = url(ports[1]);
    start("a", ports[0], a, List.of(a, b));
    start("b", ports[1], b, List.of(a, b));
    String run = runOwnedBy(new RunOwners(List.of(a, b)), b::equals);

    JsonNode created =
        JSON.readTree(post(a, "/graphql", createRunFiles(run), null).body())
            .path("data")
            .path("createRunFiles");
    assertThat(created.path("files")).as("%s", created).hasSize(1);
    String upload = created.path("files").get(0).path("uploadUrl").asText();
    // Signed by b (its secret), but through a: the client keeps using the address it reached.
    assertThat(upload).startsWith(a + "/upload/vision/my%20project/" + run + "/config.yaml?sig=");

    HttpResponse<String> put = put(upload, "lr: 0.02\n", null);
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    Path onB = runFiles("b", run).resolve("config.yaml");
    assertThat(Files.readString(onB)).isEqualTo("lr: 0.02\n");
    assertThat(runFiles("a", run)).doesNotExist();

    // Behind a load balancer that says where the client is, the URLs lead back through it.
    JsonNode balanced =
        JSON.readTree(
                post(
                        a,
                        "/graphql",
                        createRunFiles(run),
                        Map.of(
                            "X-Forwarded-Host", "lb.example:8443, 10.0.0.9",
                            "X-Forwarded-Proto", "https"))
                    .body())
            .path("data")
            .path("createRunFiles");
    assertThat(balanced.path("files").get(0).path("uploadUrl").asText())
        .startsWith(
            "https://lb.example:8443/upload/vision/my%20project/" + run + "/config.yaml?sig=")
        .endsWith(upload.substring(upload.indexOf("?sig=")));

    // A run a owns is answered by a alone: b never signs its URL.
    String own = runOwnedBy(new RunOwners(List.of(a, b)), a::equals);
    String ownUpload =
        JSON.readTree(post(a, "/graphql", createRunFiles(own), null).body())
            .path("data")
            .path("createRunFiles")
            .path("files")
            .get(0)
            .path("uploadUrl")
            .asText();
    assertThat(put(ownUpload, "x", null).statusCode()).isEqualTo(200);
    assertThat(runFiles("a", own).resolve("config.yaml")).exists();
    assertThat(runFiles("b", own)).doesNotExist();
  }

  @Test
  void shouldNeverForwardAForwardedRequestAgain() throws Exception {
    int[] ports = freePorts(3);
    URI a = url(ports[0]);
    URI b = url(ports[1]);
    URI c = url(ports[2]); // in b's list only; nothing listens there
    start("a", ports[0], a, List.of(a, b));
    start("b", ports[1], b, List.of(a, b, c));
    RunOwners aView = new RunOwners(List.of(a, b));
    RunOwners bView = new RunOwners(List.of(a, b, c));
    String run = null;
    for (int i = 0; run == null; i++) {
      RunKey key = new RunKey(TEAM, PROJECT, "r" + i);
      if (aView.owner(key).equals(b) && bView.owner(key).equals(c)) {
        run = key.runId();
      }
    }

    // a forwards to b, which would forward to c: it refuses instead, and a passes that on.
    HttpResponse<String> chained = post(a, "/graphql", createRunFiles(run), null);
    assertThat(chained.statusCode()).isEqualTo(503);
    assertThat(message(chained))
        .contains("disagree about their peers")
        .contains(a + " forwarded run vision/my project/" + run)
        .contains("RUNSTREAM_SERVER_PEERS");

    // A request marked forwarded, for a run this server does not own, is refused, not forwarded.
    String owned = runOwnedBy(aView, b::equals);
    HttpResponse<String> marked =
        post(a, "/graphql", createRunFiles(owned), Map.of(PeerRouter.FORWARDED_BY, b.toString()));
    assertThat(marked.statusCode()).isEqualTo(503);
    assertThat(message(marked)).contains(b + " forwarded run vision/my project/" + owned);
    // Marked forwarded and owned here: answered here.
    String mine = runOwnedBy(aView, a::equals);
    HttpResponse<String> answered =
        post(a, "/graphql", createRunFiles(mine), Map.of(PeerRouter.FORWARDED_BY, b.toString()));
    assertThat(answered.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(answered.body()).path("data").path("createRunFiles").path("files"))
        .hasSize(1);
  }

  @Test
  void shouldAnswer503NamingTheOwnerThatIsDownAndAnswerTheRestLocally() throws Exception {
    int[] ports = freePorts(2);
    URI a = url(ports[0]);
    URI down = url(ports[1]);
    start("a", ports[0], a, List.of(a, down));
    String run = runOwnedBy(new RunOwners(List.of(a, down)), down::equals);

    HttpResponse<String> r = post(a, "/graphql", createRunFiles(run), null);
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(message(r))
        .contains("run vision/my project/" + run + " is written by the runstream server " + down)
        .contains("did not answer");
    HttpResponse<String> stream =
        post(a, "/files/anyone/my%20project/" + run + "/file_stream", "{}", null);
    assertThat(stream.statusCode()).isEqualTo(503);
    assertThat(message(stream)).contains(down.toString());
    HttpResponse<String> upload =
        put(a + "/upload/vision/my%20project/" + run + "/config.yaml?sig=x", "x", null);
    assertThat(upload.statusCode()).isEqualTo(503);

    // Requests that name no run, or that are refused anyway, never leave the server.
    HttpResponse<String> viewer =
        post(a, "/graphql", "{\"query\":\"query Viewer { viewer { id } }\"}", null);
    assertThat(viewer.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(viewer.body()).path("data").path("viewer").path("entity").asText())
        .isEqualTo(TEAM);
    HttpResponse<String> wrongKey =
        post(a, "/graphql", createRunFiles(run), Map.of("Authorization", basic("b".repeat(40))));
    assertThat(wrongKey.statusCode()).isEqualTo(401);
    assertThat(message(wrongKey)).startsWith("invalid API key");
  }

  private void start(String name, int port, URI self, List<URI> peers) {
    // Kafka is never reached by these requests; an unused port keeps it that way.
    servers.add(
        WandbServer.start(
            ServerConfig.builder("127.0.0.1:1", "http://127.0.0.1:1")
                .host("127.0.0.1")
                .port(port)
                .dataDir(dir.resolve(name))
                .apiKey(KEY, TEAM)
                .peers(self, peers)
                .build()));
  }

  private Path runFiles(String server, String run) {
    return dir.resolve(server).resolve("files").resolve(TEAM).resolve("my+project").resolve(run);
  }

  private static String runOwnedBy(RunOwners owners, Predicate<URI> owner) {
    for (int i = 0; ; i++) {
      String run = "run" + i;
      if (owner.test(owners.owner(new RunKey(TEAM, PROJECT, run)))) {
        return run;
      }
    }
  }

  private static int[] freePorts(int n) throws IOException {
    int[] ports = new int[n];
    List<ServerSocket> open = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0);
        open.add(s);
        ports[i] = s.getLocalPort();
      }
    } finally {
      for (ServerSocket s : open) {
        s.close();
      }
    }
    return ports;
  }

  private static URI url(int port) {
    return URI.create("http://127.0.0.1:" + port);
  }

  private static String createRunFiles(String run) throws Exception {
    return JSON.writeValueAsString(
        Map.of(
            "query",
            "mutation CreateRunFiles ($entity: String!) { createRunFiles { runID } }",
            "variables",
            Map.of(
                "entity",
                "someone-else",
                "project",
                PROJECT,
                "run",
                run,
                "files",
                new String[] {"config.yaml"})));
  }

  private static String basic(String key) {
    return "Basic "
        + Base64.getEncoder().encodeToString(("api:" + key).getBytes(StandardCharsets.UTF_8));
  }

  private static String message(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).path("errors").get(0).path("message").asText();
  }

  private HttpResponse<String> post(
      URI server, String path, String body, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server + path))
            .header("Content-Type", "application/json")
            .header("Authorization", basic(KEY))
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (headers != null) {
      headers.forEach(b::setHeader);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private HttpResponse<String> put(String url, String body, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .PUT(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (headers != null) {
      headers.forEach(b::setHeader);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }
}
