package dev.runstream.cli.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class StagesTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void shouldComputeEachStagesRateBetweenSamples() {
    StageCounts from = new StageCounts(1_000, 900, 500, 400);
    StageCounts to = new StageCounts(3_000, 2_900, 1_500, 1_400);
    StageRates rates = StageRates.between(from, to, 2 * SECOND);
    assertThat(rates).isEqualTo(new StageRates(1_000, 1_000, 500, 500));
    assertThat(StageRates.between(from, to, 0)).isEqualTo(new StageRates(0, 0, 0, 0));
    assertThat(to.minus(from)).isEqualTo(new StageCounts(2_000, 2_000, 1_000, 1_000));
  }

  @Test
  void shouldTellBacklogAndCaughtUp() {
    assertThat(new StageCounts(100, 100, 100, 100).caughtUp()).isTrue();
    assertThat(new StageCounts(100, 100, 99, 100).caughtUp()).isFalse();
    assertThat(new StageCounts(100, 100, 100, 99).caughtUp()).isFalse();
    assertThat(new StageCounts(100, 100, 100, 40).backlog()).isEqualTo(60);
    assertThat(new StageCounts(100, 100, 100, 140).backlog()).isZero();
  }

  @Test
  void shouldSustainALevelOnlyWhenPaceLatencyAndBacklogAreAllGood() {
    StageRates keptUp = new StageRates(10_000, 10_000, 10_000, 10_000);
    Latencies fast = new Latencies(100, 300_000_000, 1_500_000_000, 1_900_000_000);
    assertThat(LevelResult.judge(10_000, keptUp, fast, 5_000).sustained()).isTrue();

    Latencies slow = new Latencies(100, 300_000_000, 2_000_000_000, 2_500_000_000L);
    assertThat(LevelResult.judge(10_000, keptUp, slow, 0).failures())
        .singleElement()
        .asString()
        .contains("p99 2.00 s");
    assertThat(LevelResult.judge(10_000, keptUp, Latencies.NONE, 0).failures())
        .containsExactly("no latency measured");
    assertThat(LevelResult.judge(10_000, keptUp, fast, 20_001).failures())
        .singleElement()
        .asString()
        .contains("20,001 points behind");
    StageRates slowGenerator = new StageRates(8_000, 8_000, 8_000, 8_000);
    assertThat(LevelResult.judge(10_000, slowGenerator, fast, 0).failures())
        .singleElement()
        .asString()
        .contains("reached only 8,000 of 10,000");
  }

  @Test
  void shouldPaceByDeadlines() {
    Pacer p = Pacer.forRate(1_000, 1_000, 10, 5); // 20 ticks per second
    assertThat(p.ticksPerSecond()).isCloseTo(20, within(1e-9));
    assertThat(p.due(999)).isZero();
    assertThat(p.due(1_000)).as("tick 0 is due at once").isEqualTo(1);
    assertThat(p.due(1_000 + SECOND / 20 - 1)).isEqualTo(1);
    assertThat(p.due(1_000 + SECOND / 20)).isEqualTo(2);
    assertThat(p.due(1_000 + SECOND)).isEqualTo(21);
    assertThat(p.deadline(20)).isEqualTo(1_000 + SECOND);
  }

  @Test
  void levelsCopyTheirFailures() {
    List<String> failures = new java.util.ArrayList<>(List.of("x"));
    LevelResult r = new LevelResult(1, new StageRates(0, 0, 0, 0), Latencies.NONE, 0, failures);
    failures.clear();
    assertThat(r.failures()).containsExactly("x");
    assertThat(r.sustained()).isFalse();
  }
}
