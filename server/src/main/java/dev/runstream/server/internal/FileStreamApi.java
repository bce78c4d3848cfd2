package dev.runstream.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code POST /files/<entity>/<project>/<run>/file_stream}: the client's stream of a run's history,
 * system events, summary and console output, and finally {@code complete} with {@code exitcode}.
 *
 * <p>A post is answered only once the SDK took every history line of it (journalled), so a client
 * told "received" loses nothing when the server or Kafka goes away. A retried post logs the same
 * steps again, which downstream keeps once (same run, metric and step).
 */
public final class FileStreamApi {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final RunRegistry runs;
  private final FileStore files;
  private final AtomicLong eventLines = new AtomicLong();

  public FileStreamApi(RunRegistry runs, FileStore files) {
    this.runs = runs;
    this.files = files;
  }

  /** System-metric lines received and not yet turned into records (see PROTOCOL.md). */
  public long eventLines() {
    return eventLines.get();
  }

  /**
   * Takes one post of {@code team}'s run.
   *
   * @return the response the client expects ({@code exitcode}, {@code limits})
   * @throws WandbException 400 for a body that is not a file_stream post
   */
  public ObjectNode post(String team, String project, String runId, String body) {
    ObjectNode post = RunWriter.object(body, "file_stream");
    RunKey key = new RunKey(team, project, runId);
    if (runs.finished(key)) {
      // A retry of the final post, or a straggler: its lines were taken with the complete.
      return ok();
    }
    RunWriter writer = runs.upsert(key, Upsert.NONE);
    JsonNode postedFiles = post.path("files");
    for (Map.Entry<String, JsonNode> file : postedFiles.properties()) {
      List<String> content = RunWriter.strings(file.getValue().get("content"));
      long offset = file.getValue().path("offset").asLong(0);
      switch (file.getKey()) {
        case "wandb-history.jsonl" -> writer.history(content);
        case "wandb-summary.json" -> writer.summary(content);
        case "wandb-events.jsonl" -> eventLines.addAndGet(content.size());
        default -> lines(key, file.getKey(), offset, content); // output.log and any other
      }
    }
    if (post.path("complete").asBoolean(false)) {
      runs.finish(writer, post.path("exitcode").asInt(0));
    }
    return ok();
  }

  private void lines(RunKey key, String name, long offset, List<String> lines) {
    try {
      files.lines(key, name, offset, lines);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store " + name + " of " + key, e);
    }
  }

  private static ObjectNode ok() {
    ObjectNode response = NODES.objectNode();
    response.putNull("exitcode");
    response.putObject("limits");
    return response;
  }
}
