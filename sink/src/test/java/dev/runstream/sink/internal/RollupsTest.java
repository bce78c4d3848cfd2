package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.query.internal.RollupLevels;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RollupsTest {

  @Test
  void shouldPickTheWidestLevelNotWiderThanTheBucket() {
    assertThat(RollupLevels.levelFor(1)).isEqualTo(1);
    assertThat(RollupLevels.levelFor(3)).isEqualTo(1);
    assertThat(RollupLevels.levelFor(4)).isEqualTo(4);
    assertThat(RollupLevels.levelFor(20)).isEqualTo(16);
    assertThat(RollupLevels.levelFor(255)).isEqualTo(128);
    assertThat(RollupLevels.levelFor(1_000_000)).isEqualTo(256);
  }

  @Test
  void shouldReadEveryBucketWidthFrom16To256FromOneLevel() {
    // The curves round a width up to a multiple of the widest level not wider than it.
    for (long width = 16; width <= 256; width++) {
      long level = RollupLevels.levelFor(width);
      long bucket = (width + level - 1) / level * level;
      assertThat(RollupLevels.widestDividing(bucket)).as("width %d", width).isEqualTo(bucket);
    }
    assertThat(RollupLevels.widestDividing(32)).isEqualTo(32);
    assertThat(RollupLevels.widestDividing(96)).isEqualTo(32);
    assertThat(RollupLevels.widestDividing(20)).isEqualTo(4);
    assertThat(RollupLevels.widestDividing(1024)).isEqualTo(256);
    assertThat(RollupLevels.widestDividing(6)).isEqualTo(1);
  }

  @Test
  void shouldRecomputeTouchedBucketsLevelByLevelFromTheLevelBelow() {
    Map<Rollups.Series, Rollups.StepRange> touched = new HashMap<>();
    Rollups.touch(
        touched, new Rollups.Series("t", "p", "r'1", "loss"), new Rollups.StepRange(5, 5));
    Rollups.touch(
        touched, new Rollups.Series("t", "p", "r'1", "loss"), new Rollups.StepRange(70, 70));
    List<String> sql = Rollups.refreshStatements("`db`", touched);

    assertThat(sql).hasSize(RollupLevels.LEVELS.size());
    assertThat(sql.get(0))
        .contains("FROM `db`.metrics WHERE")
        .contains("argMax(value, seq)")
        .contains("team = 't' AND project = 'p'")
        .contains("(run_id, metric) IN (('r\\'1', 'loss'), ('r\\'1', 'loss'))")
        .contains("step BETWEEN 1 AND 71 AND intDiv(step, 4) BETWEEN 1 AND 17");
    assertThat(sql.get(1))
        .contains("FROM `db`.metric_rollups FINAL WHERE width = 4 AND")
        .contains("bucket BETWEEN -3 AND 19 AND intDiv(bucket, 4) BETWEEN 0 AND 4");
    assertThat(sql.get(2)).contains("width = 16 AND").contains("intDiv(bucket, 2) BETWEEN 0 AND 2");
    assertThat(sql.get(sql.size() - 1))
        .contains("width = 128 AND")
        .contains("intDiv(bucket, 2) BETWEEN 0 AND 0");
    assertThat(sql).allSatisfy(s -> assertThat(s).doesNotContain(" AS width"));
  }

  @Test
  void shouldSplitSeriesByProjectBySizeAndByDistantStepRanges() {
    Map<Rollups.Series, Rollups.StepRange> touched = new HashMap<>();
    for (int i = 0; i < Rollups.SERIES_PER_STATEMENT + 1; i++) {
      touched.put(
          new Rollups.Series("t", "p", "run-" + i, "loss"), new Rollups.StepRange(100, 120));
    }
    touched.put(new Rollups.Series("t", "other", "x", "loss"), new Rollups.StepRange(100, 120));
    touched.put(
        new Rollups.Series("t", "p", "resumed", "loss"), new Rollups.StepRange(900_000, 900_010));
    List<String> sql = Rollups.refreshStatements("`db`", touched);

    // p: 1,000 series, then 1 more, then the distant one; other: one.
    assertThat(sql).hasSize(4 * RollupLevels.LEVELS.size());
    List<String> raw = sql.subList(0, 4);
    assertThat(raw).allSatisfy(s -> assertThat(s.length()).isLessThan(100_000));
    assertThat(raw)
        .filteredOn(s -> s.contains("'resumed'"))
        .singleElement()
        .satisfies(
            s ->
                assertThat(s).contains("step BETWEEN 899997 AND 900011").doesNotContain("'run-1'"));
    assertThat(raw)
        .filteredOn(s -> s.contains("'other'"))
        .singleElement()
        .satisfies(s -> assertThat(s).doesNotContain("'run-1'"));
    assertThat(Rollups.refreshStatements("`db`", Map.of())).isEmpty();
  }

  @Test
  void shouldAskForWhatASeriesHoldsWithQuotedNamesPerProject() {
    Rollups.Series tricky = new Rollups.Series("t", "p'q", "r'1", "lo\\ss");
    Rollups.Series other = new Rollups.Series("t", "x", "r2", "loss");
    List<String> max = Rollups.maxStepQueries("`db`", List.of(tricky, other));
    assertThat(max).hasSize(2);
    assertThat(max)
        .anySatisfy(
            s ->
                assertThat(s)
                    .contains("project = 'p\\'q'")
                    .contains("(run_id, metric) IN (('r\\'1', 'lo\\\\ss'), ('r\\'1', 'lo\\\\ss'))")
                    .contains("width = 256"));
    List<String> buckets = Rollups.bucketQueries("`db`", Map.of(tricky, 300L));
    assertThat(buckets)
        .singleElement()
        .satisfies(
            s ->
                assertThat(s)
                    .contains("FINAL")
                    .contains("('r\\'1', 'lo\\\\ss', 4, 75)")
                    .contains("('r\\'1', 'lo\\\\ss', 16, 18)")
                    .contains("('r\\'1', 'lo\\\\ss', 64, 4)")
                    .contains("('r\\'1', 'lo\\\\ss', 256, 1)"));
    List<String> stored = Rollups.maxStoredStepQueries("`db`", Map.of(tricky, 300L, other, 0L));
    assertThat(stored).hasSize(2).anySatisfy(s -> assertThat(s).contains("step >= 300"));
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
