package dev.runstream.query.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Flattens a run's config (a JSON object) into dotted keys with text values, the shape a compare
 * table and a SQL {@code config_values[indexOf(config_keys, 'optimizer.lr')]} need:
 *
 * <ul>
 *   <li>nested objects become dotted keys: {@code {"optimizer": {"lr": 0.1}}} gives {@code
 *       optimizer.lr = 0.1};
 *   <li>arrays stay one value, written as compact JSON ({@code layers = [64,128]}), because a list
 *       of layer sizes is one hyperparameter, not many;
 *   <li>strings are written without quotes, numbers as the user wrote them (no float rounding),
 *       booleans as {@code true}/{@code false}, null as {@code null}, an empty object as {@code
 *       {}}.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class ConfigFlattener {
  // BigDecimal keeps 0.1 as "0.1" and 1e-4 readable; a double would print 1.0E-4.
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);

  private ConfigFlattener() {}

  /**
   * The flattened config in key order.
   *
   * @throws IllegalArgumentException when {@code json} is not a JSON object
   */
  public static SortedMap<String, String> flatten(String json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json == null || json.isBlank() ? "{}" : json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("config is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || root.isMissingNode()) {
      return Collections.emptySortedMap();
    }
    if (!root.isObject()) {
      throw new IllegalArgumentException("config must be a JSON object, not " + root.getNodeType());
    }
    SortedMap<String, String> out = new TreeMap<>();
    flattenInto("", root, out);
    return out;
  }

  private static void flattenInto(String prefix, JsonNode node, Map<String, String> out) {
    if (node.isObject() && !node.isEmpty()) {
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        String key = prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey();
        flattenInto(key, field.getValue(), out);
      }
      return;
    }
    if (prefix.isEmpty()) {
      return; // the empty root object
    }
    out.put(prefix, text(node));
  }

  private static String text(JsonNode node) {
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isBigDecimal()) {
      return node.decimalValue().toString();
    }
    // Integers, booleans, null, arrays and the empty object: their JSON text.
    return node.toString();
  }
}
