package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RollupsTest {

  @Test
  void shouldPickTheWidestLevelNotWiderThanTheBucket() {
    assertThat(Rollups.levelFor(1)).isEqualTo(1);
    assertThat(Rollups.levelFor(3)).isEqualTo(1);
    assertThat(Rollups.levelFor(4)).isEqualTo(4);
    assertThat(Rollups.levelFor(20)).isEqualTo(16);
    assertThat(Rollups.levelFor(255)).isEqualTo(64);
    assertThat(Rollups.levelFor(1_000_000)).isEqualTo(256);
  }

  @Test
  void shouldRecomputeTouchedBucketsLevelByLevelFromTheLevelBelow() {
    Map<Rollups.Series, Rollups.StepRange> touched = new HashMap<>();
    Rollups.touch(
        touched, new Rollups.Series("t", "p", "r'1", "loss"), new Rollups.StepRange(5, 5));
    Rollups.touch(
        touched, new Rollups.Series("t", "p", "r'1", "loss"), new Rollups.StepRange(70, 70));
    List<String> sql = Rollups.refreshStatements("`db`", touched);

    assertThat(sql).hasSize(Rollups.LEVELS.size());
    assertThat(sql.get(0))
        .contains("FROM `db`.metrics WHERE")
        .contains("argMax(value, seq)")
        .contains("run_id = 'r\\'1'")
        .contains("step BETWEEN 1 AND 71 AND intDiv(step, 4) BETWEEN 1 AND 17");
    assertThat(sql.get(1))
        .contains("FROM `db`.metric_rollups FINAL WHERE width = 4 AND")
        .contains("bucket BETWEEN -3 AND 19 AND intDiv(bucket, 4) BETWEEN 0 AND 4");
    assertThat(sql.get(3)).contains("width = 64 AND").contains("intDiv(bucket, 4) BETWEEN 0 AND 0");
    assertThat(sql).allSatisfy(s -> assertThat(s).doesNotContain(" AS width"));
  }

  @Test
  void shouldSplitManySeriesIntoStatementsOfBoundedSize() {
    Map<Rollups.Series, Rollups.StepRange> touched = new HashMap<>();
    for (int i = 0; i < Rollups.SERIES_PER_STATEMENT * 2 + 1; i++) {
      touched.put(new Rollups.Series("t", "p", "run-" + i, "loss"), new Rollups.StepRange(0, 9));
    }
    List<String> sql = Rollups.refreshStatements("`db`", touched);
    assertThat(sql).hasSize(3 * Rollups.LEVELS.size());
    assertThat(sql).allSatisfy(s -> assertThat(s.length()).isLessThan(100_000));
    assertThat(Rollups.refreshStatements("`db`", Map.of())).isEmpty();
  }

  @Test
  void shouldUseNewerServerFeaturesOnlyFromVersion20() {
    assertThat(ServerFeatures.parse("18.16.1").shortStringType()).isEqualTo("String");
    assertThat(ServerFeatures.parse("18.16.1").floatCodec()).isEmpty();
    assertThat(ServerFeatures.parse("24.8.4.13").shortStringType())
        .isEqualTo("LowCardinality(String)");
    assertThat(ServerFeatures.parse("24.8.4.13").floatCodec()).isEqualTo("CODEC(Gorilla, LZ4)");
    assertThat(ServerFeatures.parse("garbage").modern()).isFalse();
  }
}
