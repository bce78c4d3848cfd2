package dev.runstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.StringJoiner;

/**
 * The two reads the CLI needs that the sink's {@code RunQueries} does not offer, because every one
 * of its methods takes a project: which project a run (by id or display name) belongs to, and which
 * projects exist. One SQL statement each over ClickHouse's HTTP interface, reading the sink's
 * {@code runs} table; deliberately thin, to be replaced when {@code RunQueries} offers them.
 *
 * <p>Thread-safe; each method blocks for one HTTP round trip.
 */
final class RunLookup {
  // The sink's table of one row per run (dev.runstream.sink's Tables.RUNS).
  private static final String RUNS_TABLE = "runs";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A run found by id or name.
   *
   * @param runId its id
   * @param project its project
   * @param name its display name
   * @param startedAt when it started
   */
  record Found(String runId, String project, String name, Instant startedAt) {}

  private final HttpClient http;
  private final String url;
  private final String user;
  private final String password;
  private final String database;

  RunLookup(HttpClient http, String url, String user, String password, String database) {
    this.http = http;
    this.url = url;
    this.user = user;
    this.password = password;
    this.database = database;
  }

  /** Runs whose id or display name is one of {@code refs}, oldest first. */
  List<Found> find(Collection<String> refs) {
    if (refs.isEmpty()) {
      return List.of();
    }
    String list = literalList(refs);
    List<Found> found = new ArrayList<>();
    for (JsonNode row :
        query(
            "SELECT run_id, project, name, toUInt32(started_at) AS started FROM "
                + table()
                + " FINAL WHERE run_id IN "
                + list
                + " OR name IN "
                + list
                + " ORDER BY started, run_id")) {
      found.add(
          new Found(
              row.path("run_id").asText(),
              row.path("project").asText(),
              row.path("name").asText(),
              Instant.ofEpochSecond(row.path("started").asLong())));
    }
    return found;
  }

  /**
   * The run each of {@code refs} names, in the order given: the run with that id, else the one run
   * with that display name ({@code project} narrows names, when not null).
   *
   * @throws CliException when a reference matches no run, or a name matches several
   */
  List<Found> resolve(List<String> refs, String project) {
    List<Found> candidates = find(refs);
    List<Found> resolved = new ArrayList<>();
    for (String ref : refs) {
      List<Found> byId = candidates.stream().filter(f -> f.runId().equals(ref)).toList();
      if (!byId.isEmpty()) {
        resolved.add(byId.get(0));
        continue;
      }
      List<Found> byName =
          candidates.stream()
              .filter(f -> f.name().equals(ref))
              .filter(f -> project == null || f.project().equals(project))
              .toList();
      if (byName.isEmpty()) {
        throw new CliException(
            "no run has the id or name '"
                + ref
                + "'"
                + (project == null ? "" : " in project " + project)
                + " (ClickHouse at "
                + url
                + "); `runstream runs list --project P` shows the runs of a project");
      }
      if (byName.size() > 1) {
        StringJoiner which = new StringJoiner(", ");
        byName.forEach(f -> which.add(f.runId() + " (project " + f.project() + ")"));
        throw new CliException(
            "'" + ref + "' is the name of " + byName.size() + " runs: " + which + "; give an id");
      }
      resolved.add(byName.get(0));
    }
    return resolved;
  }

  /** Every project that has a run, in name order. */
  List<String> projects() {
    List<String> projects = new ArrayList<>();
    for (JsonNode row : query("SELECT DISTINCT project FROM " + table() + " ORDER BY project")) {
      projects.add(row.path("project").asText());
    }
    return projects;
  }

  private String table() {
    return quoteIdentifier(database) + "." + RUNS_TABLE;
  }

  private List<JsonNode> query(String sql) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(withCredentials(url + "/", user, password)))
            .timeout(TIMEOUT)
            .POST(HttpRequest.BodyPublishers.ofString(sql + " FORMAT JSONEachRow"))
            .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new CliException(
          "ClickHouse at " + url + " did not answer a query: " + Servers.describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted while querying ClickHouse", e);
    }
    if (response.statusCode() != 200) {
      String body = response.body().strip();
      if (body.contains("doesn't exist") || body.contains("UNKNOWN_DATABASE")) {
        throw new CliException(
            "ClickHouse at "
                + url
                + " has no runstream tables in database "
                + database
                + " yet: the sink creates them when it starts (`runstream up` runs one)");
      }
      throw new CliException(
          "ClickHouse at "
              + url
              + " refused a query (HTTP "
              + response.statusCode()
              + "): "
              + body);
    }
    List<JsonNode> rows = new ArrayList<>();
    try {
      for (String line : response.body().split("\n")) {
        if (!line.isBlank()) {
          rows.add(JSON.readTree(line));
        }
      }
    } catch (IOException e) {
      throw new CliException("cannot read ClickHouse's answer: " + e.getMessage(), e);
    }
    return rows;
  }

  /** {@code url} with ClickHouse's {@code user} and {@code password} parameters unless default. */
  static String withCredentials(String url, String user, String password) {
    if ("default".equals(user) && password.isEmpty()) {
      return url;
    }
    String sep = url.contains("?") ? "&" : "?";
    return url
        + sep
        + "user="
        + URLEncoder.encode(user, StandardCharsets.UTF_8)
        + "&password="
        + URLEncoder.encode(password, StandardCharsets.UTF_8);
  }

  /** A ClickHouse string literal: backslashes and quotes escaped, so a value cannot end it. */
  static String literal(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static String literalList(Collection<String> values) {
    StringJoiner list = new StringJoiner(", ", "(", ")");
    new LinkedHashSet<>(values).forEach(v -> list.add(literal(v)));
    return list.toString();
  }

  private static String quoteIdentifier(String name) {
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`";
  }
}
