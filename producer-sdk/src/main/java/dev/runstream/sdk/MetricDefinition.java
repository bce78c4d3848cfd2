package dev.runstream.sdk;

/**
 * How a metric is judged and summarised, from {@link Run#defineMetric(String)}. Each setter
 * publishes the whole definition at once; the latest one per metric wins downstream.
 *
 * <p>Thread-safe.
 */
public interface MetricDefinition {

  /** The metric's name. */
  String name();

  /** Sets whether lower or higher is better; default {@link Goal#NONE}. */
  MetricDefinition goal(Goal goal);

  /** Sets which aggregate is the run's summary value; default {@link SummaryMode#DEFAULT}. */
  MetricDefinition summary(SummaryMode summary);
}
