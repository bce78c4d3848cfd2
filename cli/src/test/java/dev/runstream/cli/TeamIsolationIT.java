package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.clickhouse.client.api.ServerException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.runstream.deploy.ClickHouseTeams;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.sink.ClickHouseSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two teams on one ClickHouse (the real 18.16 server): team b's user, through the CLI or by its own
 * SQL, never sees a run of team a, whatever filter, sort, project or run name it asks for.
 *
 * <p>Each team's sink writes to the team's own database, as a sink bound to a team is deployed;
 * here the rows are inserted as the writer, into tables the sink's own migrations created.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(240)
class TeamIsolationIT {
  private static final String PROJECT = "shared";
  // Every run of team a carries this in its id and name: output containing it is a leak.
  private static final String SECRET = "secret-of-a";

  private Path tmp;
  private LocalStack stack;
  private ClickHouseTeams teams;
  private Map<String, String> env;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    tmp = dir;
    stack =
        LocalStack.builder()
            .dataDir(tmp.resolve("stack"))
            .useEnvironment(false)
            .withKafka(false)
            .withSchemaRegistry(false)
            .clickhouseTeams(List.of("a", "b"))
            .start();
    teams = stack.clickhouseTeams().orElseThrow();
    ClickHouseTeams.Login writer = teams.writer();
    try (ClickHouseHttp http = writerHttp()) {
      for (String team : List.of("a", "b")) {
        String db = teams.team(team).orElseThrow().database();
        ClickHouseSchema.migrate(http.client(), db);
      }
      insertRun(http, "a", "a-" + SECRET + "-1", "run-" + SECRET + "-1", 0.1);
      insertRun(http, "a", "a-" + SECRET + "-2", "run-" + SECRET + "-2", 0.9);
      insertRun(http, "b", "b-run-1", "b-first", 0.5);
    }
    // What `runstream up` leaves for the other commands: its pid (this live JVM) and data dir.
    env = new HashMap<>();
    env.put("RUNSTREAM_HOME", tmp.resolve("home").toString());
    new StackState(
            ProcessHandle.current().pid(),
            new Endpoints("", "", stack.clickhouseUrl()),
            "",
            stack.dataDir().toString())
        .write(env);
    assertThat(writer.user()).isEqualTo(ClickHouseTeams.WRITER_USER);
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private ClickHouseHttp writerHttp() {
    ClickHouseTeams.Login w = teams.writer();
    return new ClickHouseHttp(
        ClickHouseHttp.newClient(stack.clickhouseUrl(), w.user(), w.password()), true);
  }

  private void insertRun(ClickHouseHttp http, String team, String id, String name, double lr) {
    String db = teams.team(team).orElseThrow().database();
    http.execute(
        "INSERT INTO "
            + db
            + ".runs (team, project, run_id, name, notes, tags, config_json, config_keys,"
            + " config_values, group_name, job_type, env_keys, env_values, started_at, version)"
            + " VALUES ('"
            + team
            + "', '"
            + PROJECT
            + "', '"
            + id
            + "', '"
            + name
            + "', '', ['t'], '{\"lr\": "
            + lr
            + ", \"team\": \""
            + team
            + "\"}', ['lr', 'team'], ['"
            + lr
            + "', '"
            + team
            + "'], '', '', [], [], now(), 1)");
  }

  private CliRunner.Result cli(Map<String, String> extraEnv, String... args) {
    Map<String, String> e = new HashMap<>(env);
    e.putAll(extraEnv);
    return CliRunner.run(e, args);
  }

  private static void assertNoLeak(CliRunner.Result result) {
    assertThat(result.out() + result.err()).as("%s", result).doesNotContain(SECRET);
  }

  @Test
  void eachTeamListsOnlyItsOwnRunsOfASharedProjectName() {
    CliRunner.Result b = cli(Map.of(), "runs", "list", "--team", "b", "--project", PROJECT);
    assertThat(b.exit()).as("%s", b).isZero();
    assertThat(b.out()).contains("b-run-1");
    assertNoLeak(b);

    // The control: team a's runs are there, for team a.
    CliRunner.Result a = cli(Map.of(), "runs", "list", "--team", "a", "--project", PROJECT);
    assertThat(a.exit()).as("%s", a).isZero();
    assertThat(a.out())
        .contains("a-" + SECRET + "-1", "a-" + SECRET + "-2")
        .doesNotContain("b-run-1");
  }

  @Test
  void noFilterSortProjectOrTagOfTeamBReachesTeamARows() {
    List<List<String>> attempts = new ArrayList<>();
    for (String where :
        List.of(
            "team = 'a'",
            "lr > 0 or 1 = 1",
            "lr > 0) OR (1 = 1",
            "lr = '0.1' OR '1'='1'",
            "lr = '0.1'' OR team = ''a'",
            "lr = '\\' OR 1=1 --'",
            "lr > 0; SELECT * FROM runstream_a.runs",
            "lr > 0 UNION ALL SELECT * FROM runstream_a.runs",
            "`lr` > 0 OR `team` = 'a'",
            "exists(SELECT run_id FROM runstream_a.runs)",
            "lr in (SELECT lr FROM runstream_a.runs)")) {
      attempts.add(List.of("--where", where));
    }
    attempts.add(List.of("--sort", "-best.lr' OR 1=1 --"));
    attempts.add(List.of("--sort", "name"));
    attempts.add(List.of("--sort", "-summary.x`) UNION ALL SELECT * FROM runstream_a.runs --"));
    attempts.add(List.of("--tag", "t' OR team = 'a"));
    attempts.add(List.of("--state", "FINISHED' OR 1=1 --"));
    for (List<String> attempt : attempts) {
      List<String> args =
          new ArrayList<>(List.of("runs", "list", "--team", "b", "--project", PROJECT));
      args.addAll(attempt);
      CliRunner.Result result = cli(Map.of(), args.toArray(String[]::new));
      assertNoLeak(result);
      // Stored as a value (b's run or none) or refused as an argument; never executed as SQL.
      assertThat(result.exit()).as("%s\n%s", attempt, result).isIn(0, 2);
      if (result.exit() == 0) {
        assertThat(result.out())
            .as("%s", attempt)
            .containsAnyOf("b-run-1", "No runs of project " + PROJECT + " match.");
      }
    }
    for (String project : List.of(PROJECT + "' OR team = 'a", "x' OR 1=1 --", "runstream_a")) {
      CliRunner.Result result = cli(Map.of(), "runs", "list", "--team", "b", "--project", project);
      assertNoLeak(result);
      assertThat(result.exit()).as("%s", result).isIn(0, 2);
    }
  }

