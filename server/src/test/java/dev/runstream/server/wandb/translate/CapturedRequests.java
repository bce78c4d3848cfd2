package dev.runstream.server.wandb.translate;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The requests the real wandb 0.30.0 client made in one recorded script run (see {@code
 * src/test/resources/wandb/client-0.30.0/README.md}).
 */
final class CapturedRequests {
  private final List<JsonNode> requests = new ArrayList<>();

  private CapturedRequests(String text) {
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        requests.add(read(line));
      }
    }
  }

  /** The recording {@code name}, e.g. {@code rich} for {@code rich.requests.jsonl}. */
  static CapturedRequests load(String name) {
    String resource = "/wandb/client-0.30.0/" + name + ".requests.jsonl";
    try (InputStream in = CapturedRequests.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("no test resource " + resource);
      }
      return new CapturedRequests(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The parsed bodies of the {@code file_stream} posts, in order. */
  List<JsonNode> fileStreamBodies() {
    List<JsonNode> bodies = new ArrayList<>();
    for (JsonNode request : requests) {
      if (request.get("path").textValue().endsWith("/file_stream")) {
        bodies.add(read(request.get("body").textValue()));
      }
    }
    return bodies;
  }

  /** Every line the client streamed for {@code file}, across all posts, in order. */
  List<String> streamed(String file) {
    List<String> lines = new ArrayList<>();
    for (JsonNode body : fileStreamBodies()) {
      JsonNode content = body.path("files").path(file).path("content");
      content.forEach(line -> lines.add(line.textValue()));
    }
    return lines;
  }

  /** The variables of every GraphQL request whose query contains {@code operation}, in order. */
  List<JsonNode> graphql(String operation) {
    List<JsonNode> variables = new ArrayList<>();
    for (JsonNode request : requests) {
      if (request.get("path").textValue().startsWith("/graphql")) {
        JsonNode body = read(request.get("body").textValue());
        if (body.get("query").textValue().contains(operation)) {
          variables.add(body.get("variables"));
        }
      }
    }
    return variables;
  }

  /** The text body the client uploaded (PUT) for run file {@code name}. */
  String uploaded(String name) {
    for (JsonNode request : requests) {
      if (request.get("method").textValue().equals("PUT")
          && request.get("path").textValue().endsWith("/" + name)) {
        return request.get("body").textValue();
      }
    }
    throw new IllegalStateException("no upload of " + name);
  }

  private static JsonNode read(String json) {
    try {
      return WandbJson.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
