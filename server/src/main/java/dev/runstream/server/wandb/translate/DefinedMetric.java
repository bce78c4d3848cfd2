package dev.runstream.server.wandb.translate;

import dev.runstream.sdk.Goal;
import dev.runstream.sdk.SummaryMode;
import java.util.List;
import java.util.Objects;

/**
 * One {@code run.define_metric(...)} as the client reports it, ready for {@code
 * Run.defineMetric(name()).goal(goal()).summary(summary())}.
 *
 * @param name the metric's name, or the glob pattern when {@link #glob()} (e.g. {@code train/*})
 * @param glob whether {@code name} is a pattern (ends with {@code *}) rather than one metric
 * @param goal the declared goal; {@link Goal#NONE} when the client declared none (client 0.30.0 has
 *     no {@code goal} argument any more; older clients and synced old runs may send one)
 * @param summary the one runstream summary mode for the client's summary operations: {@code none}
 *     is {@link SummaryMode#NONE}; otherwise the first of {@code min}, {@code max}, {@code mean},
 *     {@code best}, {@code last}, {@code copy} (as {@link SummaryMode#LAST}) in the client's order;
 *     {@link SummaryMode#DEFAULT} when there is none of them ({@code first} has no runstream mode)
 * @param summaryOps every summary operation the client asked for, lower case, in its order
 * @param stepMetric the metric used as the x axis ({@code step_metric}), or null
 * @param hidden whether the metric is hidden from automatic charts
 */
public record DefinedMetric(
    String name,
    boolean glob,
    Goal goal,
    SummaryMode summary,
    List<String> summaryOps,
    String stepMetric,
    boolean hidden) {

  /** Checks the required components and copies the list. */
  public DefinedMetric {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(goal, "goal");
    Objects.requireNonNull(summary, "summary");
    summaryOps = List.copyOf(summaryOps);
  }
}
