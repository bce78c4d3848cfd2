package dev.runstream.query;

/**
 * One metric of one run, computed from its deduplicated points.
 *
 * @param finalValue the value at the highest step (NaN or infinite when logged so)
 * @param finalStep the highest step
 * @param best the best finite value by {@code goal}; NaN without a finite value
 * @param bestStep the step of {@code best}; -1 without one
 * @param goal the goal that chose {@code best}
 * @param points distinct steps logged
 */
public record MetricValue(
    double finalValue, long finalStep, double best, long bestStep, MetricGoal goal, long points) {}
