package dev.runstream.server.wandb.translate;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * One line of {@code wandb-history.jsonl}: what one {@code wandb.log} call committed, ready for
 * {@code Run.log(metrics, step)}.
 *
 * @param step the client's {@code _step}
 * @param time the client's {@code _timestamp}, to the microsecond
 * @param runtimeSeconds the client's {@code _runtime} (seconds since the run started), if present;
 *     not a metric: W&amp;B shows it as the run's relative time, not as a chart
 * @param metrics numeric values by flattened name, in the line's order (see {@link
 *     HistoryTranslator}); unmodifiable
 * @param others values that are not numbers, by flattened name; unmodifiable
 */
public record HistoryRow(
    long step,
    Instant time,
    OptionalDouble runtimeSeconds,
    Map<String, Double> metrics,
    Map<String, NonScalar> others) {

  /** Checks the components and makes the maps unmodifiable. */
  public HistoryRow {
    if (step < 0) {
      throw new IllegalArgumentException("step must be non-negative: " + step);
    }
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(runtimeSeconds, "runtimeSeconds");
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    others = Collections.unmodifiableMap(new LinkedHashMap<>(others));
  }
}
