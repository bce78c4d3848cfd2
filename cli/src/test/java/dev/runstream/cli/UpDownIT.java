package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code up --detach}, a demo against it, {@code down}, and {@code up} again on the runs it kept,
 * as a user runs them.
 */
@Timeout(480)
class UpDownIT {

  private record Result(int exit, String out, String err) {}

  private static Result run(Map<String, String> env, String... args) {
    CommandLine cli = RunstreamCli.newCommandLine(env);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  private static String printedKey(String out) {
    Matcher key = Pattern.compile("export WANDB_API_KEY=(\\S+)").matcher(out);
    assertThat(key.find()).as(out).isTrue();
    return key.group(1);
  }

  /** wandb's first call, {@code Viewer}, with the key as the client sends it. */
  private static HttpResponse<String> viewer(String serverUrl, String key) throws Exception {
    String auth =
        Base64.getEncoder().encodeToString(("api:" + key).getBytes(StandardCharsets.UTF_8));
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(serverUrl + "/graphql"))
            .header("Authorization", "Basic " + auth)
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"query\":\"query Viewer { viewer { id entity username } }\","
                        + "\"variables\":{}}"))
            .timeout(Duration.ofSeconds(30))
            .build();
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .build()
        .send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String url, String key) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    if (key != null) {
      request.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString(("api:" + key).getBytes(StandardCharsets.UTF_8)));
    }
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .build()
        .send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void upDetachedServesADemoAndDownStopsEverything(@TempDir Path home) throws Exception {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.keySet().removeAll(List.of("KAFKA_BOOTSTRAP", "SCHEMA_REGISTRY_URL", "CLICKHOUSE_URL"));
    env.put("RUNSTREAM_HOME", home.toString());
    // Not the default 8080, which another program on the machine may hold.
    int port = freePort();
    env.put("RUNSTREAM_SERVER_PORT", Integer.toString(port));
    String serverUrl = "http://127.0.0.1:" + port;

    Path data = home.resolve("data");
    Result up = run(env, "up", "--detach");
    assertThat(up.exit()).as(up.out() + up.err()).isZero();
    assertThat(up.out())
        .contains("runstream is up", "export KAFKA_BOOTSTRAP=127.0.0.1:")
        .containsPattern("clickhouse +http://127\\.0\\.0\\.1:\\d+")
        .contains("data             " + data)
        .contains(
            "  W&B server       " + serverUrl + "\n",
            "  web page         "
                + serverUrl
                + "/web/ (any user name, the API key below as password)\n",
            "Already using wandb? Run the script unchanged with:\n"
                + "  export WANDB_BASE_URL="
                + serverUrl
                + "\n  export WANDB_API_KEY=");
    String key = printedKey(up.out());
    assertThat(key).matches("[0-9a-f]{40}");
    assertThat(home.resolve("up.properties")).exists();
    assertThat(StackState.readLive(env).orElseThrow().serverPort()).contains(port);
    // The printed key logs in as the default team; any other is refused as the client expects.
    HttpResponse<String> viewer = viewer(serverUrl, key);
    assertThat(viewer.statusCode()).as(viewer.body()).isEqualTo(200);
    assertThat(viewer.body()).contains("\"viewer\"", "\"entity\":\"default\"");
    HttpResponse<String> wrong = viewer(serverUrl, "0".repeat(40));
    assertThat(wrong.statusCode()).as(wrong.body()).isEqualTo(401);
    assertThat(wrong.body()).contains("invalid API key");
    // The web page reads the stack's ClickHouse, behind the same key.
    HttpResponse<String> page = get(serverUrl + "/web/index.html", key);
    assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
    HttpResponse<String> projects = get(serverUrl + "/api/projects", key);
    assertThat(projects.statusCode()).as(projects.body()).isEqualTo(200);
    HttpResponse<String> anonymous = get(serverUrl + "/api/projects", null);
    assertThat(anonymous.statusCode()).as(anonymous.body()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate")).isPresent();
    long pid = StackState.readLive(env).orElseThrow().pid();
    List<ProcessHandle> servers = ProcessHandle.of(pid).orElseThrow().descendants().toList();
    assertThat(servers).as("the servers run under the up process").isNotEmpty();

    Result again = run(env, "up", "--detach");
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("already up (pid " + pid + ")");

    Result demo = run(env, "demo");
    assertThat(demo.exit()).as(demo.out() + demo.err()).isZero();
    assertThat(demo.out())
        .contains(
            "Using the stack of `runstream up`",
            "W&B-compatible server at "
                + serverUrl
                + "; a wandb script logs into it with:\n"
                + "  export WANDB_BASE_URL="
                + serverUrl
                + "\n  export WANDB_API_KEY="
                + key
                + "\n",
            "The runs side by side",
            "Where to look next")
        .doesNotContain("Stopping the W&B server, the processor, the sink and the local stack");
    Result list = run(env, "runs", "list", "--project", "demo", "--format", "csv");
    assertThat(list.exit()).as(list.out() + list.err()).isZero();
    assertThat(list.out().lines()).hasSize(1 + 10);

    Result down = run(env, "down");
    assertThat(down.exit()).as(down.out() + down.err()).isZero();
    assertThat(down.out()).contains("Stopped.", "Its data stays in " + data);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(servers).noneMatch(ProcessHandle::isAlive));
    assertThat(Files.exists(home.resolve("up.properties"))).isFalse();
    // The processor and the sink stopped while Kafka still answered, then the servers stopped.
    String log = Files.readString(home.resolve("up.log"));
    assertThat(log).contains("runstream sink stopped", "local stack stopped");
    assertThat(log.indexOf("runstream sink stopped"))
        .as(log)
        .isLessThan(log.indexOf("local stack stopped"));
    // The server, a client of the pipeline's servers, stopped before the sink.
    assertThat(log).contains("Javalin has stopped");
    assertThat(log.indexOf("Javalin has stopped"))
        .as(log)
        .isLessThan(log.indexOf("runstream sink stopped"));
    assertThat(log).doesNotContain("could not be established");
    assertThat(run(env, "down").out()).contains("nothing to stop");
    assertThat(data).isDirectory();

    // Up again on the same data: the demo's runs are all there.
    Result upAgain = run(env, "up", "--detach");
    assertThat(upAgain.exit()).as(upAgain.out() + upAgain.err()).isZero();
    Result listAgain = run(env, "runs", "list", "--project", "demo", "--format", "csv");
    assertThat(listAgain.exit()).as(listAgain.out() + listAgain.err()).isZero();
    assertThat(listAgain.out()).isEqualTo(list.out());
    // The key outlived the stack: what a user exported still works.
    assertThat(printedKey(upAgain.out())).isEqualTo(key);
    assertThat(viewer(serverUrl, key).statusCode()).isEqualTo(200);

    Result delete = run(env, "down", "--delete-data");
    assertThat(delete.exit()).as(delete.out() + delete.err()).isZero();
    assertThat(delete.out()).contains("Stopped.", "Deleted the data in " + data);
    assertThat(data).doesNotExist();
  }
}
