package dev.runstream.sink.grafana;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runstream.sink.grafana.Dashboards.Dashboard;
import dev.runstream.sink.grafana.Dashboards.Panel;
import dev.runstream.sink.grafana.Dashboards.Variable;
import dev.runstream.sink.grafana.GrafanaSql.Selection;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The dashboards and provisioning files as Grafana reads them, without a server: every file parses,
 * every query goes to the provisioned ClickHouse data source in the plugin's query format, every
 * variable a query uses is defined and reaches SQL only encoded, and only macros that run on
 * ClickHouse 18.16 appear. {@code GrafanaDashboardsIT} runs the queries.
 */
class GrafanaDashboardsTest {
  private static final Set<String> MACROS =
      Set.of("timeFilter", "fromTime", "toTime", "interval_s");
  // The only way a variable may appear in SQL (besides naming the variable of $__conditionalAll):
  // percent-encoded by Grafana inside a string literal that ClickHouse decodes, so no value (a
  // quote, a backslash) can end the literal. Grafana's singlequote format escapes ' but not \.
  private static final Pattern ENCODED =
      Pattern.compile("decodeURLComponent\\('\\$\\{(\\w+):percentencode\\}'\\)");

  private final List<Dashboard> dashboards = Dashboards.load();

  /** A query of a dashboard: where it is, its SQL, and the variable it fills (null: a panel). */
  private record Query(String where, String sql, String variable) {}

  /** Every query of {@code d}: variable queries, then panel targets. */
  private static List<Query> queries(Dashboard d) {
    List<Query> out = new ArrayList<>();
    for (Variable v : d.variables()) {
      if (v.sql() != null) {
        out.add(new Query(d + " variable " + v.name(), v.sql(), v.name()));
      }
    }
    for (Panel p : d.panels()) {
      for (JsonNode t : p.targets()) {
        out.add(
            new Query(
                d + " " + p + " query " + t.path("refId").asText(),
                t.path("rawSql").asText(),
                null));
      }
    }
    return out;
  }

  @Test
  void shouldParseEveryDashboardWithADistinctUidAndQueries() {
    assertThat(dashboards).extracting(Dashboard::uid).doesNotHaveDuplicates().doesNotContain("");
    assertThat(dashboards)
        .extracting(Dashboard::uid)
        .contains("runstream-runs", "runstream-compare");
    for (Dashboard d : dashboards) {
      assertThat(d.title()).as("%s title", d.file()).isNotBlank();
      assertThat(d.panels()).as("%s panels", d).isNotEmpty();
      assertThat(queries(d)).as("%s queries", d).isNotEmpty();
    }
  }

  @Test
  void shouldSendEveryQueryToTheProvisionedClickHouseDataSource() {
    String uid = Dashboards.provisionedDataSourceUid();
    assertThat(Dashboards.read(Dashboards.files(Dashboards.DATASOURCES, ".yml").get(0)))
        .contains("type: " + Dashboards.PLUGIN);
    for (Dashboard d : dashboards) {
      for (Panel p : d.panels()) {
        if (p.type().equals("row")) {
          continue;
        }
        assertThat(p.datasource().path("uid").asText()).as("%s %s", d, p).isEqualTo(uid);
        assertThat(p.datasource().path("type").asText())
            .as("%s %s", d, p)
            .isEqualTo(Dashboards.PLUGIN);
        assertThat(p.targets()).as("%s %s queries", d, p).isNotEmpty();
        for (JsonNode t : p.targets()) {
          assertThat(t.path("datasource").path("uid").asText())
              .as("%s %s query", d, p)
              .isEqualTo(uid);
        }
      }
      for (Variable v : d.variables()) {
        if (v.type().equals("query")) {
          assertThat(v.datasource().path("uid").asText())
              .as("%s variable %s", d, v.name())
              .isEqualTo(uid);
        }
      }
    }
  }

