package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** `runstream up --secure`: its options and what it prints per team, without servers. */
class UpSecureTest {

  @Test
  void secureTakesItsTeamsSeparatedByCommas() {
    UpCommand up = new UpCommand();
    new CommandLine(up).parseArgs("--secure", "--kafka-teams", "team-a,team-b");

    assertThat(up.secure).isTrue();
    assertThat(up.kafkaTeams).containsExactly("team-a", "team-b");
  }

  @Test
  void withoutTeamsTheDefaultTeamIsCalledDefault() {
    UpCommand up = new UpCommand();
    new CommandLine(up).parseArgs("--secure");

    assertThat(up.kafkaTeams).containsExactly("default");
  }

  @Test
  void eachTeamIsToldItsPropertiesFileAndPrefix() {
    Path data = Path.of("/data/runstream");

    String lines = UpCommand.teamLines(data, List.of("team-a", "team-b"));

    assertThat(lines)
        .contains(
            "team-a: export RUNSTREAM_KAFKA_PROPERTIES_FILE="
                + data.resolve("kafka-clients/team-a.properties")
                + " RUNSTREAM_TOPIC_PREFIX=team-a.")
        .contains(
            "team-b: export RUNSTREAM_KAFKA_PROPERTIES_FILE="
                + data.resolve("kafka-clients/team-b.properties"))
        .doesNotContain("password");
  }

  @Test
  void anOpenStackPrintsNothingAboutTeams() {
    assertThat(UpCommand.teamLines(Path.of("/d"), List.of())).isEmpty();
  }
}
