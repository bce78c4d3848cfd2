package dev.runstream.server.wandb.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runstream.sdk.Goal;
import dev.runstream.sdk.SummaryMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Translates the config the wandb client sends into a {@link TranslatedConfig}.
 *
 * <p>The client sends the whole config on every {@code UpsertBucket} mutation, as a JSON string in
 * its {@code config} variable, each key wrapped: {@code {"lr": {"value": 0.02}, "opt": {"value":
 * {"name": "adam"}, "desc": null}, "_wandb": {"value": {...}}}}. {@code config.yaml}, uploaded at
 * the end, holds the same structure. The user's keys come out unwrapped and verbatim (a {@code
 * desc} is dropped: W&amp;B shows it nowhere a run is compared); {@code _wandb} is the client's own
 * (versions, telemetry, the machine) and is left out, except its {@code m}: the run's {@code
 * define_metric} calls, W&amp;B's {@code MetricRecord} protobuf written with field numbers as keys
 * ({@code {"1": "train/loss", "5": 2, "6": [1, 3], "7": [3]}}), which become {@link
 * DefinedMetric}s.
 *
 * <p>Stateless and thread-safe.
 */
public final class ConfigTranslator {
  private static final String WANDB_KEY = "_wandb";
  private static final String VALUE = "value";

  // MetricRecord's field numbers (wandb/proto/wandb_internal.proto).
  private static final String NAME = "1";
  private static final String GLOB_NAME = "2";
  private static final String STEP_METRIC = "4";
  private static final String STEP_METRIC_INDEX = "5";
  private static final String OPTIONS = "6";
  private static final String SUMMARY = "7";
  private static final String GOAL = "8";
  private static final int OPTION_HIDDEN = 2;
  // MetricSummary's field numbers, index = number.
  private static final String[] SUMMARY_OPS = {
    null, "min", "max", "mean", "best", "last", "none", "copy", "first"
  };

  private ConfigTranslator() {}

  /**
   * Translates {@code UpsertBucket}'s {@code config} variable (a JSON string). A number is kept as
   * written: one with a fraction or an exponent becomes a {@link java.math.BigDecimal} of the
   * digits sent, so that {@code 2.0} is stored as {@code 2.0} and {@code 0.1000} with its zeros.
   * (The wandb 0.30.0 client itself sends a whole float such as {@code 2.0} as {@code 2}: its core
   * re-encodes the config, so such a value arrives, and is stored, as the integer.)
   *
   * @throws WandbPayloadException when it is not a JSON object, a key is not wrapped as {@code
   *     {"value": ...}}, or {@code _wandb.m} is malformed
   */
  public static TranslatedConfig translate(String configJson) {
    return translate(WandbJson.parseObjectExact(configJson, "config"));
  }

  /**
   * Translates a config already parsed, e.g. {@code config.yaml} read by a YAML parser into maps
   * and lists.
   *
   * @throws WandbPayloadException as {@link #translate(String)}
   */
  public static TranslatedConfig translate(Map<String, ?> config) {
    Objects.requireNonNull(config, "config");
    return translate((ObjectNode) WandbJson.MAPPER.valueToTree(config));
  }

  private static TranslatedConfig translate(ObjectNode config) {
    Map<String, Object> values = new LinkedHashMap<>();
    List<DefinedMetric> metrics = List.of();
    for (Map.Entry<String, JsonNode> field : config.properties()) {
      String key = field.getKey();
      JsonNode entry = field.getValue();
      if (!entry.isObject() || !entry.has(VALUE)) {
        throw new WandbPayloadException(
            "config key '"
                + key
                + "' is a JSON "
                + WandbJson.kind(entry)
                + " without \"value\"; expected {\"value\": ...}");
      }
      if (key.equals(WANDB_KEY)) {
        metrics = definedMetrics(entry.get(VALUE).get("m"));
      } else {
        values.put(key, WandbJson.toJava(entry.get(VALUE)));
      }
    }
    return new TranslatedConfig(values, metrics);
  }

  /** The {@code define_metric} records of {@code _wandb.m}; none when it is missing or null. */
  static List<DefinedMetric> definedMetrics(JsonNode m) {
    if (m == null || m.isNull()) {
      return List.of();
    }
    if (!m.isArray()) {
      throw new WandbPayloadException(
          "config _wandb.m is a JSON " + WandbJson.kind(m) + "; expected an array");
    }
    List<DefinedMetric> metrics = new ArrayList<>(m.size());
    for (int i = 0; i < m.size(); i++) {
      metrics.add(definedMetric(m, i));
    }
    return metrics;
  }

