package dev.runstream.server.wandb.translate;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A run's {@code wandb-summary.json}, ready for {@code Run.summary().update(values())}.
 *
 * @param values the summary's plain values by top-level key, in order: numbers ({@code Long},
 *     {@code BigInteger} or {@code Double}, NaN and infinities kept), strings, booleans, lists,
 *     nulls and nested maps; unmodifiable, may hold nulls
 * @param others the top-level values that are W&amp;B typed objects (histograms, images, tables);
 *     unmodifiable
 */
public record SummaryValues(Map<String, Object> values, Map<String, NonScalar> others) {

  /** Makes the maps unmodifiable. */
  public SummaryValues {
    values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    others = Collections.unmodifiableMap(new LinkedHashMap<>(others));
  }
}
