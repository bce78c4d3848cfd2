package dev.runstream.processor.internal;

import dev.runstream.schemas.avro.MetricAggregate;

/** Folds one metric point into a {@link MetricAggregate}. */
public final class MetricAggregates {
  private MetricAggregates() {}

  /** The aggregate of a metric before its first point. */
  public static MetricAggregate empty() {
    return MetricAggregate.newBuilder()
        .setCount(0)
        .setFiniteCount(0)
        .setSum(0.0)
        .setMin(Double.NaN)
        .setMinStep(-1)
        .setMax(Double.NaN)
        .setMaxStep(-1)
        .setFirst(Double.NaN)
        .setFirstStep(-1)
        .setLast(Double.NaN)
        .setLastStep(-1)
        .setLastTimestampMs(0)
        .setNanCount(0)
        .setInfCount(0)
        .build();
  }

  /**
   * Adds the point ({@code step}, {@code value}) logged at {@code timestampMs}. Non-finite values
   * are counted but kept out of min, max and sum; first and last follow the step order, so points
   * that arrive out of order land where their step says.
   */
  public static void add(MetricAggregate agg, long step, double value, long timestampMs) {
    agg.setCount(agg.getCount() + 1);
    if (Double.isNaN(value)) {
      agg.setNanCount(agg.getNanCount() + 1);
    } else if (Double.isInfinite(value)) {
      agg.setInfCount(agg.getInfCount() + 1);
    } else {
      agg.setFiniteCount(agg.getFiniteCount() + 1);
      agg.setSum(agg.getSum() + value);
      if (agg.getMinStep() < 0 || value < agg.getMin()) {
        agg.setMin(value);
        agg.setMinStep(step);
      }
      if (agg.getMaxStep() < 0 || value > agg.getMax()) {
        agg.setMax(value);
        agg.setMaxStep(step);
      }
    }
    if (agg.getFirstStep() < 0 || step < agg.getFirstStep()) {
      agg.setFirst(value);
      agg.setFirstStep(step);
    }
    if (step >= agg.getLastStep()) {
      agg.setLast(value);
      agg.setLastStep(step);
      agg.setLastTimestampMs(timestampMs);
    }
  }

  /** The mean of the finite values, NaN when there are none. */
  public static double mean(MetricAggregate agg) {
    return agg.getFiniteCount() == 0 ? Double.NaN : agg.getSum() / agg.getFiniteCount();
  }
}
