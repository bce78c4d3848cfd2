package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.cli.demo.DemoRun;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.sink.SinkConfig;
import dev.runstream.testing.LocalStackExtension;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code runstream runs list} on the demo's sweep, against the real stack. */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class RunsListIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private DemoSweep sweep;

  @BeforeAll
  void sweep(LocalStack stack) throws Exception {
    sweep = DemoSweep.get(stack);
  }

  private List<String> dataLines(String table) {
    List<String> lines = table.lines().toList();
    assertThat(lines.get(1)).as(table).matches("[- ]+");
    return lines.subList(2, lines.size());
  }

  @Test
  void listsEveryRunOfTheSweepWithStateVaryingConfigAndMetrics() {
    CliRunner.Result list = sweep.cli("runs", "list", "--project", "demo", "--tag", sweep.tag);

    assertThat(list.exit()).as("%s", list).isZero();
    String header = list.out().lines().findFirst().orElseThrow();
    assertThat(header.split("\\s{2,}"))
        .startsWith("id", "name", "state", "started", "tags")
        .contains(
            "architecture", "batch_size", "learning_rate", "loss", "best loss", "best val_acc")
        .doesNotContain("dataset"); // the same for every run
    List<String> rows = dataLines(list.out());
    assertThat(rows).hasSize(DemoRun.grid().size());
    for (DemoRun run : DemoRun.grid()) {
      String id = sweep.run(run.name()).id();
      assertThat(rows)
          .filteredOn(r -> r.startsWith(id + "  " + run.name() + " "))
          .singleElement()
          .asString()
          .contains(sweep.run(run.name()).state());
    }
    assertThat(rows)
        .filteredOn(r -> r.contains(sweep.run(DemoRun.Fate.DIVERGES).id()))
        .singleElement()
        .asString()
        .contains("FAILED");
  }

  @Test
  void filtersByStateAndByConfig() {
    CliRunner.Result failed =
        sweep.cli("runs", "list", "--project", "demo", "--tag", sweep.tag, "--state", "failed");
    assertThat(failed.exit()).as("%s", failed).isZero();
    assertThat(dataLines(failed.out()))
        .singleElement()
        .asString()
        .contains(sweep.run(DemoRun.Fate.DIVERGES).name());

    CliRunner.Result slow =
        sweep.cli(
            "runs",
            "list",
            "--project",
            "demo",
            "--tag",
            sweep.tag,
            "--where",
            "config.learning_rate < 0.01 and architecture = 'ResNet'");
    assertThat(slow.exit()).as("%s", slow).isZero();
    List<String> expected =
        DemoRun.grid().stream()
            .filter(r -> r.learningRate() < 0.01 && r.architecture().equals("ResNet"))
            .map(DemoRun::name)
            .toList();
    assertThat(expected).isNotEmpty();
    List<String> names = new ArrayList<>();
    dataLines(slow.out()).forEach(l -> names.add(l.split("\\s+")[1]));
    assertThat(names).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void sortsByBestValidationAccuracyAsJsonWithTheValuesOfTheRawPoints() throws Exception {
    CliRunner.Result list =
        sweep.cli(
            "runs",
            "list",
            "--project",
            "demo",
            "--tag",
            sweep.tag,
            "--sort",
            "-best.val_acc",
            "--metric",
            "val_acc",
            "--format",
            "json");

    assertThat(list.exit()).as("%s", list).isZero();
    JsonNode runs = JSON.readTree(list.out());
    List<String> order = new ArrayList<>();
    for (JsonNode run : runs) {
      String name = run.get("name").asText();
      order.add(name);
      assertThat(run.at("/metrics/val_acc/best").asDouble()).isEqualTo(sweep.best(name, "val_acc"));
      assertThat(run.at("/metrics/val_acc/final").asDouble())
          .isEqualTo(sweep.points(name, "val_acc").lastEntry().getValue());
      assertThat(run.at("/config/learning_rate").asText())
          .isEqualTo(sweep.run(name).config().get("learning_rate"));
      assertThat(run.get("state").asText()).isEqualTo(sweep.run(name).state());
    }
    List<String> expected =
        sweep.runs.keySet().stream()
            .sorted(Comparator.comparingDouble((String n) -> sweep.best(n, "val_acc")).reversed())
            .toList();
    assertThat(order).isEqualTo(expected);
  }

  @Test
  void sortsByTheLastValueWithAKeyThatLooksLikeAnOption() {
    CliRunner.Result list =
        sweep.cli(
            "runs",
            "list",
            "--project",
            "demo",
            "--tag",
            sweep.tag,
            "--sort",
            "-summary.val_acc",
            "--limit",
            "3");

    assertThat(list.exit()).as("%s", list).isZero();
    List<String> rows = dataLines(list.out());
    assertThat(rows).hasSize(4); // three runs and the line that says there are more
    assertThat(rows.get(3))
        .isEqualTo("3 of " + DemoRun.grid().size() + " runs; --limit shows more.");
    String top =
        sweep.runs.keySet().stream()
            .max(Comparator.comparingDouble(n -> sweep.points(n, "val_acc").lastEntry().getValue()))
            .orElseThrow();
    assertThat(rows.get(0).split("\\s+")[1]).isEqualTo(top);
  }

  @Test
  void writesCsvWithEveryConfigKeyForScripts() {
    CliRunner.Result csv =
        CliRunner.run(
            sweep.serverEnv,
            "runs",
            "list",
            "--project",
            "demo",
            "--tag",
            sweep.tag,
            "--metric",
            "loss",
            "--format",
            "csv");

    assertThat(csv.exit()).as("%s", csv).isZero();
    List<String> lines = csv.out().lines().toList();
    assertThat(lines.get(0))
        .isEqualTo(
            "id,name,state,started,tags,config.architecture,config.batch_size,"
                + "config.learning_rate,loss,best loss");
    assertThat(lines).hasSize(1 + DemoRun.grid().size());
    String diverged = sweep.run(DemoRun.Fate.DIVERGES).name();
    assertThat(lines)
        .filteredOn(l -> l.contains("," + diverged + ","))
        .singleElement()
        .asString()
        .endsWith(",NaN," + Numbers.format(sweep.best(diverged, "loss")));
  }

  @Test
  void aClickHouseWithoutTheSinksTablesIsAnErrorThatSaysWhy() {
    Map<String, String> env = new HashMap<>(sweep.serverEnv);
    env.put("CLICKHOUSE_DATABASE", "nothing_here");

    CliRunner.Result list = CliRunner.run(env, "runs", "list", "--project", "demo");

    assertThat(list.exit()).isEqualTo(1);
    assertThat(list.err())
        .isEqualTo(
            "runstream: ClickHouse at "
                + sweep.stack.clickhouseUrl()
                + " has no runstream tables in database nothing_here yet: the sink creates them"
                + " when it starts (`runstream up` runs one)\n");
  }

  @Test
  void aQueryThatClickHouseRefusesIsAnErrorNamingTheServerNotAStackTrace() {
    // A database whose `runs` table predates the sink's layout: the first check passes (the
    // table is there), the query of `runs list` fails on the server.
    String database = "cli_old_layout";
    try (ClickHouseHttp clickHouse =
        new ClickHouseHttp(
            ClickHouseHttp.newClient(
                sweep.stack.clickhouseUrl(),
                SinkConfig.DEFAULT_CLICKHOUSE_USER,
                SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD),
            true)) {
      clickHouse.execute("CREATE DATABASE IF NOT EXISTS " + database);
      clickHouse.execute(
          "CREATE TABLE IF NOT EXISTS " + database + ".runs (run_id String) ENGINE = Memory");
    }
    Map<String, String> env = new HashMap<>(sweep.serverEnv);
    env.put("CLICKHOUSE_DATABASE", database);

    CliRunner.Result list = CliRunner.run(env, "runs", "list", "--project", "demo");

    assertThat(list.exit()).as("%s", list).isEqualTo(1);
    assertThat(list.err())
        .as("%s", list)
        .startsWith(
            "runstream: ClickHouse at " + sweep.stack.clickhouseUrl() + " refused a query (code ")
        .contains("`runstream up`")
        .doesNotContain("com.clickhouse", "\tat ");
  }
}
