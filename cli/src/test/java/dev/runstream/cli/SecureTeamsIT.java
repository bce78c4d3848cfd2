package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.runstream.deploy.LocalStack;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRecord;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import dev.runstream.sink.SinkConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Teams on a broker with SASL/SCRAM and prefixed ACLs, end to end: a team's SDK run, through its
 * properties file, is processed and stored by the team's processor and sink running as its service
 * user; another team's service user cannot take over its topics; a wrong password stops start-up
 * with a message naming the setting.
 */
@Timeout(300)
class SecureTeamsIT {
  private static LocalStack stack;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    stack =
        LocalStack.builder().useEnvironment(false).secureKafka(List.of("team-a", "team-b")).start();
    stack.closeFirst(TeamPipelines.start(stack, "team-a", Map.of()));
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void aTeamsRunIsProcessedAndStoredByItsServiceUser() {
    Run run =
        Runstream.init(
            RunOptions.builder(
                    "secure",
                    Map.of(
                        "RUNSTREAM_KAFKA_PROPERTIES_FILE",
                        stack.kafkaTeamProperties("team-a").toString(),
                        "RUNSTREAM_TOPIC_PREFIX",
                        LocalStack.kafkaTeamPrefix("team-a")))
                .schemaRegistryUrl(stack.schemaRegistryUrl())
                .entity("team-a")
                .directory(dir)
                .systemMetricsInterval(Duration.ZERO)
                .finishTimeout(Duration.ofSeconds(60))
                .build());
    for (int step = 0; step < 20; step++) {
      run.log(Map.of("loss", 1.0 / (step + 1)));
    }
    run.finish();
    assertThat(run.counters().sent()).isEqualTo(20);

    try (RunQueries queries =
        RunQueries.connect(
            stack.clickhouseUrl(),
            SinkConfig.DEFAULT_CLICKHOUSE_USER,
            SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD,
            SinkConfig.DEFAULT_DATABASE)) {
      await()
          .atMost(Duration.ofSeconds(120))
          .untilAsserted(
              () -> {
                assertThat(queries.runs("secure"))
                    .extracting(RunRecord::id, RunRecord::team)
                    .contains(org.assertj.core.groups.Tuple.tuple(run.id(), "team-a"));
                assertThat(queries.points(run.id()).get("loss")).hasSize(20);
                // Summaries come from the processor: it ran as the service user too.
                assertThat(queries.summaries(run.id())).containsKey("loss");
              });
    }
  }

  @Test
  void anotherTeamsServiceUserCannotTakeOverATeamsTopics() {
    Map<String, String> env =
        new HashMap<>(TeamPipelines.serviceEnvironment(stack, "team-b", Map.of()));
    env.put("RUNSTREAM_TOPIC_PREFIX", LocalStack.kafkaTeamPrefix("team-a"));

    assertThatThrownBy(() -> startPipeline(env, "intruder"))
        .hasMessageContaining("Kafka denies CREATE on topic team-a.")
        .hasMessageContaining("RUNSTREAM_KAFKA_PROPERTIES_FILE");
  }

  @Test
  void aWrongPasswordStopsStartUpNamingTheSetting() throws Exception {
    Path wrong = dir.resolve("wrong.properties");
    String good = Files.readString(stack.kafkaServiceProperties("team-b"));
    Files.writeString(wrong, good.replaceAll("password=\"[^\"]+\"", "password=\"wrong\""));
    Map<String, String> env =
        new HashMap<>(TeamPipelines.serviceEnvironment(stack, "team-b", Map.of()));
    env.put("RUNSTREAM_KAFKA_PROPERTIES_FILE", wrong.toString());

    assertThatThrownBy(() -> startPipeline(env, "wrong-password"))
        .hasMessageContaining("Kafka rejects the login")
        .hasMessageContaining("RUNSTREAM_KAFKA_PROPERTIES_FILE")
        .hasMessageContaining("sasl.jaas.config");
  }

  private void startPipeline(Map<String, String> env, String name) {
    var config = dev.runstream.schemas.config.ConfigProperties.of(env);
    Pipeline pipeline =
        Pipeline.start(
            stack,
            Pipeline.processorConfig(stack, config, dir.resolve(name)),
            Pipeline.sinkConfig(stack, config));
    pipeline.close(); // not reached when the test passes
  }
}