  @Test
  void shouldWriteEveryPanelQueryInThePluginsSqlFormat() {
    for (Dashboard d : dashboards) {
      for (Panel p : d.panels()) {
        for (JsonNode t : p.targets()) {
          String where = d + " " + p;
          assertThat(t.path("editorType").asText()).as(where).isEqualTo("sql");
          assertThat(t.path("rawSql").asText()).as(where).isNotBlank();
          assertThat(t.path("refId").asText()).as(where).isNotBlank();
          // format: 0 = time series (long frames widened by label), 1 = table.
          int format = t.path("format").asInt(-1);
          String queryType = t.path("queryType").asText();
          assertThat(format).as(where + " format").isIn(0, 1);
          assertThat(queryType)
              .as(where + " queryType")
              .isEqualTo(format == 0 ? "timeseries" : "table");
        }
      }
      for (Variable v : d.variables()) {
        if (v.type().equals("query")) {
          assertThat(v.json().path("query").path("editorType").asText())
              .as("%s %s", d, v.name())
              .isEqualTo("sql");
          assertThat(v.sql()).as("%s %s", d, v.name()).isNotBlank();
        }
      }
    }
  }

  @Test
  void shouldDefineEveryVariableAQueryUsesAndPassItOnlyEncoded() {
    for (Dashboard d : dashboards) {
      List<String> names = d.variables().stream().map(Variable::name).toList();
      assertThat(names).as("%s variable names", d).doesNotHaveDuplicates();
      for (Query q : queries(d)) {
        String where = q.where();
        String sql = q.sql();
        for (String name : GrafanaSql.conditionalAllVariables(sql)) {
          assertThat(names).as(where + ": $__conditionalAll variable").contains(name);
          assertThat(d.variable(name).includeAll())
              .as(where + ": " + name + " offers All")
              .isTrue();
        }
        // With every $__conditionalAll kept as its condition, the variables left must all be
        // encoded and defined (and a variable query may use only variables defined before it).
        String conditions = GrafanaSql.conditionalAll(sql, name -> false);
        String rest = ENCODED.matcher(conditions).replaceAll("");
        Matcher encoded = ENCODED.matcher(conditions);
        while (encoded.find()) {
          String name = encoded.group(1);
          assertThat(names).as(where + ": variable " + name).contains(name);
          if (q.variable() != null) {
            assertThat(names.indexOf(name))
                .as(where + " uses " + name + ", defined after it")
                .isLessThan(names.indexOf(q.variable()));
          }
        }
        Matcher other = GrafanaSql.VARIABLE.matcher(rest);
        while (other.find()) {
          assertThat(other.group(1))
              .as(
                  where
                      + ": '"
                      + other.group()
                      + "' is not decodeURLComponent('${name:percentencode}')")
              .isNotNull()
              .startsWith("__");
        }
        // A variable offering All is used only inside $__conditionalAll: with All selected the
        // condition is dropped (1=1) instead of listing every run of a project in the SQL.
        String allSelected = GrafanaSql.conditionalAll(sql, name -> true);
        for (Variable v : d.variables()) {
          if (v.includeAll()) {
            assertThat(allSelected)
                .as(where + ": " + v.name() + " outside $__conditionalAll")
                .doesNotContain("${" + v.name() + ":");
          }
        }
      }
    }
  }

  @Test
  void shouldUseOnlyMacrosThatRunOnClickHouse18() {
    for (Dashboard d : dashboards) {
      for (Query q : queries(d)) {
        Matcher m = GrafanaSql.MACRO.matcher(GrafanaSql.conditionalAll(q.sql(), n -> false));
        while (m.find()) {
          assertThat(MACROS).as(q.where() + " uses $__" + m.group(1)).contains(m.group(1));
        }
      }
    }
  }

  @Test
  void shouldRenderEveryQueryForAFullSelection() {
    Instant from = Instant.parse("2023-11-14T00:00:00Z");
    for (Dashboard d : dashboards) {
      Selection s = Selection.between(from, from.plus(Duration.ofDays(1)));
      for (Variable v : d.variables()) {
        if (v.includeAll()) {
          s.all(v.name());
        } else {
          s.set(v.name(), "1");
        }
      }
      for (Query q : queries(d)) {
        String sql = GrafanaSql.render(q.sql(), d, s);
        assertThat(sql).as(q.where()).doesNotContain("${", "$__").isNotBlank();
      }
    }
  }

  @Test
  void shouldLoadTheDashboardsFromWhereComposeMountsThem() {
    String provider = Dashboards.read(Dashboards.files(Dashboards.PROVIDERS, ".yml").get(0));
    Matcher path = Pattern.compile("(?m)^\\s+path:\\s*(\\S+)\\s*$").matcher(provider);
    assertThat(path.find()).as("dashboard provider path").isTrue();
    String compose = Dashboards.read(Dashboards.COMPOSE);
    assertThat(compose).contains("../grafana/dashboards:" + path.group(1) + ":ro");
    assertThat(compose).contains("../grafana/provisioning:/etc/grafana/provisioning:ro");
  }

