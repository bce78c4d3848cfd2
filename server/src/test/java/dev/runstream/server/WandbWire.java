package dev.runstream.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The requests the real {@code wandb} 0.30.0 client sends to log a run, rebuilt from its recorded
 * bodies ({@code src/test/resources/wandb/client-0.30.0/simple.requests.jsonl}) with other names
 * and values: the same GraphQL {@code UpsertBucket} document and variables, {@code file_stream}
 * posts of {@code wandb-history.jsonl} lines at their offsets, and the final post with the summary
 * and {@code complete}/{@code exitcode}. For tests and benchmarks that need more clients than
 * Python processes fit on the machine. Thread-safe.
 */
final class WandbWire {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectNode UPSERT_BUCKET = recordedUpsertBucket();

  private final HttpClient http;
  private final String baseUrl;
  private final String authorization;

  /**
   * Requests to the server at {@code baseUrl} ({@code http://host:port}) with API key {@code key}.
   */
  WandbWire(HttpClient http, String baseUrl, String key) {
    this.http = http;
    this.baseUrl = baseUrl;
    // As the client sends its key: HTTP Basic, user "api".
    this.authorization =
        "Basic "
            + Base64.getEncoder().encodeToString(("api:" + key).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The first {@code UpsertBucket} of a run, which creates it: the recorded body with the run's
   * name, project, display name and config ({@code {"key": {"value": v}}} as the client wraps it).
   */
  static String upsertBucket(
      String runId, String project, String displayName, Map<String, Object> config) {
    ObjectNode body = UPSERT_BUCKET.deepCopy();
    ObjectNode variables = (ObjectNode) body.get("variables");
    variables.put("name", runId);
    variables.put("project", project);
    variables.put("displayName", displayName);
    ObjectNode wrapped = JSON.createObjectNode();
    config.forEach((k, v) -> wrapped.putObject(k).set("value", JSON.valueToTree(v)));
    variables.put("config", wrapped.toString());
    return body.toString();
  }

  /** One line of {@code wandb-history.jsonl}: the logged values with {@code _step} and times. */
  static String historyLine(long step, double timestampSeconds, Map<String, Double> values) {
    ObjectNode line = JSON.createObjectNode();
    values.forEach(line::put);
    line.put("_timestamp", timestampSeconds);
    line.put("_runtime", 0.5 * step);
    line.put("_step", step);
    return line.toString();
  }

  /** A {@code file_stream} post of history lines starting at line {@code offset}. */
  static String historyPost(long offset, List<String> lines) {
    ObjectNode body = JSON.createObjectNode();
    history(body, offset, lines);
    return body.toString();
  }

  /**
   * The client's last post: the last history lines, the summary, the files it uploaded, and {@code
   * complete} with {@code exitcode}.
   */
  static String finalPost(long offset, List<String> lines, String summaryLine, int exitCode) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode files = history(body, offset, lines);
    ObjectNode summary = files.putObject("wandb-summary.json");
    summary.put("offset", 0);
    summary.putArray("content").add(summaryLine);
    ArrayNode uploaded = body.putArray("uploaded");
    uploaded.add("wandb-summary.json").add("config.yaml").add("wandb-metadata.json");
    body.put("complete", true);
    body.put("exitcode", exitCode);
    return body.toString();
  }

  private static ObjectNode history(ObjectNode body, long offset, List<String> lines) {
    ObjectNode files = body.putObject("files");
    ObjectNode history = files.putObject("wandb-history.jsonl");
    history.put("offset", offset);
    ArrayNode content = history.putArray("content");
    lines.forEach(content::add);
    return files;
  }

  /** POSTs a GraphQL body; blocks for the answer. */
  HttpResponse<String> graphql(String body) throws IOException, InterruptedException {
    return post("/graphql", body);
  }

  /** POSTs to the run's {@code file_stream}; blocks for the answer. */
  HttpResponse<String> fileStream(String team, String project, String runId, String body)
      throws IOException, InterruptedException {
    return post("/files/" + team + "/" + project + "/" + runId + "/file_stream", body);
  }

  private HttpResponse<String> post(String path, String body)
      throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .header("Authorization", authorization)
            .header("Content-Type", "application/json")
            .header("User-Agent", "wandb-core")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static ObjectNode recordedUpsertBucket() {
    String resource = "/wandb/client-0.30.0/simple.requests.jsonl";
    try (InputStream in = WandbWire.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("no test resource " + resource);
      }
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode request = JSON.readTree(line);
        if (request.get("path").textValue().equals("/graphql")) {
          JsonNode body = JSON.readTree(request.get("body").textValue());
          if (body.get("query").textValue().contains("mutation UpsertBucket")) {
            return (ObjectNode) body;
          }
        }
      }
      throw new IllegalStateException(resource + " holds no UpsertBucket");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