  private static DefinedMetric definedMetric(JsonNode m, int i) {
    String where = "config _wandb.m[" + i + "]";
    JsonNode record = m.get(i);
    if (!record.isObject()) {
      throw new WandbPayloadException(
          where + " is a JSON " + WandbJson.kind(record) + "; expected an object");
    }
    String name = text(record, NAME, where);
    String globName = text(record, GLOB_NAME, where);
    if (name == null && globName == null) {
      throw new WandbPayloadException(
          where + " has neither a name (\"1\") nor a glob name (\"2\")");
    }
    String stepMetric = text(record, STEP_METRIC, where);
    JsonNode index = record.get(STEP_METRIC_INDEX);
    if (stepMetric == null && index != null && !index.isNull()) {
      // 1-based position in this same list, which is how the client refers to an earlier record.
      if (!WandbJson.isWhole(index) || index.asLong() < 1 || index.asLong() > m.size()) {
        throw new WandbPayloadException(
            where + ": step metric index \"5\" is " + index + "; expected 1 to " + m.size());
      }
      stepMetric = text(m.get((int) index.asLong() - 1), NAME, where + " step metric");
    }
    List<Integer> options = numbers(record, OPTIONS, where);
    List<String> ops = new ArrayList<>();
    for (int op : numbers(record, SUMMARY, where)) {
      if (op < 1 || op >= SUMMARY_OPS.length) {
        throw new WandbPayloadException(
            where + ": summary operation " + op + " is unknown; expected 1 to 8");
      }
      ops.add(SUMMARY_OPS[op]);
    }
    return new DefinedMetric(
        name != null ? name : globName,
        name == null,
        goal(record.get(GOAL), where),
        summaryMode(ops),
        ops,
        stepMetric,
        options.contains(OPTION_HIDDEN));
  }

  private static String text(JsonNode record, String field, String where) {
    JsonNode value = record.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new WandbPayloadException(
          where + ": \"" + field + "\" is a JSON " + WandbJson.kind(value) + "; expected a string");
    }
    return value.textValue();
  }

  private static List<Integer> numbers(JsonNode record, String field, String where) {
    JsonNode value = record.get(field);
    if (value == null || value.isNull()) {
      return List.of();
    }
    if (!value.isArray()) {
      throw new WandbPayloadException(
          where + ": \"" + field + "\" is a JSON " + WandbJson.kind(value) + "; expected an array");
    }
    List<Integer> numbers = new ArrayList<>(value.size());
    for (JsonNode n : value) {
      if (!n.isInt()) {
        throw new WandbPayloadException(
            where + ": \"" + field + "\" holds " + n + "; expected small whole numbers");
      }
      numbers.add(n.intValue());
    }
    return numbers;
  }

  private static Goal goal(JsonNode goal, String where) {
    if (goal == null || goal.isNull()) {
      return Goal.NONE;
    }
    // Numbers as the client writes them; names too, as protobuf's JSON form has them.
    String g = goal.isInt() ? String.valueOf(goal.intValue()) : goal.asText();
    return switch (g) {
      case "0", "GOAL_UNSET" -> Goal.NONE;
      case "1", "GOAL_MINIMIZE" -> Goal.MINIMIZE;
      case "2", "GOAL_MAXIMIZE" -> Goal.MAXIMIZE;
      default ->
          throw new WandbPayloadException(
              where + ": goal \"8\" is " + goal + "; expected 1 (minimize) or 2 (maximize)");
    };
  }

  /** The one runstream mode for the client's summary operations; see {@link DefinedMetric}. */
  static SummaryMode summaryMode(List<String> ops) {
    if (ops.contains("none")) {
      return SummaryMode.NONE;
    }
    for (String op : ops) {
      switch (op) {
        case "min":
          return SummaryMode.MIN;
        case "max":
          return SummaryMode.MAX;
        case "mean":
          return SummaryMode.MEAN;
        case "best":
          return SummaryMode.BEST;
        case "last":
        case "copy":
          return SummaryMode.LAST;
        default:
          break; // "first": runstream has no such mode; a later operation may map
      }
    }
    return SummaryMode.DEFAULT;
  }
}
