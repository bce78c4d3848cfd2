package dev.runstream.server.wandb.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SummaryTranslatorTest {

  private static String lastStreamedSummary(String recording) {
    List<String> lines = CapturedRequests.load(recording).streamed("wandb-summary.json");
    return lines.get(lines.size() - 1);
  }

  @Test
  void shouldKeepTheSummaryVerbatimWithoutTheClientsOwnKeys() {
    SummaryValues summary = SummaryTranslator.translate(lastStreamedSummary("rich"));

    assertThat(summary.values())
        .doesNotContainKeys("_wandb", "_step", "_runtime", "_timestamp")
        .contains(
            entry("bool_t", true),
            entry("bool_f", false),
            entry("str", "hello \"world\""),
            entry("list", List.of(1L, 2L, 3L)),
            entry("nested", Map.of("a", 1L, "b", Map.of("c", 2.5))),
            entry("nested_sum", Map.of("x", 1L)),
            entry("final_acc", 0.99),
            entry("inf", Double.POSITIVE_INFINITY),
            entry("ninf", Double.NEGATIVE_INFINITY),
            entry("nan", Double.NaN),
            entry("big", 4611686018427387904L),
            entry("key with \"quote\" `bt` ü", 1.5),
            entry("dot.ted", 3L),
            entry("partial_b", 2L));
    // The client leaves a logged None out of the summary.
    assertThat(summary.values()).doesNotContainKey("none");
  }

  @Test
  void shouldKeepTheClientsAggregatesOfDefinedMetrics() {
    SummaryValues summary = SummaryTranslator.translate(lastStreamedSummary("rich"));

    assertThat(summary.values())
        .contains(
            entry("acc", Map.of("max", 0.7)),
            entry("multi", Map.of("min", 0L, "max", 2L)),
            entry("train/loss", Map.of("mean", 1L)),
            entry("val_loss", Map.of("min", 0.3333333333333333)),
            entry("best_m", Map.of("first", 0L)),
            entry("hidden_one", Map.of("last", 2L)))
        .doesNotContainKey("none_sum");
  }

  @Test
  void shouldReturnTypedObjectsAsNonScalars() {
    SummaryValues summary = SummaryTranslator.translate(lastStreamedSummary("rich"));

    assertThat(summary.others()).containsOnlyKeys("hist", "hist_seq", "image", "table");
    assertThat(summary.others().get("image").file())
        .isEqualTo("media/images/image_12_4a0945534329d26ce523.png");
    assertThat(summary.others().get("hist").type()).isEqualTo("histogram");
    assertThat(summary.values()).doesNotContainKeys("hist", "hist_seq", "image", "table");
  }

  @Test
  void shouldReadTheUploadedSummaryFileAsTheStreamedOne() throws Exception {
    SummaryValues uploaded =
        SummaryTranslator.translate(CapturedRequests.load("rich").uploaded("wandb-summary.json"));
    SummaryValues streamed = SummaryTranslator.translate(lastStreamedSummary("rich"));

    assertThat(uploaded.values()).isEqualTo(streamed.values());
    assertThat(uploaded.others()).hasSameSizeAs(streamed.others());
    for (Map.Entry<String, NonScalar> other : streamed.others().entrySet()) {
      NonScalar same = uploaded.others().get(other.getKey());
      assertThat(same.type()).isEqualTo(other.getValue().type());
      assertThat(same.file()).isEqualTo(other.getValue().file());
      // The client writes the object's keys in another order in each copy.
      assertThat(WandbJson.MAPPER.readTree(same.json()))
          .isEqualTo(WandbJson.MAPPER.readTree(other.getValue().json()));
    }
  }

  @Test
  void shouldTranslateTheIssueScriptsSummary() {
    SummaryValues summary = SummaryTranslator.translate(lastStreamedSummary("simple"));

    assertThat(summary.values()).containsOnlyKeys("acc", "loss");
    assertThat(summary.others()).isEmpty();
  }

  @Test
  void shouldNameWhatIsWrongWithAMalformedSummary() {
    assertThatThrownBy(() -> SummaryTranslator.translate("{\"a\":1,}"))
        .isInstanceOf(WandbPayloadException.class)
        .hasMessageStartingWith("wandb-summary.json is not valid JSON");
    assertThatThrownBy(() -> SummaryTranslator.translate("null"))
        .isInstanceOf(WandbPayloadException.class)
        .hasMessage("wandb-summary.json is a JSON null; expected a JSON object");
  }
}
