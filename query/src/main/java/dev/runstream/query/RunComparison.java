package dev.runstream.query;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One run of a comparison: its identity, tags and config beside the requested metrics.
 *
 * @param runId the run id
 * @param name the display name
 * @param tags the current tags
 * @param config the current flattened config, in key order
 * @param metrics per requested metric that the run logged, in request order
 */
public record RunComparison(
    String runId,
    String name,
    List<String> tags,
    Map<String, String> config,
    Map<String, MetricResult> metrics) {
  public RunComparison {
    tags = List.copyOf(tags);
    config = Collections.unmodifiableSortedMap(new TreeMap<>(config));
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }

  /**
   * A metric of one run.
   *
   * @param finalValue the value at the highest step (may be NaN or infinite, as logged)
   * @param finalStep the highest step
   * @param best the minimum or maximum finite value by {@link MetricGoal#infer}; NaN when the run
   *     logged no finite value
   * @param goal the goal that chose {@code best}
   */
  public record MetricResult(double finalValue, long finalStep, double best, MetricGoal goal) {}
}
