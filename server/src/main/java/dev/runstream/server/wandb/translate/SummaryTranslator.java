package dev.runstream.server.wandb.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Translates {@code wandb-summary.json} (sent as the one line of that file in {@code file_stream}
 * posts, and uploaded at the end) into {@link SummaryValues}.
 *
 * <p>The summary holds the last value of every logged key, the values the program set with {@code
 * run.summary[...]}, and, for a metric given a summary by {@code define_metric}, the client's
 * aggregates instead of its last value ({@code "acc": {"max": 0.7}}, {@code "multi": {"min": 0,
 * "max": 2}}). All are kept verbatim: nested dicts stay nested (not flattened, unlike history), so
 * the summary reads as the W&amp;B user wrote it. Left out: the client's own {@code _wandb}, {@code
 * _step}, {@code _runtime} and {@code _timestamp}, which restate the history. A top-level typed
 * object ({@code _type}: histogram, image, table...) becomes a {@link NonScalar}.
 *
 * <p>The metric definitions themselves travel in the config ({@link ConfigTranslator}).
 *
 * <p>Stateless and thread-safe.
 */
public final class SummaryTranslator {
  static final String FILE = "wandb-summary.json";
  private static final Set<String> OWN_KEYS = Set.of("_wandb", "_step", "_runtime", "_timestamp");

  private SummaryTranslator() {}

  /**
   * Translates the summary's JSON text.
   *
   * @throws WandbPayloadException when it is not a JSON object
   */
  public static SummaryValues translate(String summaryJson) {
    ObjectNode node = WandbJson.parseObject(summaryJson, FILE);
    Map<String, Object> values = new LinkedHashMap<>();
    Map<String, NonScalar> others = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      String key = field.getKey();
      JsonNode value = field.getValue();
      if (OWN_KEYS.contains(key)) {
        continue;
      }
      NonScalar typed = WandbJson.typedObject(value);
      if (typed != null) {
        others.put(key, typed);
      } else {
        values.put(key, WandbJson.toJava(value));
      }
    }
    return new SummaryValues(values, others);
  }
}
