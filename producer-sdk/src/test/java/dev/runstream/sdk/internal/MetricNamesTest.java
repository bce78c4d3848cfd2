package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MetricNamesTest {
  @Test
  void shouldAllowExactlyLettersDigitsAndTheListedPunctuationInEveryPosition() {
    for (char c = 0; c < Character.MAX_VALUE; c++) {
      boolean allowed = Character.isLetterOrDigit(c) || " _-./:@#%+=()[]<>".indexOf(c) >= 0;
      assertThat(MetricNames.problem("a" + c + "b"))
          .as("U+%04X", (int) c)
          .matches(problem -> allowed == (problem == null));
    }
  }

  @Test
  void shouldRejectEmptyBlankLongAndSpacePaddedNames() {
    assertThat(MetricNames.problem("train/loss")).isNull();
    assertThat(MetricNames.problem(null)).contains("null");
    assertThat(MetricNames.problem("")).contains("empty");
    assertThat(MetricNames.problem("   ")).contains("empty");
    assertThat(MetricNames.problem(" loss")).contains("starts or ends with a space");
    assertThat(MetricNames.problem("x".repeat(257))).contains("longer than 256");
    assertThat(MetricNames.problem("x".repeat(256))).isNull();
    assertThat(MetricNames.problem("lo\"ss")).contains("forbidden character (U+0022)");
  }
}