  @Test
  void teamBCannotShowCompareOrReadTheConfigOfTeamARunsById() {
    for (List<String> args :
        List.of(
            List.of("runs", "show", "a-" + SECRET + "-1", "--team", "b"),
            List.of("runs", "show", "run-" + SECRET + "-1", "--team", "b"),
            List.of("runs", "compare", "a-" + SECRET + "-1", "b-run-1", "--team", "b"),
            List.of("runs", "config", "a-" + SECRET + "-1", "--team", "b"))) {
      CliRunner.Result result = cli(Map.of(), args.toArray(String[]::new));
      assertThat(result.exit()).as("%s\n%s", args, result).isNotZero();
      assertThat(result.out()).as("%s", args).doesNotContain("0.1");
      // The id the user typed may be echoed in "not found"; nothing else of run a may appear.
      assertThat(result.out() + result.err())
          .as("%s", args)
          .doesNotContain("run-" + SECRET + "-2", "a-" + SECRET + "-2");
    }
  }

  @Test
  void teamBsOwnSqlReadsOnlyItsRowsAndIsRefusedTeamAsDatabase() {
    ClickHouseTeams.Login b = teams.team("b").orElseThrow();
    try (ClickHouseHttp http =
        new ClickHouseHttp(
            ClickHouseHttp.newClient(stack.clickhouseUrl(), b.user(), b.password()), true)) {
      List<JsonNode> own = http.queryJson("SELECT team, run_id FROM " + b.database() + ".runs");
      assertThat(own).extracting(r -> r.get("team").asText()).containsOnly("b");
      assertThat(own).extracting(r -> r.get("run_id").asText()).containsExactly("b-run-1");

      for (String sql :
          List.of(
              "SELECT run_id FROM runstream_a.runs",
              "SELECT run_id FROM merge('runstream_a', '^runs$')",
              "SELECT run_id FROM runstream.runs")) {
        assertThatThrownBy(() -> http.queryJson(sql))
            .as(sql)
            .isInstanceOf(ServerException.class)
            .hasMessageContaining("Access denied to database");
      }
      // Read-only: b cannot plant rows, not even in its own database, nor lift the restriction.
      assertThatThrownBy(
              () ->
                  http.execute(
                      "INSERT INTO " + b.database() + ".runs (team, run_id) VALUES ('a', 'x')"))
          .isInstanceOf(ServerException.class)
          .hasMessageContaining("readonly");
      assertThatThrownBy(() -> http.execute("SET readonly = 0"))
          .isInstanceOf(ServerException.class);
    }
  }

  @Test
  void aWrongPasswordStopsTheCommandWithAMessageNamingTheSetting() throws Exception {
    Path wrong = Files.writeString(tmp.resolve("wrong-password"), "not-the-password-42\n");

    CliRunner.Result result =
        cli(
            Map.of(
                "CLICKHOUSE_USER", "team_b",
                "CLICKHOUSE_PASSWORD_FILE", wrong.toString(),
                "CLICKHOUSE_DATABASE", "runstream_b"),
            "runs",
            "list",
            "--team",
            "b",
            "--project",
            PROJECT);

    assertThat(result.exit()).as("%s", result).isNotZero();
    assertThat(result.err())
        .contains("refused user team_b", "CLICKHOUSE_PASSWORD_FILE", wrong.toString())
        .doesNotContain("not-the-password-42");

    // The stack's password file of team b, under the same settings, works: the message was about
    // the password alone. Without CLICKHOUSE_DATABASE the team's own database is read.
    Path right = teams.passwordFile(teams.team("b").orElseThrow());
    CliRunner.Result ok =
        cli(
            Map.of("CLICKHOUSE_USER", "team_b", "CLICKHOUSE_PASSWORD_FILE", right.toString()),
            "runs",
            "list",
            "--team",
            "b",
            "--project",
            PROJECT);
    assertThat(ok.exit()).as("%s", ok).isZero();
    assertThat(ok.out()).contains("b-run-1");
    assertNoLeak(ok);
  }

  @Test
  void teamBPointedAtTeamAsDatabaseIsRefusedByTheServer() {
    CliRunner.Result result =
        cli(
            Map.of("CLICKHOUSE_DATABASE", "runstream_a"),
            "runs",
            "list",
            "--team",
            "b",
            "--project",
            PROJECT);
    assertThat(result.exit()).as("%s", result).isNotZero();
    assertNoLeak(result);
  }

  @Test
  void aTeamWithoutALoginIsToldWhichSettingsToSet() {
    CliRunner.Result result = cli(Map.of(), "runs", "list", "--team", "c", "--project", PROJECT);
    assertThat(result.exit()).as("%s", result).isNotZero();
    assertThat(result.err())
        .contains("no ClickHouse user for team c", "CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD_FILE");
  }
}
