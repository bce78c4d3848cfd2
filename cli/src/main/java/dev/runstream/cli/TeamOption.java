package dev.runstream.cli;

import dev.runstream.schemas.Topics;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** {@code --team T}: read ClickHouse as team T's user, so only T's runs are visible. */
final class TeamOption {
  @Option(
      names = "--team",
      paramLabel = "TEAM",
      description =
          "Read as this team's ClickHouse user, which sees only the team's runs: its login from"
              + " the running `runstream up`, or CLICKHOUSE_USER with CLICKHOUSE_PASSWORD_FILE"
              + " (and CLICKHOUSE_DATABASE) when set.")
  String team;

  /** The team, checked; null when not given. */
  String team(CommandSpec spec) {
    if (team == null) {
      return null;
    }
    try {
      return Topics.requireTeam(team);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--team: " + e.getMessage());
    }
  }
}
