package dev.runstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A stack's ClickHouse with a user per team, on the real server (18.16 here). */
@Timeout(180)
class ClickHouseTeamsIT {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @TempDir Path tmp;

  /** An answer: HTTP status and body. */
  private record Answer(int status, String body) {}

  private static Answer sql(LocalStack stack, ClickHouseTeams.Login login, String sql)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(stack.clickhouseUrl() + "/"))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(sql));
    if (login != null) {
      request
          .header("X-ClickHouse-User", login.user())
          .header("X-ClickHouse-Key", login.password());
    }
    HttpResponse<String> response =
        HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(response.statusCode(), response.body());
  }

  @Test
  void eachTeamReadsOnlyItsOwnDatabaseAndNothingReadsWithoutAPassword() throws Exception {
    Path dataDir = tmp.resolve("stack");
    try (LocalStack stack =
        LocalStack.builder()
            .dataDir(dataDir)
            .useEnvironment(false)
            .withKafka(false)
            .withSchemaRegistry(false)
            .clickhouseTeams(List.of("a", "b"))
            .start()) {
      ClickHouseTeams teams = stack.clickhouseTeams().orElseThrow();
      ClickHouseTeams.Login writer = teams.writer();
      ClickHouseTeams.Login a = teams.team("a").orElseThrow();
      ClickHouseTeams.Login b = teams.team("b").orElseThrow();
      for (ClickHouseTeams.Login team : List.of(a, b)) {
        assertThat(sql(stack, writer, "CREATE DATABASE " + team.database()).status())
            .isEqualTo(200);
        assertThat(
                sql(
                        stack,
                        writer,
                        "CREATE TABLE "
                            + team.database()
                            + ".runs (team String, run_id String) ENGINE = MergeTree"
                            + " ORDER BY run_id")
                    .status())
            .isEqualTo(200);
      }
      sql(stack, writer, "INSERT INTO runstream_a.runs VALUES ('a', 'run-of-a')");
      sql(stack, writer, "INSERT INTO runstream_b.runs VALUES ('b', 'run-of-b')");

      assertThat(sql(stack, b, "SELECT run_id FROM runstream_b.runs").body())
          .isEqualTo("run-of-b\n");
      Answer foreign = sql(stack, b, "SELECT run_id FROM runstream_a.runs");
      assertThat(foreign.status()).isNotEqualTo(200);
      assertThat(foreign.body()).contains("Access denied to database runstream_a");
      for (String attempt :
          List.of(
              "SELECT run_id FROM merge('runstream_a', '^runs$')",
              "INSERT INTO runstream_b.runs VALUES ('a', 'planted')",
              "CREATE TABLE runstream_b.x (x UInt8) ENGINE = Memory",
              "SET readonly = 0")) {
        Answer refused = sql(stack, b, attempt);
        assertThat(refused.status()).as(attempt).isNotEqualTo(200);
        assertThat(refused.body()).as(attempt).doesNotContain("run-of-a");
      }
      assertThat(sql(stack, b, "SELECT name FROM system.tables WHERE name = 'runs'").body())
          .as("the tables b may list")
          .isEqualTo("runs\n");
      assertThat(sql(stack, null, "SELECT 1").status())
          .as("no password-less default")
          .isNotEqualTo(200);
      assertThat(
              sql(stack, new ClickHouseTeams.Login(b.user(), "wrong", b.database()), "SELECT 1")
                  .body())
          .contains("Wrong password for user " + b.user());

      for (Path file :
          List.of(
              dataDir.resolve(ClickHouseTeams.FILE_NAME),
              teams.passwordFile(writer),
              teams.passwordFile(b),
              dataDir.resolve("clickhouse").resolve("users.xml"))) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
            .as("%s", file)
            .isEqualTo("rw-------");
      }
    }
  }
}
