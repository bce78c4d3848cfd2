package dev.runstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.schemas.avro.Goal;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricGoalsTest {

  @Test
  void shouldMinimiseAWordThatHoldsLossOrError() {
    for (String name :
        List.of(
            "loss", "val_loss", "train/loss", "trainLoss", "nll_loss2", "error_rate", "ERROR")) {
      assertThat(MetricGoals.infer(name)).as(name).isEqualTo(Goal.MINIMIZE);
    }
  }

  @Test
  void shouldMaximiseAccuracyWordsAlsoWithTrailingDigits() {
    for (String name :
        List.of("acc", "val/acc", "acc1", "top5_acc", "valAcc", "accuracy", "f1", "eval.auc")) {
      assertThat(MetricGoals.infer(name)).as(name).isEqualTo(Goal.MAXIMIZE);
    }
  }

  @Test
  void shouldGiveNoGoalToOtherNames() {
    for (String name :
        List.of("lr", "accumulated_tokens", "epoch", "success", "f10", "wer", "perplexity", "")) {
      assertThat(MetricGoals.infer(name)).as(name).isEqualTo(Goal.NONE);
    }
  }

  @Test
  void shouldLetALossWinOverAnAccuracyInOneName() {
    assertThat(MetricGoals.infer("acc_vs_loss")).isEqualTo(Goal.MINIMIZE);
    assertThat(MetricGoals.infer("loss_vs_acc")).isEqualTo(Goal.MINIMIZE);
  }

  @Test
  void shouldLetADeclaredGoalWinOverTheName() {
    assertThat(MetricGoals.resolve(Goal.MAXIMIZE, "loss")).isEqualTo(Goal.MAXIMIZE);
    assertThat(MetricGoals.resolve(Goal.MINIMIZE, "perplexity")).isEqualTo(Goal.MINIMIZE);
    assertThat(MetricGoals.resolve(Goal.MINIMIZE, "accuracy")).isEqualTo(Goal.MINIMIZE);
  }

  @Test
  void shouldInferWhenNothingWasDeclared() {
    assertThat(MetricGoals.resolve(Goal.NONE, "val_loss")).isEqualTo(Goal.MINIMIZE);
    assertThat(MetricGoals.resolve(null, "accuracy")).isEqualTo(Goal.MAXIMIZE);
    assertThat(MetricGoals.resolve(Goal.NONE, "lr")).isEqualTo(Goal.NONE);
  }

  @Test
  void shouldRejectANullName() {
    assertThatThrownBy(() -> MetricGoals.infer(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("metric");
  }
}
