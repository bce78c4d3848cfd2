package dev.runstream.query;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A run of a {@link RunPage} with the summary columns that were asked for.
 *
 * @param run the run's metadata, current config, tags and state
 * @param metrics the requested metrics the run logged, in request order
 */
public record RunRow(RunRecord run, Map<String, MetricValue> metrics) {
  public RunRow {
    Objects.requireNonNull(run, "run");
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }
}
