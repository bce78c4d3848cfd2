package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.cli.demo.DemoRun;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.AlertRecord;
import dev.runstream.query.MetricSummaryRow;
import dev.runstream.query.RunRecord;
import dev.runstream.testing.LocalStackExtension;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code runstream runs show} and {@code runs config} against the real stack. */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class RunsShowAndConfigIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private DemoSweep sweep;
  private DemoRun diverged;
  private RunRecord divergedRun;

  @BeforeAll
  void sweep(LocalStack stack) throws Exception {
    sweep = DemoSweep.get(stack);
    diverged =
        DemoRun.grid().stream()
            .filter(r -> r.fate() == DemoRun.Fate.DIVERGES)
            .findFirst()
            .orElseThrow();
    divergedRun = sweep.run(diverged.name());
  }

  @Test
  void showsMetadataConfigSummaryAndAlertsOfARunByName() {
    CliRunner.Result show = sweep.cli("runs", "show", diverged.name());

    assertThat(show.exit()).as("%s", show).isZero();
    String out = show.out();
    assertThat(out)
        .contains("run      " + divergedRun.id() + "\n")
        .contains("name     " + diverged.name() + "\n")
        .contains("state    FAILED\n")
        .contains("project  demo (team default)\n")
        .contains("group    " + sweep.tag + "\n")
        .contains("notes    " + diverged.notes() + "\n");
    assertThat(out).containsPattern("(?m)^  learning_rate\\s+0\\.5$");
    assertThat(out).containsPattern("(?m)^  optimizer\\.momentum\\s+0\\.9$");
    NavigableMap<Long, Double> loss = sweep.points(diverged.name(), "loss");
    MetricSummaryRow summary = sweep.queries.summaries(divergedRun.id()).get("loss");
    assertThat(loss.lastEntry().getValue()).isNaN();
    assertThat(out)
        .containsPattern(
            "(?m)^  loss\\s+"
                + Pattern.quote(Numbers.format(summary.last()))
                + "\\s+"
                + summary.lastStep()
                + "\\s+"
                + Pattern.quote(Numbers.format(summary.min()))
                + "\\s+\\S+\\s+\\S+\\s+"
                + loss.size()
                + "\\s+1$");
    List<AlertRecord> alerts = sweep.queries.alerts("demo", divergedRun.id(), 20);
    assertThat(alerts).extracting(AlertRecord::rule).contains("divergence", "non-finite");
    for (AlertRecord alert : alerts) {
      assertThat(out).contains(alert.message());
    }
  }

  @Test
  void showsAsJsonWithTheSameNumbersAsTheRawPoints() throws Exception {
    String best =
        DemoRun.grid().stream()
            .filter(r -> r.fate() == DemoRun.Fate.FINISHES)
            .findFirst()
            .orElseThrow()
            .name();
    CliRunner.Result show =
        CliRunner.run(sweep.serverEnv, "runs", "show", sweep.run(best).id(), "--format", "json");

    assertThat(show.exit()).as("%s", show).isZero();
    JsonNode json = JSON.readTree(show.out());
    assertThat(json.get("id").asText()).isEqualTo(sweep.run(best).id());
    assertThat(json.get("name").asText()).isEqualTo(best);
    for (String metric : List.of("loss", "acc", "val_loss", "val_acc")) {
      NavigableMap<Long, Double> points = sweep.points(best, metric);
      JsonNode summary = json.at("/summary/" + metric);
      assertThat(summary.get("points").asLong()).as(metric).isEqualTo(points.size());
      assertThat(summary.get("last_step").asLong()).as(metric).isEqualTo(points.lastKey());
      assertThat(summary.get("last").asDouble())
          .as(metric)
          .isEqualTo(points.lastEntry().getValue());
      assertThat(summary.get("min").asDouble())
          .as(metric)
          .isEqualTo(points.values().stream().mapToDouble(Double::doubleValue).min().orElseThrow());
    }
    assertThat(json.get("config").get("batch_size").asText())
        .isEqualTo(sweep.run(best).config().get("batch_size"));
    assertThat(json.get("config").get("batch_size").isIntegralNumber())
        .as("typed as the run sent it, not as text")
        .isTrue();
    assertThat(json.get("config").get("learning_rate").isNumber()).isTrue();
    assertThat(json.get("config").get("architecture").isTextual()).isTrue();
  }

  @Test
  void printsTheConfigAsTheJsonTheRunWasStartedWith() throws Exception {
    CliRunner.Result config = sweep.cli("runs", "config", diverged.name());

    assertThat(config.exit()).as("%s", config).isZero();
    int steps = Integer.parseInt(divergedRun.config().get("steps"));
    assertThat(JSON.readTree(config.out())).isEqualTo(JSON.valueToTree(diverged.config(steps)));
  }

  @Test
  void printsTheConfigAsArgumentsToRunTheExperimentAgain() {
    CliRunner.Result args = sweep.cli("runs", "config", divergedRun.id(), "--format", "args");

    assertThat(args.exit()).as("%s", args).isZero();
    int steps = Integer.parseInt(divergedRun.config().get("steps"));
    StringJoiner expected = new StringJoiner(" ");
    flatten("", diverged.config(steps), new TreeMap<>())
        .forEach((k, v) -> expected.add("--" + k + "=" + v));
    assertThat(args.out().strip()).isEqualTo(expected.toString());
    assertThat(RunsConfigCommand.shellQuote("--notes=it's fine"))
        .isEqualTo("'--notes=it'\\''s fine'");
  }

  @SuppressWarnings("unchecked")
  private static TreeMap<String, String> flatten(
      String prefix, Map<String, Object> config, TreeMap<String, String> out) {
    config.forEach(
        (k, v) -> {
          if (v instanceof Map<?, ?> nested) {
            flatten(prefix + k + ".", (Map<String, Object>) nested, out);
          } else {
            out.put(prefix + k, String.valueOf(v));
          }
        });
    return out;
  }

  @Test
  void aRunThatDoesNotExistIsAnErrorThatSaysSo() {
    CliRunner.Result show = sweep.cli("runs", "show", "no-such-run");

    assertThat(show.exit()).isEqualTo(1);
    assertThat(show.err())
        .startsWith("runstream: no run has the id or name 'no-such-run'")
        .contains(sweep.stack.clickhouseUrl())
        .contains("runstream runs list --project");
  }
}
