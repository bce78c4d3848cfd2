package dev.runstream.server.wandb.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HistoryTranslatorTest {
  private static final String QUOTED_KEY = "key with \"quote\" `bt` ü";

  private static List<HistoryRow> rich() {
    return HistoryTranslator.translate(
        CapturedRequests.load("rich").streamed("wandb-history.jsonl"), 0);
  }

  private static HistoryRow step(List<HistoryRow> rows, long step) {
    return rows.stream().filter(r -> r.step() == step).findFirst().orElseThrow();
  }

  @Test
  void shouldKeepTheClientsStepsIncludingAnExplicitOne() {
    assertThat(rich())
        .extracting(HistoryRow::step)
        .containsExactly(0L, 1L, 2L, 3L, 10L, 11L, 12L, 13L);
  }

  @Test
  void shouldFlattenNestedKeysKeepNonFiniteValuesAndCountBooleansAsNumbers() {
    HistoryRow row = step(rich(), 3);

    assertThat(row.metrics())
        .containsOnly(
            entry("int", 7.0),
            entry("inf", Double.POSITIVE_INFINITY),
            entry(QUOTED_KEY, 1.5),
            entry("dot.ted", 3.0),
            entry("bool_t", 1.0),
            entry("big", 4611686018427387904.0),
            entry("ninf", Double.NEGATIVE_INFINITY),
            entry("bool_f", 0.0),
            entry("nested.a", 1.0),
            entry("nested.b.c", 2.5),
            entry("nan", Double.NaN));
    assertThat(row.others())
        .containsOnly(
            entry("list", new NonScalar(NonScalar.LIST, "[1,2,3]", null)),
            entry("str", new NonScalar(NonScalar.STRING, "\"hello \\\"world\\\"\"", null)),
            entry("none", new NonScalar(NonScalar.NULL, "null", null)));
  }

  @Test
  void shouldTakeTimeFromTimestampAndKeepRuntimeOutOfTheMetrics() {
    HistoryRow row = step(rich(), 3);

    // _timestamp 1.7963000558595278e+09 seconds, to the microsecond.
    assertThat(row.time()).isEqualTo(Instant.ofEpochSecond(1_796_300_055L, 859_528_000L));
    assertThat(row.runtimeSeconds()).hasValue(0.043132381);
    assertThat(row.metrics()).doesNotContainKeys("_step", "_timestamp", "_runtime");
  }

  @Test
  void shouldMergeAnUncommittedLogIntoTheNextStep() {
    assertThat(step(rich(), 10).metrics())
        .containsOnly(entry("explicit", 1.0), entry("partial_a", 1.0), entry("partial_b", 2.0));
  }

  @Test
  void shouldReturnHistogramsImagesAndTablesAsTypedNonScalars() {
    List<HistoryRow> rows = rich();

    assertThat(step(rows, 11).metrics()).isEmpty();
    assertThat(step(rows, 11).others()).containsOnlyKeys("hist", "hist_seq");
    assertThat(step(rows, 11).others().get("hist").type()).isEqualTo("histogram");
    assertThat(step(rows, 11).others().get("hist").json()).contains("\"bins\":[0,1.546875,");
    assertThat(step(rows, 11).others().get("hist").file()).isNull();
    NonScalar image = step(rows, 12).others().get("image");
    assertThat(image.type()).isEqualTo("image-file");
    assertThat(image.file()).isEqualTo("media/images/image_12_4a0945534329d26ce523.png");
    assertThat(image.json()).contains("\"caption\":\"zeros\"");
    NonScalar table = step(rows, 13).others().get("table");
    assertThat(table.type()).isEqualTo("table-file");
    assertThat(table.file()).isEqualTo("media/table/table_13_f87e254b768120a6aa89.table.json");
  }

  @Test
  void shouldTranslateTheIssueScriptValueForValue() throws Exception {
    List<String> lines = CapturedRequests.load("simple").streamed("wandb-history.jsonl");

    List<HistoryRow> rows = HistoryTranslator.translate(lines, 0);

    assertThat(rows).extracting(HistoryRow::step).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
    for (int i = 0; i < lines.size(); i++) {
      JsonNode raw = WandbJson.MAPPER.readTree(lines.get(i));
      assertThat(rows.get(i).metrics())
          .containsOnly(
              entry("acc", raw.get("acc").doubleValue()),
              entry("loss", raw.get("loss").doubleValue()));
      assertThat(rows.get(i).others()).isEmpty();
    }
  }

  @Test
  void shouldTranslateWhatWandbSyncSendsLikeAnOnlineRun() {
    List<HistoryRow> rows =
        HistoryTranslator.translate(
            CapturedRequests.load("offline").streamed("wandb-history.jsonl"), 0);

    assertThat(rows).hasSize(8);
    assertThat(rows).allSatisfy(r -> assertThat(r.metrics()).containsOnlyKeys("acc", "loss"));
  }

  @Test
  void shouldKeepQuotesBackticksAndUnicodeInNamesVerbatim() {
    HistoryRow row =
        HistoryTranslator.translate(
            "{\"_step\":0,\"_timestamp\":1,\"a \\\"b\\\" `c` é/ü\":{\"日本\":2}}");

    assertThat(row.metrics()).containsOnly(entry("a \"b\" `c` é/ü.日本", 2.0));
  }

  @Test
  void shouldFlattenDeepNesting() {
    StringBuilder json = new StringBuilder("{\"_step\":1,\"_timestamp\":1.5,");
    StringBuilder name = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      json.append("\"k").append(i).append("\":{");
      name.append(i == 0 ? "" : ".").append("k").append(i);
    }
    json.append("\"v\":4").append("}".repeat(200)).append("}");

    HistoryRow row = HistoryTranslator.translate(json.toString());

    assertThat(row.metrics()).containsOnly(entry(name + ".v", 4.0));
    assertThat(row.time()).isEqualTo(Instant.ofEpochSecond(1, 500_000_000));
  }

  @Test
  void shouldRefuseNestingDeeperThanTheParserAllowsWithAClearMessage() {
    String json = "{\"_step\":1,\"_timestamp\":1," + "\"k\":{".repeat(5000) + "}".repeat(5001);

    assertThatThrownBy(() -> HistoryTranslator.translate(json))
        .isInstanceOf(WandbPayloadException.class)
        .hasMessageContaining("wandb-history.jsonl line is not valid JSON")
        .hasMessageContaining("nesting depth");
  }

  @Test
  void shouldKeepUserKeysStartingWithAnUnderscoreAndEmptyDicts() {
    HistoryRow row =
        HistoryTranslator.translate("{\"_step\":2.0,\"_timestamp\":3,\"_mine\":1,\"empty\":{}}");

    assertThat(row.step()).isEqualTo(2);
    assertThat(row.runtimeSeconds()).isEmpty();
    assertThat(row.metrics()).containsOnly(entry("_mine", 1.0));
    assertThat(row.others())
        .containsOnly(entry("empty", new NonScalar(NonScalar.OBJECT, "{}", null)));
  }

  @Test
  void shouldKeepTheLaterOfTwoValuesFlattenedToTheSameName() {
    HistoryRow row =
        HistoryTranslator.translate(
            "{\"_step\":0,\"_timestamp\":1,\"a\":{\"b\":1},\"a.b\":\"text\",\"c.d\":1,\"c\":{\"d\":2}}");

    assertThat(row.metrics()).containsOnly(entry("c.d", 2.0));
    assertThat(row.others()).containsOnlyKeys("a.b");
  }

  @Test
  void shouldTreatAStringNanAsAString() {
    HistoryRow row = HistoryTranslator.translate("{\"_step\":0,\"_timestamp\":1,\"x\":\"NaN\"}");

    assertThat(row.metrics()).isEmpty();
    assertThat(row.others().get("x").type()).isEqualTo(NonScalar.STRING);
  }

  @Test
  void shouldSkipBlankLinesAndNameTheBadLineByItsNumber() {
    List<String> lines =
        new ArrayList<>(List.of("{\"_step\":0,\"_timestamp\":1,\"x\":1}", "", "  "));
    assertThat(HistoryTranslator.translate(lines, 40)).hasSize(1);

    lines.add("{\"_step\":1,\"_timestamp\":1,\"x\":");

    assertThatThrownBy(() -> HistoryTranslator.translate(lines, 40))
        .isInstanceOf(WandbPayloadException.class)
        .hasMessageStartingWith("wandb-history.jsonl line 43 is not valid JSON");
  }

  @Test
  void shouldNameWhatIsWrongWithAMalformedLine() {
    Map<String, String> cases =
        Map.of(
            "", "wandb-history.jsonl line is empty",
            "[1,2]", "wandb-history.jsonl line is a JSON array; expected a JSON object",
            "{\"_timestamp\":1,\"x\":1}", "_step is missing",
            "{\"_step\":-1,\"_timestamp\":1}", "_step is -1; expected a non-negative whole number",
            "{\"_step\":1.5,\"_timestamp\":1}", "_step is 1.5",
            "{\"_step\":\"3\",\"_timestamp\":1}", "_step is \"3\"",
            "{\"_step\":3}", "_timestamp is missing",
            "{\"_step\":3,\"_timestamp\":NaN}", "_timestamp is NaN",
            "{\"_step\":3,\"_timestamp\":1,\"_runtime\":\"x\"}", "_runtime is \"x\"",
            "{\"_step\":3,\"_timestamp\":1} trailing", "not valid JSON");
    cases.forEach(
        (line, message) ->
            assertThatThrownBy(() -> HistoryTranslator.translate(line))
                .as(line)
                .isInstanceOf(WandbPayloadException.class)
                .hasMessageContaining(message));
  }
}
