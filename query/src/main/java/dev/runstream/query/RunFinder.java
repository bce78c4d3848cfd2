package dev.runstream.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.Json;
import dev.runstream.query.internal.Sql;
import dev.runstream.query.internal.Tables;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * Finds runs without knowing their project: by id or display name, and lists the projects. The
 * questions a person asks before {@link RunQueries}, whose methods take a project, can answer.
 * Obtained from {@link RunQueries#finder()}, over the same connections and team scope.
 *
 * <p>Thread-safe. Every method blocks for one HTTP round trip and throws like {@link RunQueries}.
 */
public final class RunFinder {
  private final ClickHouseHttp clickHouse;
  private final String runsTable;
  private final String teamCondition;

  RunFinder(ClickHouseHttp clickHouse, String db, String teamCondition) {
    this.clickHouse = clickHouse;
    this.runsTable = db + "." + Sql.identifier(Tables.RUNS);
    this.teamCondition = teamCondition;
  }

  /** Runs whose id or display name is one of {@code idsOrNames}, oldest first (then by id). */
  public List<FoundRun> find(Collection<String> idsOrNames) {
    Objects.requireNonNull(idsOrNames, "idsOrNames");
    if (idsOrNames.isEmpty()) {
      return List.of();
    }
    String list = Sql.literalList(new LinkedHashSet<>(idsOrNames));
    List<FoundRun> found = new ArrayList<>();
    for (JsonNode row :
        clickHouse.queryJson(
            "SELECT run_id, team, project, name, toUInt32(started_at) AS started FROM "
                + runsTable
                + " FINAL WHERE (run_id IN "
                + list
                + " OR name IN "
                + list
                + ")"
                + teamCondition
                + " ORDER BY started, run_id")) {
      found.add(
          new FoundRun(
              Json.text(row.get("run_id")),
              Json.text(row.get("team")),
              Json.text(row.get("project")),
              Json.text(row.get("name")),
              Instant.ofEpochSecond(Json.toLong(row.get("started")))));
    }
    return found;
  }

  /**
   * The run each of {@code refs} names, in the order given: the run with that id, else the one run
   * with that display name ({@code project} narrows names when not null). One query for all.
   *
   * @throws RunNotFoundException when a reference matches no run, or a name matches several
   */
  public List<FoundRun> resolve(List<String> refs, String project) {
    List<FoundRun> candidates = find(refs);
    List<FoundRun> resolved = new ArrayList<>();
    for (String ref : refs) {
      List<FoundRun> byId = candidates.stream().filter(f -> f.runId().equals(ref)).toList();
      if (!byId.isEmpty()) {
        resolved.add(byId.get(0));
        continue;
      }
      List<FoundRun> byName =
          candidates.stream()
              .filter(f -> f.name().equals(ref))
              .filter(f -> project == null || f.project().equals(project))
              .toList();
      if (byName.size() != 1) {
        throw new RunNotFoundException(ref, project, byName);
      }
      resolved.add(byName.get(0));
    }
    return resolved;
  }

  /** Every project that has a run, in name order. */
  public List<String> projects() {
    List<String> projects = new ArrayList<>();
    for (JsonNode row :
        clickHouse.queryJson(
            "SELECT DISTINCT project FROM "
                + runsTable
                + (teamCondition.isEmpty() ? "" : " WHERE 1" + teamCondition)
                + " ORDER BY project")) {
      projects.add(Json.text(row.get("project")));
    }
    return projects;
  }
}
