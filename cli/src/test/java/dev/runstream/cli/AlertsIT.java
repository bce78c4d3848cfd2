package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.cli.demo.DemoRun;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.AlertRecord;
import dev.runstream.query.RunRecord;
import dev.runstream.sdk.AlertLevel;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import dev.runstream.testing.LocalStackExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code runstream alerts}: recent ones from ClickHouse, new ones from Kafka. */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class AlertsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private DemoSweep sweep;
  private LocalStack stack;

  @BeforeAll
  void sweep(LocalStack stack) throws Exception {
    this.stack = stack;
    sweep = DemoSweep.get(stack);
  }

  @Test
  void listsTheAlertsOfTheSweepWithRunNames() {
    RunRecord diverged = sweep.run(DemoRun.Fate.DIVERGES);
    RunRecord crashed = sweep.run(DemoRun.Fate.CRASHES);
    // The processor of the tests calls the crashed run crashed 10 s after its last sign of life.
    DemoSweep.eventually(
        () ->
            assertThat(sweep.queries.alerts("demo", crashed.id(), 10))
                .extracting(AlertRecord::rule)
                .contains("crashed"));

    CliRunner.Result alerts = sweep.cli("alerts", "--project", "demo", "--limit", "50");

    assertThat(alerts.exit()).as("%s", alerts).isZero();
    List<AlertRecord> expected = new ArrayList<>(sweep.queries.alerts("demo", null, 50));
    List<String> rows = alerts.out().lines().skip(2).toList();
    assertThat(rows).hasSize(expected.size());
    assertThat(rows)
        .anySatisfy(
            r ->
                assertThat(r.split("\\s{2,}"))
                    .startsWith(
                        r.substring(0, 19), "CRITICAL", "divergence", diverged.name(), "loss"))
        .anySatisfy(r -> assertThat(r).contains("non-finite", diverged.name()))
        .anySatisfy(r -> assertThat(r).contains("crashed", crashed.name()));
    for (AlertRecord alert : expected) {
      assertThat(alerts.out()).contains(alert.message());
    }
  }

  @Test
  void listsTheAlertsOfOneRunAsJson() throws Exception {
    RunRecord diverged = sweep.run(DemoRun.Fate.DIVERGES);

    CliRunner.Result alerts =
        CliRunner.run(sweep.serverEnv, "alerts", "--run", diverged.id(), "--format", "json");

    assertThat(alerts.exit()).as("%s", alerts).isZero();
    JsonNode json = JSON.readTree(alerts.out());
    List<String> rules = new ArrayList<>();
    for (JsonNode alert : json) {
      assertThat(alert.get("run_id").asText()).isEqualTo(diverged.id());
      assertThat(alert.get("run_name").asText()).isEqualTo(diverged.name());
      rules.add(alert.get("rule").asText());
    }
    assertThat(rules)
        .containsExactlyInAnyOrderElementsOf(
            sweep.queries.alerts("demo", diverged.id(), 20).stream()
                .map(AlertRecord::rule)
                .toList());
  }

  @Test
  void followPrintsANewAlertOnceAsItComesAndStopsWhenInterrupted(@TempDir Path dir)
      throws Exception {
    CliRunner.Background follow = new CliRunner.Background(sweep.env, "alerts", "--follow");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(follow.out()).contains("-- following new alerts"));
    String history = follow.out();

    String text = "checkpoint disk is 95% full " + System.nanoTime();
    String runId;
    try (Run run =
        Runstream.init(
            RunOptions.builder("alerts-it", Map.of())
                .name("alerting-run")
                .directory(dir)
                .kafkaBootstrap(stack.kafkaBootstrap())
                .schemaRegistryUrl(stack.schemaRegistryUrl())
                .systemMetricsInterval(Duration.ZERO)
                .build())) {
      runId = run.id();
      run.log(Map.of("loss", 1.0));
      run.alert("disk", text, AlertLevel.WARN);
    }

    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(follow.out()).contains(text));
    int exit = follow.stop();

    assertThat(exit).as(follow.out() + follow.err()).isZero();
    String followed = follow.out().substring(history.length());
    assertThat(followed.lines().filter(l -> l.contains(text))).hasSize(1);
    // The run's name when the sink has written the run by then, else its id.
    assertThat(followed)
        .containsPattern(
            "WARN\\S*\\s+user\\s+(alerting-run|" + runId + ")\\s+" + Pattern.quote(text));
    // What the history printed is not printed again by the tail, which starts minutes back.
    for (String line : history.lines().skip(1).filter(l -> !l.startsWith("--")).toList()) {
      assertThat(followed).doesNotContain(line);
    }
  }
}
