package dev.runstream.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ApiKeysTest {
  private static final String KEY = "a".repeat(40);

  @Test
  void shouldReadKeyTeamLinesSkippingCommentsAndBlankLines() {
    assertThat(
            ApiKeys.parse(
                List.of("# keys", "", KEY + " = vision", "local-" + "b".repeat(40) + "=nlp"), "f"))
        .containsExactly(
            java.util.Map.entry(KEY, "vision"),
            java.util.Map.entry("local-" + "b".repeat(40), "nlp"));
  }

  @Test
  void shouldRefuseKeysTheClientWouldRefuseNamingTheLine() {
    assertThatThrownBy(() -> ApiKeys.parse(List.of("short=team"), "keys.txt"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("keys.txt line 1")
        .hasMessageContaining("40");
  }

  @Test
  void shouldRefuseLinesWithoutATeamRepeatsAndEmptyFiles() {
    assertThatThrownBy(() -> ApiKeys.parse(List.of(KEY), "f"))
        .hasMessageContaining("f line 1 is not key=team");
    assertThatThrownBy(() -> ApiKeys.parse(List.of(KEY + "=a", KEY + "=b"), "f"))
        .hasMessageContaining("line 2 repeats a key");
    assertThatThrownBy(() -> ApiKeys.parse(List.of("# nothing"), "f"))
        .hasMessageContaining("holds no key=team line");
  }
}
