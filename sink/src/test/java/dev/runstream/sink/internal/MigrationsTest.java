package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.query.internal.Tables;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The migrations as SQL text for an 18.16 server and a current one. The 18.16 text also runs in
 * every integration test; the current one cannot run here, so its text is what is checked.
 */
class MigrationsTest {
  private static List<String> statements(String version) {
    ServerFeatures features = ServerFeatures.parse(version);
    List<String> out = new ArrayList<>();
    for (Migrations.Migration m : Migrations.ALL) {
      for (Migrations.Step step : m.steps()) {
        String sql = Migrations.sql("`db`", features, step, (table, column) -> false);
        if (sql != null) {
          out.add(sql);
        }
      }
    }
    return out;
  }

  @Test
  void shouldUseOnlyWhat18Point16KnowsOnIt() {
    List<String> sql = statements("18.16.1");
    assertThat(sql)
        .noneMatch(s -> s.contains("LowCardinality"))
        .noneMatch(s -> s.contains("CODEC"))
        .noneMatch(s -> s.contains("DateTime64"))
        .noneMatch(s -> s.contains("%"))
        .allMatch(s -> s.contains("`db`."));
    assertThat(sql)
        .contains(
            "ALTER TABLE `db`.`alerts` ADD COLUMN `at` DateTime MATERIALIZED"
                + " toDateTime(intDiv(`time_ms`, 1000))");
  }

  @Test
  void shouldUseLowCardinalityCodecsAndDateTime64OnCurrentServers() {
    List<String> sql = statements("24.8.4.13");
    assertThat(sql)
        .anySatisfy(
            s ->
                assertThat(s)
                    .contains("CREATE TABLE IF NOT EXISTS `db`.metric_rollups")
                    .contains("metric LowCardinality(String)")
                    .contains("sum Float64 CODEC(Gorilla, LZ4)"))
        .anySatisfy(
            s ->
                assertThat(s)
                    .contains("CREATE TABLE IF NOT EXISTS `db`.run_attributes")
                    .contains("attribute LowCardinality(String)"))
        .contains(
            "ALTER TABLE `db`.`run_events` ADD COLUMN `at` DateTime64(3) MATERIALIZED"
                + " toDateTime64(`time_ms` / 1000, 3)")
        .noneMatch(s -> s.contains("%"));
  }

  @Test
  void shouldSkipAColumnThatExists() {
    Migrations.Step add = new Migrations.AddTimeColumn(Tables.ALERTS, "at", "time_ms");
    assertThat(Migrations.sql("`db`", ServerFeatures.parse("18.16.1"), add, (t, c) -> true))
        .isNull();
    Migrations.Step column = new Migrations.AddColumn(Tables.RUN_STATES, "name", "String");
    assertThat(Migrations.sql("`db`", ServerFeatures.parse("18.16.1"), column, (t, c) -> true))
        .isNull();
  }

  @Test
  void shouldNumberMigrationsWithoutGapsFromOne() {
    for (int i = 0; i < Migrations.ALL.size(); i++) {
      assertThat(Migrations.ALL.get(i).version()).isEqualTo(i + 1);
    }
    assertThat(Migrations.latestVersion()).isEqualTo(Migrations.ALL.size());
  }
}
