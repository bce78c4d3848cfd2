package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The step counter and what {@code commit=false} gathers for the current step. */
class StepsTest {
  private final Steps steps = new Steps(5);

  @Test
  void shouldTakeStepsInOrderAndNeverGoBack() {
    assertThat(steps.last()).isEqualTo(4);
    assertThat(steps.advance()).isEqualTo(5);
    steps.reach(9);
    assertThat(steps.next()).isEqualTo(10);
    steps.reach(2);
    assertThat(steps.advance()).isEqualTo(10);
    assertThat(steps.last()).isEqualTo(10);
  }

  @Test
  void shouldHoldGatheredPointsUntilTheyAreCommittedAtTheCurrentStep() {
    Map<String, Object> first = new LinkedHashMap<>();
    first.put("loss", 0.5);
    first.put("acc", 0.8f);
    steps.gather(first, (k, v) -> true);
    steps.gather(Map.of("loss", 0.4), (k, v) -> true);

    assertThat(steps.hasUncommitted()).isTrue();
    assertThat(steps.next()).isEqualTo(5);
    Steps.Batch batch = steps.commit();

    assertThat(batch.step()).isEqualTo(5);
    assertThat(batch.names()).containsExactly("loss", "acc");
    assertThat(batch.values()).containsExactly(0.4, (double) 0.8f);
    assertThat(steps.hasUncommitted()).isFalse();
    assertThat(steps.next()).isEqualTo(6);
    assertThat(steps.commit()).isNull();
    assertThat(steps.next()).isEqualTo(6);
  }

  @Test
  void shouldGatherOnlyThePointsTheValidatorAccepts() {
    steps.gather(Map.of("bad", "text"), (k, v) -> v instanceof Number);

    assertThat(steps.hasUncommitted()).isFalse();
    assertThat(steps.commit()).isNull();
  }

  @Test
  void shouldLetValuesGivenAtCommitWinOverGatheredOnes() {
    steps.gather(Map.of("loss", 0.5), (k, v) -> true);
    steps.gather(Map.of("lr", 0.01), (k, v) -> true);

    Steps.Batch batch = steps.commitWith(new String[] {"loss", "acc"}, new double[] {0.3, 0.9});

    assertThat(batch.step()).isEqualTo(5);
    assertThat(batch.names()).containsExactly("loss", "lr", "acc");
    assertThat(batch.values()).containsExactly(0.3, 0.01, 0.9);
    assertThat(steps.hasUncommitted()).isFalse();
    assertThat(steps.next()).isEqualTo(6);
  }
}
