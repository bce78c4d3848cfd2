package dev.runstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClickHouseTeamsTest {
  @TempDir Path dir;

  @Test
  void shouldGiveEachTeamItsOwnUserAndDatabaseInAnOwnerOnlyFile() throws Exception {
    Path file = dir.resolve(ClickHouseTeams.FILE_NAME);

    ClickHouseTeams teams = ClickHouseTeams.createOrReuse(file, List.of("vision", "nlp.research"));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    ClickHouseTeams.Login vision = teams.team("vision").orElseThrow();
    ClickHouseTeams.Login nlp = teams.team("nlp.research").orElseThrow();
    assertThat(vision.user()).isEqualTo("team_vision");
    assertThat(vision.database()).isEqualTo("runstream_vision");
    assertThat(nlp.user()).isEqualTo("team_nlp_research");
    assertThat(nlp.database()).isEqualTo("runstream_nlp_research");
    assertThat(vision.password()).hasSizeGreaterThanOrEqualTo(32).isNotEqualTo(nlp.password());
    assertThat(teams.writer().user()).isEqualTo(ClickHouseTeams.WRITER_USER);
    assertThat(vision.toString()).doesNotContain(vision.password());

    for (ClickHouseTeams.Login login : List.of(vision, nlp, teams.writer())) {
      Path passwordFile = teams.passwordFile(login);
      assertThat(passwordFile.getParent()).isEqualTo(dir.resolve(ClickHouseTeams.PASSWORD_DIR));
      assertThat(Files.readString(passwordFile)).isEqualTo(login.password() + "\n");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)))
          .isEqualTo("rw-------");
    }

    ClickHouseTeams read = ClickHouseTeams.read(file);
    assertThat(read.teams()).isEqualTo(teams.teams());
    assertThat(read.writer()).isEqualTo(teams.writer());
  }

  @Test
  void shouldKeepThePasswordsOfAKeptFileAndAddNewTeams() {
    Path file = dir.resolve(ClickHouseTeams.FILE_NAME);
    ClickHouseTeams first = ClickHouseTeams.createOrReuse(file, List.of("a"));

    ClickHouseTeams second = ClickHouseTeams.createOrReuse(file, List.of("a", "b"));

    assertThat(second.writer()).isEqualTo(first.writer());
    assertThat(second.team("a")).isEqualTo(first.team("a"));
    assertThat(second.team("b")).isPresent();
    assertThat(ClickHouseTeams.read(file).team("b")).isEqualTo(second.team("b"));
  }

  @Test
  void shouldRefuseTeamsThatWouldShareADatabaseOrBreakTheUsersFile() {
    Path file = dir.resolve(ClickHouseTeams.FILE_NAME);
    assertThatThrownBy(() -> ClickHouseTeams.createOrReuse(file, List.of("a.b", "a_b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("runstream_a_b");
    assertThatThrownBy(() -> ClickHouseTeams.createOrReuse(file, List.of("a</password>")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("team must be");
  }

  @Test
  void shouldLimitEachTeamUserToItsDatabaseReadOnly() {
    ClickHouseTeams teams =
        ClickHouseTeams.createOrReuse(dir.resolve(ClickHouseTeams.FILE_NAME), List.of("a", "b"));

    String xml = teams.usersXml();

    assertThat(xml)
        .contains("<runstream_writer>")
        .contains("<team_a>", "<allow_databases><database>runstream_a</database></allow_databases>")
        .contains("<team_b>", "<profile>team_reader</profile>")
        .doesNotContain("<default>");
    assertThat(ClickHouseTeams.readerProfileXml()).contains("<readonly>2</readonly>");
  }
}
