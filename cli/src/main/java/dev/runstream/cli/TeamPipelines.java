package dev.runstream.cli;

import dev.runstream.deploy.ClickHouseTeams;
import dev.runstream.deploy.LocalStack;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.Settings;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The processing side of one team on a stack started with {@link LocalStack.Builder#secureKafka}: a
 * processor and a sink bound to the team, logged in as its service user through {@code
 * RUNSTREAM_KAFKA_PROPERTIES_FILE}, with topic prefix, Streams application id and sink group under
 * the team's prefix, the only names its ACLs allow. Configured through the same variables an
 * operator would set, so it runs as a deployment would.
 */
final class TeamPipelines {
  private TeamPipelines() {}

  /**
   * The environment of {@code team}'s processor and sink: {@code env} with the team's service user,
   * prefix, team, application id and group.
   */
  static Map<String, String> serviceEnvironment(
      LocalStack stack, String team, Map<String, String> env) {
    String prefix = LocalStack.kafkaTeamPrefix(team);
    Map<String, String> e = new HashMap<>(env);
    e.put(Settings.KAFKA_PROPERTIES_FILE.name(), stack.kafkaServiceProperties(team).toString());
    e.put(Settings.TOPIC_PREFIX.name(), prefix);
    e.put(Settings.TEAM.name(), team);
    e.put(Settings.PROCESSOR_APPLICATION_ID.name(), prefix + "processor");
    e.put(Settings.SINK_GROUP_ID.name(), prefix + "sink");
    e.putAll(clickHouseWriter(stack, team));
    return e;
  }

  /**
   * Where a sink of {@code stack} writes when the stack has ClickHouse users per team ({@link
   * LocalStack.Builder#clickhouseTeams}): as the writer (the default user is gone), into the team's
   * own database, which only the team's user reads; empty otherwise.
   *
   * @param team the team whose sink this is, or null for the stack's own sink (database {@code
   *     runstream})
   */
  static Map<String, String> clickHouseWriter(LocalStack stack, String team) {
    Optional<ClickHouseTeams> teams = stack.clickhouseTeams();
    if (teams.isEmpty()) {
      return Map.of();
    }
    ClickHouseTeams.Login writer = teams.get().writer();
    Map<String, String> e = new HashMap<>();
    e.put(Settings.CLICKHOUSE_USER.name(), writer.user());
    e.put(Settings.CLICKHOUSE_PASSWORD_FILE.name(), teams.get().passwordFile(writer).toString());
    if (team != null) {
      e.put(Settings.CLICKHOUSE_DATABASE.name(), ClickHouseTeams.databaseOf(team));
    }
    return e;
  }

  /**
   * Starts {@code team}'s processor and sink; blocks until both have started.
   *
   * @param env the environment the other settings come from
   * @throws IllegalStateException naming {@code RUNSTREAM_KAFKA_PROPERTIES_FILE} when Kafka refuses
   *     the service user
   */
  static Pipeline start(LocalStack stack, String team, Map<String, String> env) {
    ConfigProperties config = ConfigProperties.of(serviceEnvironment(stack, team, env));
    Path state = stack.dataDir().resolve("processor-state-" + team);
    return Pipeline.start(
        stack, Pipeline.processorConfig(stack, config, state), Pipeline.sinkConfig(stack, config));
  }
}
