package dev.runstream.server.wandb.translate;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's config as the wandb client sends it, split into the user's values and the metric
 * definitions the client carries inside it.
 *
 * @param values the user's config, key to plain value (maps in order, lists, strings, booleans,
 *     {@code Long}s or {@code BigInteger}s for integers, {@code Double}s, nulls for Python's {@code
 *     None}), nested dicts kept nested, keys verbatim; unmodifiable
 * @param definedMetrics the {@code define_metric} calls, in the client's order
 */
public record TranslatedConfig(Map<String, Object> values, List<DefinedMetric> definedMetrics) {

  /**
   * Makes the components unmodifiable; {@code values} may hold nulls, so it is not copied with
   * {@code Map.copyOf}.
   */
  public TranslatedConfig {
    values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    definedMetrics = List.copyOf(definedMetrics);
  }
}
