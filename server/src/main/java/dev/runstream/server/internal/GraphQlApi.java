package dev.runstream.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runstream.server.wandb.translate.AlertTranslator;
import dev.runstream.server.wandb.translate.RunUpsert;
import dev.runstream.server.wandb.translate.UpsertTranslator;
import dev.runstream.server.wandb.translate.WandbBodies;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The GraphQL operations the wandb client (0.30) sends while it logs a run, each answered with the
 * fields the client reads (see {@code server/PROTOCOL.md}). Any other operation is refused with a
 * GraphQL error the client prints.
 *
 * <p>Operations are told apart by name, as the client names every one: the server does not execute
 * arbitrary GraphQL, it recognises the client's fixed documents.
 */
public final class GraphQlApi {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Pattern OPERATION =
      Pattern.compile(
          "^\\s*(?:#[^\\n]*\\n\\s*)*(query|mutation|subscription)\\s+([_A-Za-z][_0-9A-Za-z]*)");

  private final RunRegistry runs;
  private final FileStore files;

  public GraphQlApi(RunRegistry runs, FileStore files) {
    this.runs = runs;
    this.files = files;
  }

  /**
   * Answers one GraphQL request of {@code team}.
   *
   * @param body the request's JSON: {@code query}, {@code variables}, optionally {@code
   *     operationName}
   * @param baseUrl this server as the client reached it, for upload URLs
   * @return the response's JSON ({@code data}, or {@code errors})
   * @throws dev.runstream.server.wandb.translate.WandbPayloadException (HTTP 400) for a body that
   *     is not a GraphQL request or variables that cannot be translated
   */
  public ObjectNode answer(String team, String body, String baseUrl) {
    ObjectNode request = WandbBodies.object(body, "GraphQL request");
    JsonNode query = request.get("query");
    if (query == null || !query.isTextual()) {
      throw new WandbException(400, "GraphQL request: no \"query\" string");
    }
    JsonNode vars = request.path("variables");
    String operation = operationName(request, query.asText());
    ObjectNode data = NODES.objectNode();
    switch (operation) {
      case "Viewer" -> data.set("viewer", viewer(team));
      case "ServerFeaturesQuery" -> {
        ObjectNode info = data.putObject("serverInfo");
        info.putArray("features");
      }
      // W&B's cloud asks for the team's CoreWeave organisation; there is none here.
      case "OrganizationCoreWeaveOrganizationID" -> data.putNull("entity");
      case "UpsertBucket" -> data.set("upsertBucket", upsertBucket(team, vars));
      case "CreateRunFiles" -> data.set("createRunFiles", createRunFiles(team, vars, baseUrl));
      case "RunResumeStatus" -> data.set("model", runResumeStatus(team, vars));
      case "NotifyScriptableRunAlert" -> data.set("notifyScriptableRunAlert", alert(team, vars));
      default -> {
        return error(
            "runstream server does not support the GraphQL operation '"
                + operation
                + "': it accepts what wandb sends to log runs (see server/PROTOCOL.md); artifacts,"
                + " media, sweeps and the public API are not supported");
      }
    }
    ObjectNode response = NODES.objectNode();
    response.set("data", data);
    return response;
  }

  /** A GraphQL error response with {@code message}. */
  public static ObjectNode error(String message) {
    ObjectNode response = NODES.objectNode();
    response.putArray("errors").addObject().put("message", message);
    return response;
  }

  static String operationName(ObjectNode request, String query) {
    JsonNode name = request.get("operationName");
    if (name != null && name.isTextual() && !name.asText().isEmpty()) {
      return name.asText();
    }
    Matcher m = OPERATION.matcher(query);
    if (!m.find()) {
      throw new WandbException(
          400,
          "GraphQL request: the query names no operation (expected 'query Name' or 'mutation"
              + " Name'); runstream server answers only the wandb client's named operations");
    }
    return m.group(2);
  }

  private static ObjectNode viewer(String team) {
    ObjectNode viewer = NODES.objectNode();
    viewer.put("id", id("User", team));
    viewer.put("entity", team);
    viewer.put("username", team);
    viewer.putNull("email");
    viewer.put("flags", "{}");
    viewer.putObject("teams").putArray("edges").addObject().putObject("node").put("name", team);
    return viewer;
  }

