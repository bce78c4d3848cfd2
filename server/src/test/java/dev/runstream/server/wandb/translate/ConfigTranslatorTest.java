package dev.runstream.server.wandb.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.sdk.Goal;
import dev.runstream.sdk.SummaryMode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTranslatorTest {

  private static List<JsonNode> upserts(String recording) {
    return CapturedRequests.load(recording).graphql("mutation UpsertBucket");
  }

  @Test
  void shouldUnwrapTheUsersConfigAndLeaveOutTheClientsOwn() {
    TranslatedConfig first =
        ConfigTranslator.translate(upserts("simple").get(0).get("config").textValue());

    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("learning_rate", new BigDecimal("0.02"));
    expected.put("architecture", "CNN");
    expected.put("dataset", "CIFAR-100");
    expected.put("epochs", 10L);
    assertThat(first.values()).isEqualTo(expected);
    assertThat(first.definedMetrics()).isEmpty();
  }

  @Test
  void shouldKeepNestedValuesNullsAndLaterUpdates() {
    List<JsonNode> upserts = upserts("rich");
    TranslatedConfig last =
        ConfigTranslator.translate(upserts.get(upserts.size() - 1).get("config").textValue());

    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("none", null);
    expected.put("learning_rate", new BigDecimal("0.02"));
    expected.put("epochs", 10L);
    expected.put("flag", true);
    expected.put("architecture", "CNN");
    expected.put("batch", Map.of("size", 32L));
    expected.put("another", "v");
    expected.put("late_key", 42L);
    expected.put(
        "opt",
        Map.of("name", "adam", "betas", List.of(new BigDecimal("0.9"), new BigDecimal("0.999"))));
    assertThat(last.values()).isEqualTo(expected);
    assertThat(last.values().keySet()).containsExactlyElementsOf(expected.keySet());
  }

  @Test
  void shouldTurnTheClientsMetricRecordsIntoDefinitions() {
    List<JsonNode> upserts = upserts("rich");
    TranslatedConfig last =
        ConfigTranslator.translate(upserts.get(upserts.size() - 1).get("config").textValue());

    assertThat(last.definedMetrics())
        .containsExactly(
            new DefinedMetric(
                "acc", false, Goal.NONE, SummaryMode.MAX, List.of("max"), null, false),
            new DefinedMetric(
                "epoch", false, Goal.NONE, SummaryMode.DEFAULT, List.of(), null, false),
            new DefinedMetric(
                "hidden_one", false, Goal.NONE, SummaryMode.LAST, List.of("last"), null, true),
            new DefinedMetric(
                "none_sum", false, Goal.NONE, SummaryMode.NONE, List.of("none"), null, false),
            new DefinedMetric(
                "best_m", false, Goal.NONE, SummaryMode.DEFAULT, List.of("first"), null, false),
            new DefinedMetric(
                "multi", false, Goal.NONE, SummaryMode.MIN, List.of("min", "max"), null, false),
            new DefinedMetric(
                "train/loss", false, Goal.NONE, SummaryMode.MEAN, List.of("mean"), "epoch", false),
            new DefinedMetric(
                "val_loss", false, Goal.NONE, SummaryMode.MIN, List.of("min"), null, false));
  }

  @Test
  void shouldReadGoalsGlobsAndNamedStepMetricsThatOtherClientsSend() {
    TranslatedConfig config =
        ConfigTranslator.translate(
            "{\"_wandb\":{\"value\":{\"m\":["
                + "{\"1\":\"loss\",\"7\":[4],\"8\":1},"
                + "{\"1\":\"acc\",\"8\":2,\"4\":\"epoch\"},"
                + "{\"2\":\"val/*\",\"8\":\"GOAL_MAXIMIZE\",\"7\":[7]},"
                + "{\"1\":\"x\",\"8\":0}]}}}");

    assertThat(config.values()).isEmpty();
    assertThat(config.definedMetrics())
        .containsExactly(
            new DefinedMetric(
                "loss", false, Goal.MINIMIZE, SummaryMode.BEST, List.of("best"), null, false),
            new DefinedMetric(
                "acc", false, Goal.MAXIMIZE, SummaryMode.DEFAULT, List.of(), "epoch", false),
            new DefinedMetric(
                "val/*", true, Goal.MAXIMIZE, SummaryMode.LAST, List.of("copy"), null, false),
            new DefinedMetric("x", false, Goal.NONE, SummaryMode.DEFAULT, List.of(), null, false));
  }

  @Test
  void shouldTranslateConfigYamlOnceParsedIntoMaps() {
    // config.yaml as a YAML parser returns it: the same wrapping as UpsertBucket's JSON.
    Map<String, Object> none = new LinkedHashMap<>();
    none.put("value", null);
    Map<String, Object> yaml = new LinkedHashMap<>();
    yaml.put(
        "_wandb",
        Map.of(
            "value",
            Map.of("cli_version", "0.30.0", "m", List.of(Map.of("1", "acc", "7", List.of(2))))));
    yaml.put("none", none);
    yaml.put("opt", Map.of("value", Map.of("betas", List.of(0.9, 0.999), "name", "adam")));
    yaml.put("epochs", Map.of("value", 10));

    TranslatedConfig config = ConfigTranslator.translate(yaml);

    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("none", null);
    expected.put("opt", Map.of("betas", List.of(0.9, 0.999), "name", "adam"));
    expected.put("epochs", 10L);
    assertThat(config.values()).isEqualTo(expected);
    assertThat(config.definedMetrics())
        .containsExactly(
            new DefinedMetric(
                "acc", false, Goal.NONE, SummaryMode.MAX, List.of("max"), null, false));
  }

  @Test
  void shouldStoreAThousandKeysWithQuotesBackticksAndUnicodeVerbatimInOrder() throws Exception {
    Map<String, Object> wrapped = new LinkedHashMap<>();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      String key = "k" + i + (i % 3 == 0 ? " \"q\"" : i % 3 == 1 ? " `b`" : " ünï 日本");
      keys.add(key);
      wrapped.put(key, Map.of("value", i % 2 == 0 ? i : "v\"`" + i));
    }
    String json = WandbJson.MAPPER.writeValueAsString(wrapped);

    TranslatedConfig config = ConfigTranslator.translate(json);

    assertThat(config.values().keySet()).containsExactlyElementsOf(keys);
    assertThat(config.values()).containsEntry("k0 \"q\"", 0L).containsEntry("k1 `b`", "v\"`1");
    assertThat(config.values()).containsEntry("k998 ünï 日本", 998L);
  }

  @Test
  void shouldKeepDeepNestingBigIntegersAndNonFiniteFloats() {
    String deep = "{\"a\":".repeat(100) + "1" + "}".repeat(100);
    TranslatedConfig config =
        ConfigTranslator.translate(
            "{\"deep\":{\"value\":"
                + deep
                + "},\"big\":{\"value\":1180591620717411303424},\"nan\":{\"value\":NaN},"
                + "\"described\":{\"value\":1,\"desc\":\"the one\"}}");

    Object inner = config.values().get("deep");
    for (int i = 0; i < 100; i++) {
      assertThat(inner).isInstanceOf(Map.class);
      inner = ((Map<?, ?>) inner).get("a");
    }
    assertThat(inner).isEqualTo(1L);
    assertThat(config.values().get("big")).isEqualTo(BigInteger.TWO.pow(70));
    assertThat((Double) config.values().get("nan")).isNaN();
    assertThat(config.values().get("described")).isEqualTo(1L);
  }

  @Test
  void shouldKeepEveryNumberAsTheClientWroteIt() throws Exception {
    String sent =
        "{\"whole\":{\"value\":2.0},\"int\":{\"value\":2},\"zeros\":{\"value\":0.1000},"
            + "\"small\":{\"value\":1e-4},\"long\":{\"value\":0.12345678901234567890123},"
            + "\"nested\":{\"value\":{\"w\":5.0,\"l\":[1.0,2]}}}";

    TranslatedConfig config = ConfigTranslator.translate(sent);

    // As JSON again (the SDK writes the run's config with a plain ObjectMapper), each number reads
    // as it was sent: a whole float is not turned into an integer.
    assertThat(new ObjectMapper().writeValueAsString(config.values()))
        .isEqualTo(
            "{\"whole\":2.0,\"int\":2,\"zeros\":0.1000,\"small\":0.0001,"
                + "\"long\":0.12345678901234567890123,\"nested\":{\"w\":5.0,\"l\":[1.0,2]}}");
    assertThat(config.values().get("whole")).isEqualTo(new BigDecimal("2.0"));
    assertThat(config.values().get("int")).isEqualTo(2L);
  }

  @Test
  void shouldNameWhatIsWrongWithAMalformedConfig() {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put(
        "{\"lr\":0.1}",
        "config key 'lr' is a JSON number without \"value\"; expected {\"value\": ...}");
    cases.put("{\"lr\":{\"desc\":\"x\"}}", "config key 'lr' is a JSON object without \"value\"");
    cases.put("{\"lr\":", "config is not valid JSON");
    cases.put("[]", "config is a JSON array; expected a JSON object");
    cases.put("", "config is empty");
    cases.put(
        "{\"_wandb\":{\"value\":{\"m\":{}}}}",
        "config _wandb.m is a JSON object; expected an array");
    cases.put(
        "{\"_wandb\":{\"value\":{\"m\":[{\"7\":[1]}]}}}",
        "config _wandb.m[0] has neither a name (\"1\") nor a glob name (\"2\")");
    cases.put(
        "{\"_wandb\":{\"value\":{\"m\":[{\"1\":\"a\",\"5\":3}]}}}",
        "config _wandb.m[0]: step metric index \"5\" is 3; expected 1 to 1");
    cases.put(
        "{\"_wandb\":{\"value\":{\"m\":[{\"1\":\"a\",\"7\":[9]}]}}}",
        "config _wandb.m[0]: summary operation 9 is unknown");
    cases.put(
        "{\"_wandb\":{\"value\":{\"m\":[{\"1\":\"a\",\"8\":3}]}}}",
        "config _wandb.m[0]: goal \"8\" is 3");
    cases.put(
        "{\"_wandb\":{\"value\":{\"m\":[{\"1\":5}]}}}",
        "config _wandb.m[0]: \"1\" is a JSON number; expected a string");
    cases.put(
        "{\"_wandb\":{\"value\":{\"m\":[7]}}}",
        "config _wandb.m[0] is a JSON number; expected an object");
    cases.forEach(
        (json, message) ->
            assertThatThrownBy(() -> ConfigTranslator.translate(json))
                .as(json)
                .isInstanceOf(WandbPayloadException.class)
                .hasMessageContaining(message));
  }
}
