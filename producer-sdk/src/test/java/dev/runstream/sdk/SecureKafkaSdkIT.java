package dev.runstream.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.deploy.LocalStack;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK on a broker with SASL/SCRAM and per-team ACLs, configured only through {@code
 * RUNSTREAM_KAFKA_PROPERTIES_FILE}: a team's run is delivered; with another team's credentials
 * nothing is, and the log says which topic and which permission.
 */
@Timeout(180)
class SecureKafkaSdkIT {
  private static LocalStack stack;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    stack =
        LocalStack.builder()
            .useEnvironment(false)
            .withClickHouse(false)
            .secureKafka(List.of("team-a", "team-b"))
            .start();
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private RunOptions.Builder options(Path propertiesFile, String prefix) {
    return RunOptions.builder(
            "secure",
            Map.of(
                "RUNSTREAM_KAFKA_PROPERTIES_FILE",
                propertiesFile.toString(),
                "RUNSTREAM_TOPIC_PREFIX",
                prefix))
        .schemaRegistryUrl(stack.schemaRegistryUrl())
        .directory(dir)
        .systemMetricsInterval(Duration.ZERO)
        .finishTimeout(Duration.ofSeconds(5));
  }

  @Test
  void aTeamsRunIsDeliveredThroughItsPropertiesFile() {
    String prefix = "team-a.sdk-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    // A generous bound: the broker creates the four topics on first use, on a shared machine.
    Run run =
        Runstream.init(
            options(stack.kafkaTeamProperties("team-a"), prefix)
                .finishTimeout(Duration.ofSeconds(60))
                .build());
    for (int step = 0; step < 50; step++) {
      run.log(Map.of("loss", 1.0 / (step + 1)));
    }
    run.finish();

    assertThat(run.counters().sent()).isEqualTo(50);
    assertThat(run.counters().unsent()).isZero();
  }

  @Test
  void anotherTeamsCredentialsDeliverNothingAndTheLogNamesTopicAndPermission() {
    String prefix = "team-a.sdk-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    AtomicReference<Run> run = new AtomicReference<>();
    String log =
        TestLogs.capturingStandardError(
            () -> {
              run.set(Runstream.init(options(stack.kafkaTeamProperties("team-b"), prefix).build()));
              for (int step = 0; step < 50; step++) {
                run.get().log(Map.of("loss", 1.0 / (step + 1)));
              }
              run.get().finish();
            });

    assertThat(run.get().counters().sent()).isZero();
    assertThat(run.get().counters().unsent()).isEqualTo(50);
    assertThat(log)
        .contains("Kafka denies WRITE on topic " + prefix)
        .contains("lack WRITE permission")
        .contains("RUNSTREAM_KAFKA_PROPERTIES_FILE");
  }
}
