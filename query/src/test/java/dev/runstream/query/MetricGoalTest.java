package dev.runstream.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.schemas.avro.Goal;
import org.junit.jupiter.api.Test;

class MetricGoalTest {

  @Test
  void shouldMinimizeLossesAndErrors() {
    assertThat(MetricGoal.infer("loss")).isEqualTo(MetricGoal.MINIMIZE);
    assertThat(MetricGoal.infer("val/Loss")).isEqualTo(MetricGoal.MINIMIZE);
    assertThat(MetricGoal.infer("train_error_rate")).isEqualTo(MetricGoal.MINIMIZE);
    assertThat(MetricGoal.infer("ERROR")).isEqualTo(MetricGoal.MINIMIZE);
  }

  @Test
  void shouldMaximizeEverythingElse() {
    assertThat(MetricGoal.infer("accuracy")).isEqualTo(MetricGoal.MAXIMIZE);
    assertThat(MetricGoal.infer("reward")).isEqualTo(MetricGoal.MAXIMIZE);
    assertThat(MetricGoal.infer("")).isEqualTo(MetricGoal.MAXIMIZE);
  }

  @Test
  void shouldInferByTheSharedRuleAndMaximiseANameWithoutAGoal() {
    assertThat(MetricGoal.infer("trainLoss")).isEqualTo(MetricGoal.MINIMIZE);
    assertThat(MetricGoal.infer("perplexity")).isEqualTo(MetricGoal.MAXIMIZE);
  }

  @Test
  void shouldLetADeclaredGoalWin() {
    assertThat(MetricGoal.of(Goal.MAXIMIZE, "loss")).isEqualTo(MetricGoal.MAXIMIZE);
    assertThat(MetricGoal.of(Goal.MINIMIZE, "perplexity")).isEqualTo(MetricGoal.MINIMIZE);
    assertThat(MetricGoal.of(Goal.NONE, "val_loss")).isEqualTo(MetricGoal.MINIMIZE);
    assertThat(MetricGoal.of("MINIMIZE", "reward")).isEqualTo(MetricGoal.MINIMIZE);
    assertThat(MetricGoal.of("something else", "loss")).isEqualTo(MetricGoal.MINIMIZE);
  }

  @Test
  void shouldPickTheBetterValueIgnoringNaN() {
    assertThat(MetricGoal.MINIMIZE.better(1, 2)).isEqualTo(1);
    assertThat(MetricGoal.MAXIMIZE.better(1, 2)).isEqualTo(2);
    assertThat(MetricGoal.MINIMIZE.better(Double.NaN, 2)).isEqualTo(2);
    assertThat(MetricGoal.MAXIMIZE.better(3, Double.NaN)).isEqualTo(3);
  }
}