  private ObjectNode upsertBucket(String team, JsonNode vars) {
    RunUpsert translated = UpsertTranslator.translate(vars);
    String runId = translated.runId();
    String project = translated.project();
    if (project == null || project.isBlank()) {
      project = "uncategorized"; // what W&B itself calls a run logged without a project
    }
    // The entity variable is not trusted: the API key decided the team.
    RunKey key = new RunKey(team, project, runId);
    Upsert upsert = Upsert.of(translated);
    boolean inserted = !runs.known(key);
    RunWriter writer = runs.upsert(key, upsert);
    ObjectNode result = NODES.objectNode();
    ObjectNode bucket = result.putObject("bucket");
    bucket.put("id", id("Run", key.toString()));
    bucket.put("name", runId);
    bucket.put("displayName", writer.run().name());
    bucket.put("description", upsert.notes());
    bucket.put("config", text(vars, "config"));
    bucket.putNull("sweepName");
    ObjectNode p = bucket.putObject("project");
    p.put("id", id("Project", team + "/" + project));
    p.put("name", project);
    ObjectNode entity = p.putObject("entity");
    entity.put("id", id("Entity", team));
    entity.put("name", team);
    bucket.put("historyLineCount", writer.historyLines());
    result.put("inserted", inserted);
    return result;
  }

  private ObjectNode createRunFiles(String team, JsonNode vars, String baseUrl) {
    RunKey key =
        new RunKey(
            team,
            require(vars, "project", "CreateRunFiles"),
            require(vars, "run", "CreateRunFiles"));
    ObjectNode result = NODES.objectNode();
    result.put("runID", id("Run", key.toString()));
    result.putArray("uploadHeaders");
    ArrayNode list = result.putArray("files");
    for (String name : WandbBodies.strings(vars.get("files"), "CreateRunFiles: files")) {
      files.file(key, name); // refuses names that leave the run's directory
      list.addObject()
          .put("name", name)
          .put(
              "uploadUrl",
              baseUrl
                  + "/upload/"
                  + urlSegment(key.team())
                  + "/"
                  + urlSegment(key.project())
                  + "/"
                  + urlSegment(key.runId())
                  + "/"
                  + pathOf(name)
                  + "?sig="
                  + files.sign(key, name));
    }
    return result;
  }

  private ObjectNode alert(String team, JsonNode vars) {
    String op = "NotifyScriptableRunAlert";
    RunKey key = new RunKey(team, require(vars, "projectName", op), require(vars, "runName", op));
    runs.upsert(key, Upsert.NONE).alert(AlertTranslator.translate(vars));
    ObjectNode result = NODES.objectNode();
    result.put("success", true);
    return result;
  }

  private JsonNode runResumeStatus(String team, JsonNode vars) {
    String project = Optional.ofNullable(text(vars, "project")).orElse("uncategorized");
    String runId = require(vars, "name", "RunResumeStatus");
    RunKey key = new RunKey(team, project, runId);
    ObjectNode model = NODES.objectNode();
    model.put("id", id("Project", team + "/" + project));
    model.put("name", project);
    ObjectNode entity = model.putObject("entity");
    entity.put("id", id("Entity", team));
    entity.put("name", team);
    if (!runs.known(key)) {
      model.putNull("bucket");
      return model;
    }
    RunWriter writer = runs.upsert(key, Upsert.NONE);
    long lines = writer.historyLines();
    ObjectNode bucket = model.putObject("bucket");
    bucket.put("id", id("Run", key.toString()));
    bucket.put("name", runId);
    bucket.put("summaryMetrics", "{}");
    bucket.put("displayName", writer.run().name());
    bucket.put("logLineCount", 0);
    bucket.put("historyLineCount", lines);
    bucket.put("eventsLineCount", 0);
    // The client resumes its step after the last history line's _step.
    bucket.put("historyTail", lines == 0 ? "[]" : "[\"{\\\"_step\\\":" + (lines - 1) + "}\"]");
    bucket.put("eventsTail", "[]");
    bucket.put("config", RunWriter.JSON.valueToTree(writer.wandbConfig()).toString());
    ArrayNode tags = bucket.putArray("tags");
    writer.run().tags().forEach(tags::add);
    bucket.putNull("notes");
    // The client takes a run as started only when its wandb config holds "t" (its telemetry).
    bucket.put("wandbConfig", "{\"t\":{}}");
    return model;
  }

  private static String pathOf(String name) {
    StringBuilder s = new StringBuilder();
    for (String part : name.split("/", -1)) {
      if (s.length() > 0) {
        s.append('/');
      }
      s.append(urlSegment(part));
    }
    return s.toString();
  }

  private static String urlSegment(String name) {
    return FileStore.segment(name).replace("+", "%20");
  }

  private static String text(JsonNode vars, String name) {
    JsonNode v = vars.get(name);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static String require(JsonNode vars, String name, String operation) {
    String v = text(vars, name);
    if (v == null || v.isBlank()) {
      throw new WandbException(400, operation + ": the variable \"" + name + "\" is required");
    }
    return v;
  }

  private static String id(String type, String name) {
    return Base64.getEncoder().encodeToString((type + ":" + name).getBytes(StandardCharsets.UTF_8));
  }
}
