package dev.runstream.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runstream.server.wandb.translate.Completion;
import dev.runstream.server.wandb.translate.EventsTranslator;
import dev.runstream.server.wandb.translate.HistoryRow;
import dev.runstream.server.wandb.translate.HistoryTranslator;
import dev.runstream.server.wandb.translate.SummaryTranslator;
import dev.runstream.server.wandb.translate.SummaryValues;
import dev.runstream.server.wandb.translate.SystemSample;
import dev.runstream.server.wandb.translate.WandbBodies;
import dev.runstream.server.wandb.translate.WandbPayloadException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

  public FileStreamApi(RunRegistry runs, FileStore files) {
    this.runs = runs;
    this.files = files;
  }

  /**
   * Takes one post of {@code team}'s run.
   *
   * @return the response the client expects ({@code exitcode}, {@code limits})
   *     <p>The whole post is checked before any of it is taken: a malformed one is refused and
   *     takes nothing, so what the client is told was refused was not half accepted.
   * @throws dev.runstream.server.wandb.translate.WandbPayloadException (HTTP 400 with its message)
   *     for a body that is not a file_stream post or a line that cannot be translated
   */
  public ObjectNode post(String team, String project, String runId, String body) {
    ObjectNode post = WandbBodies.object(body, "file_stream");
    Optional<Completion> completion = Completion.fromFileStream(post);
    JsonNode postedFiles = post.path("files");
    if (!postedFiles.isMissingNode() && !postedFiles.isNull() && !postedFiles.isObject()) {
      throw new WandbPayloadException(
          "file_stream: files is not a JSON object of file name to {offset, content}");
    }
    RunKey key = new RunKey(team, project, runId);
    if (runs.finished(key)) {
      // A retry of the final post, or a straggler: its lines were taken with the complete.
      return ok();
    }
    List<HistoryRow> history = List.of();
    List<SystemSample> events = List.of();
    SummaryValues summary = null;
    Map<String, List<String>> others = new LinkedHashMap<>();
    Map<String, Long> offsets = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> file : postedFiles.properties()) {
      String what = "file_stream " + file.getKey();
      List<String> content = WandbBodies.lines(file.getValue().get("content"), what);
      long offset = file.getValue().path("offset").asLong(0);
      switch (file.getKey()) {
        case "wandb-history.jsonl" -> history = HistoryTranslator.translate(content, offset);
        case "wandb-events.jsonl" -> events = EventsTranslator.translate(content, offset);
        case "wandb-summary.json" -> summary = lastSummary(content);
        default -> { // output.log and any other
          others.put(file.getKey(), content);
          offsets.put(file.getKey(), offset);
        }
      }
    }
    RunWriter writer = runs.upsert(key, Upsert.NONE);
    writer.history(history);
    writer.events(events);
    if (summary != null) {
      writer.summary(summary);
    }
    others.forEach((name, content) -> lines(key, name, offsets.get(name), content));
    completion.ifPresent(c -> runs.finish(writer, c.exitCode()));
    return ok();
  }

  private static SummaryValues lastSummary(List<String> lines) {
    String last = null;
    for (String line : lines) {
      if (line != null && !line.isBlank()) {
        last = line;
      }
    }
    return last == null ? null : SummaryTranslator.translate(last);
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
