package dev.runstream.sink.grafana;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Grafana dashboards and provisioning under {@code deploy/grafana}, read as Grafana reads them.
 * Tests run with the sink module as working directory (Maven sets it to {@code sink/}), so the
 * files are found at {@code ../deploy/grafana}.
 */
final class Dashboards {
  static final Path GRAFANA = Path.of("..", "deploy", "grafana");
  static final Path DASHBOARDS = GRAFANA.resolve("dashboards");
  static final Path DATASOURCES = GRAFANA.resolve(Path.of("provisioning", "datasources"));
  static final Path PROVIDERS = GRAFANA.resolve(Path.of("provisioning", "dashboards"));
  static final Path COMPOSE = Path.of("..", "deploy", "compose", "docker-compose.yml");

  /** The plugin id of the Grafana ClickHouse data source. */
  static final String PLUGIN = "grafana-clickhouse-datasource";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Dashboards() {}

  /** Every dashboard, by file name. Fails with the path it looked in when there is none. */
  static List<Dashboard> load() {
    List<Path> files = files(DASHBOARDS, ".json");
    List<Dashboard> out = new ArrayList<>();
    for (Path file : files) {
      try {
        out.add(new Dashboard(file, MAPPER.readTree(file.toFile())));
      } catch (IOException e) {
        throw new AssertionError("Grafana dashboard " + file + " is not valid JSON: " + e, e);
      }
    }
    return out;
  }

  /** The dashboard whose uid is {@code uid}. */
  static Dashboard byUid(String uid) {
    return load().stream()
        .filter(d -> d.uid().equals(uid))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no dashboard with uid " + uid + " in " + where()));
  }

  /** The files in {@code dir} ending with {@code suffix}, sorted; fails clearly when none. */
  static List<Path> files(Path dir, String suffix) {
    if (!Files.isDirectory(dir)) {
      throw new AssertionError(
          "Grafana files not found at "
              + dir.toAbsolutePath().normalize()
              + ": tests expect the sink module as working directory (as Maven runs them) and"
              + " the repository's deploy/grafana beside it");
    }
    try (Stream<Path> list = Files.list(dir)) {
      List<Path> files =
          list.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
      if (files.isEmpty()) {
        throw new AssertionError("no *" + suffix + " file in " + dir.toAbsolutePath().normalize());
      }
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file.toAbsolutePath().normalize(), e);
    }
  }

  /** The uid of the provisioned ClickHouse data source (the one data source file's {@code uid}). */
  static String provisionedDataSourceUid() {
    List<String> uids = new ArrayList<>();
    for (Path file : files(DATASOURCES, ".yml")) {
      Matcher m = Pattern.compile("(?m)^\\s+uid:\\s*(\\S+)\\s*$").matcher(read(file));
      while (m.find()) {
        uids.add(m.group(1));
      }
    }
    if (uids.size() != 1) {
      throw new AssertionError("expected one provisioned data source uid, found " + uids);
    }
    return uids.get(0);
  }

  private static String where() {
    return DASHBOARDS.toAbsolutePath().normalize().toString();
  }

  /** One dashboard file. */
  record Dashboard(Path file, JsonNode json) {
    String uid() {
      return json.path("uid").asText();
    }

    String title() {
      return json.path("title").asText();
    }

    List<Variable> variables() {
      List<Variable> out = new ArrayList<>();
      for (JsonNode v : json.path("templating").path("list")) {
        out.add(new Variable(v));
      }
      return out;
    }

    Variable variable(String name) {
      return variables().stream()
          .filter(v -> v.name().equals(name))
          .findFirst()
          .orElseThrow(() -> new AssertionError(title() + " has no variable " + name));
    }

    /** Every panel, those inside rows included. */
    List<Panel> panels() {
      List<Panel> out = new ArrayList<>();
      collect(json.path("panels"), out);
      return out;
    }

    private static void collect(JsonNode panels, List<Panel> out) {
      for (JsonNode p : panels) {
        out.add(new Panel(p));
        collect(p.path("panels"), out);
      }
    }

    /** The panel whose title starts with {@code title} (titles may end with variables). */
    Panel panel(String title) {
      List<Panel> found = panels().stream().filter(p -> p.title().startsWith(title)).toList();
      if (found.size() != 1) {
        throw new AssertionError(
            title() + ": expected one panel titled '" + title + "...', found " + found.size());
      }
      return found.get(0);
    }

    @Override
    public String toString() {
      return title() + " (" + file.getFileName() + ")";
    }
  }

  /** A template variable. */
  record Variable(JsonNode json) {
    String name() {
      return json.path("name").asText();
    }

    String type() {
      return json.path("type").asText();
    }

    boolean multi() {
      return json.path("multi").asBoolean(false);
    }

    boolean includeAll() {
      return json.path("includeAll").asBoolean(false);
    }

    /**
     * The SQL of a query variable: the plugin keeps it as {@code query.rawSql} (older dashboards as
     * a plain string); null for other types.
     */
    String sql() {
      if (!type().equals("query")) {
        return null;
      }
      JsonNode query = json.path("query");
      return query.isTextual() ? query.asText() : query.path("rawSql").asText(null);
    }

    JsonNode datasource() {
      return json.path("datasource");
    }
  }

  /** A panel and its queries. */
  record Panel(JsonNode json) {
    String title() {
      return json.path("title").asText();
    }

    String type() {
      return json.path("type").asText();
    }

    JsonNode datasource() {
      return json.path("datasource");
    }

    List<JsonNode> targets() {
      List<JsonNode> out = new ArrayList<>();
      json.path("targets").forEach(out::add);
      return out;
    }

    /** The SQL of the panel's one query. */
    String sql() {
      List<JsonNode> targets = targets();
      if (targets.size() != 1) {
        throw new AssertionError(title() + ": expected one query, found " + targets.size());
      }
      return targets.get(0).path("rawSql").asText();
    }

    @Override
    public String toString() {
      return "panel '" + title() + "'";
    }
  }
}
