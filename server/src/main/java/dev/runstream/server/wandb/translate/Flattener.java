package dev.runstream.server.wandb.translate;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Splits one logged dict into numeric metrics and {@link NonScalar}s, flattening nested dicts with
 * {@code .} as W&amp;B's charts do ({@code {"a": {"b": 1}}} is {@code a.b}).
 *
 * <ul>
 *   <li>numbers, including NaN and the infinities, are metrics; integers become doubles (beyond
 *       2^53 they lose their last digits, as they do in W&amp;B's charts);
 *   <li>booleans are metrics 1 and 0, so a logged flag can be charted;
 *   <li>a dict with a {@code _type} (histogram, image, table...) is one non-scalar of that type;
 *   <li>strings, lists, nulls and empty dicts are non-scalars of their JSON kind.
 * </ul>
 *
 * A flattened name met twice in one line ({@code "a.b"} beside {@code {"a": {"b": ...}}}) keeps the
 * later value in document order, in one of the two maps only.
 */
final class Flattener {
  final Map<String, Double> metrics = new LinkedHashMap<>();
  final Map<String, NonScalar> others = new LinkedHashMap<>();

  /** Flattens every top-level field of {@code line} whose key is not in {@code skip}. */
  static Flattener of(JsonNode line, Set<String> skip) {
    Flattener f = new Flattener();
    for (Map.Entry<String, JsonNode> field : line.properties()) {
      if (!skip.contains(field.getKey())) {
        f.add(field.getKey(), field.getValue());
      }
    }
    return f;
  }

  private void add(String name, JsonNode value) {
    if (value.isNumber()) {
      metric(name, value.doubleValue());
    } else if (value.isBoolean()) {
      metric(name, value.booleanValue() ? 1.0 : 0.0);
    } else if (value.isObject()) {
      NonScalar typed = WandbJson.typedObject(value);
      if (typed != null) {
        other(name, typed);
      } else if (value.isEmpty()) {
        other(name, new NonScalar(NonScalar.OBJECT, "{}", null));
      } else {
        for (Map.Entry<String, JsonNode> field : value.properties()) {
          add(name + "." + field.getKey(), field.getValue());
        }
      }
    } else if (value.isTextual()) {
      other(name, new NonScalar(NonScalar.STRING, WandbJson.text(value), null));
    } else if (value.isArray()) {
      other(name, new NonScalar(NonScalar.LIST, WandbJson.text(value), null));
    } else {
      other(name, new NonScalar(NonScalar.NULL, "null", null));
    }
  }

  private void metric(String name, double value) {
    others.remove(name);
    metrics.remove(name); // re-inserted so that document order holds for the later value
    metrics.put(name, value);
  }

  private void other(String name, NonScalar value) {
    metrics.remove(name);
    others.remove(name);
    others.put(name, value);
  }
}
