package dev.runstream.cli.chart;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TicksTest {
  @Test
  void ticksAreRoundNumbersInsideTheRange() {
    assertThat(Ticks.between(0.1548, 3.901, 5)).containsExactly(0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5);
    assertThat(Ticks.between(0, 299, 5)).containsExactly(0.0, 50.0, 100.0, 150.0, 200.0, 250.0);
    assertThat(Ticks.between(0.1, 0.35, 5)).containsExactly(0.1, 0.15, 0.2, 0.25, 0.3, 0.35);
    assertThat(Ticks.between(-3, 3, 3)).containsExactly(-2.0, 0.0, 2.0);
  }

  @Test
  void labelsAreAsShortAsTheValue() {
    assertThat(Ticks.label(0.5)).isEqualTo("0.5");
    assertThat(Ticks.label(100)).isEqualTo("100");
    assertThat(Ticks.label(0.15)).isEqualTo("0.15");
    assertThat(Ticks.label(0)).isEqualTo("0");
    assertThat(Ticks.label(2.5e-5)).isEqualTo("2.5e-05");
    assertThat(Ticks.label(3e7)).isEqualTo("3.0e+07");
  }
}