  // ---- the renderer itself: what the IT's substitutions rest on -------------------------------

  private static Dashboard dashboard(String variablesJson) throws Exception {
    JsonNode json =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree("{\"templating\":{\"list\":" + variablesJson + "}}");
    return new Dashboard(Path.of("test.json"), json);
  }

  @Test
  void shouldEncodeValuesAsGrafanasPercentEncodeDoes() {
    assertThat(GrafanaSql.percentEncode("a-b_c.d~e")).isEqualTo("a-b_c.d~e");
    assertThat(GrafanaSql.percentEncode("it's \\ (x)*!")).isEqualTo("it%27s%20%5C%20%28x%29%2A%21");
    assertThat(GrafanaSql.percentEncode("{r1,r2}")).isEqualTo("%7Br1%2Cr2%7D");
    assertThat(GrafanaSql.percentEncode("é")).isEqualTo("%C3%A9");
  }

  @Test
  void shouldExpandConditionalAllVariablesAndMacrosInGrafanasOrder() throws Exception {
    Dashboard d =
        dashboard(
            "[{\"name\":\"team\",\"type\":\"query\"},{\"name\":\"runs\",\"type\":\"query\",\"multi\":true,\"includeAll\":true}]");
    String sql =
        "SELECT 1 FROM t WHERE team = decodeURLComponent('${team:percentencode}')"
            + " AND $__conditionalAll(run_id IN (SELECT arrayJoin(splitByChar(',', x('${runs:percentencode}')))), $runs)"
            + " AND $__timeFilter(time) AND t < $__toTime AND i = $__interval_s";
    Instant from = Instant.ofEpochSecond(1_700_000_000L);
    Selection s =
        Selection.between(from, from.plusSeconds(60))
            .interval(Duration.ofMillis(500))
            .set("team", "o'k\\");
    assertThat(GrafanaSql.render(sql, d, s.set("runs", "r1", "r'2")))
        .isEqualTo(
            "SELECT 1 FROM t WHERE team = decodeURLComponent('o%27k%5C')"
                + " AND run_id IN (SELECT arrayJoin(splitByChar(',', x('%7Br1%2Cr%272%7D'))))"
                + " AND time >= toDateTime(1700000000) AND time <= toDateTime(1700000060)"
                + " AND t < toDateTime(1700000060) AND i = 1");
    assertThat(GrafanaSql.render(sql, d, s.all("runs")))
        .contains(" AND 1=1 AND ")
        .doesNotContain("run_id");
    assertThat(GrafanaSql.render(sql, d, s.set("runs"))).contains(" AND 1=1 AND ");
  }

  @Test
  void shouldRefuseWhatTheDashboardsMustNotUse() throws Exception {
    Dashboard d =
        dashboard(
            "[{\"name\":\"team\",\"type\":\"query\"},{\"name\":\"runs\",\"type\":\"query\",\"multi\":true,\"includeAll\":true}]");
    Selection s =
        Selection.between(Instant.EPOCH, Instant.EPOCH.plusSeconds(1)).set("team", "a").all("runs");
    assertThatThrownBy(() -> GrafanaSql.render("SELECT $__timeInterval(t)", d, s))
        .hasMessageContaining("$__timeInterval");
    assertThatThrownBy(() -> GrafanaSql.render("SELECT $__timeFilter_ms(t)", d, s))
        .hasMessageContaining("$__timeFilter_ms");
    assertThatThrownBy(() -> GrafanaSql.render("SELECT '${team:csv}'", d, s))
        .hasMessageContaining("format csv");
    assertThatThrownBy(() -> GrafanaSql.render("SELECT '${runs:percentencode}'", d, s))
        .hasMessageContaining("All");
    assertThatThrownBy(() -> GrafanaSql.render("SELECT '${nope:percentencode}'", d, s))
        .hasMessageContaining("no variable nope");
    assertThat(
            GrafanaSql.conditionalAllVariables(
                "$__conditionalAll(f(a, b), ${runs}) AND $__conditionalAll(x, $team)"))
        .containsExactlyInAnyOrder("runs", "team");
  }
}
