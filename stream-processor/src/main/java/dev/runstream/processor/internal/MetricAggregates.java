package dev.runstream.processor.internal;

import dev.runstream.schemas.MetricGoals;
import dev.runstream.schemas.avro.Goal;
import dev.runstream.schemas.avro.MetricAggregate;

/** Folds metric points into a {@link MetricAggregate}, and infers a metric's goal from its name. */
public final class MetricAggregates {
  private MetricAggregates() {}

  /** The aggregate of a metric before its first point, judged by {@code goal}. */
  public static MetricAggregate empty(Goal goal) {
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
        .setEma(0.0)
        .setEmVar(0.0)
        .setBest(null)
        .setBestStep(-1)
        .setGoal(goal)
        .build();
  }

  /** The aggregate of a metric before its first point, with no goal. */
  public static MetricAggregate empty() {
    return empty(Goal.NONE);
  }

  /**
   * The goal of {@code metric} by its name: {@link MetricGoals#infer}, the rule every module
   * shares.
   */
  public static Goal inferGoal(String metric) {
    return MetricGoals.infer(metric);
  }

  /**
   * Adds the point ({@code step}, {@code value}) logged at {@code timestampMs}. Non-finite values
   * are counted but kept out of min, max, sum, EMA and best; first and last follow the step order,
   * so points that arrive out of order land where their step says. The EMA and its variance follow
   * arrival order (West's exponentially weighted update with weight {@code alpha}).
   */
  public static void add(
      MetricAggregate agg, long step, double value, long timestampMs, double alpha) {
    agg.setCount(agg.getCount() + 1);
    if (Double.isNaN(value)) {
      agg.setNanCount(agg.getNanCount() + 1);
    } else if (Double.isInfinite(value)) {
      agg.setInfCount(agg.getInfCount() + 1);
    } else {
      if (agg.getFiniteCount() == 0) {
        agg.setEma(value);
        agg.setEmVar(0.0);
      } else {
        double diff = value - agg.getEma();
        double incr = alpha * diff;
        agg.setEma(agg.getEma() + incr);
        agg.setEmVar((1 - alpha) * (agg.getEmVar() + diff * incr));
      }
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
      if (isBetter(agg.getGoal(), value, agg.getBest())) {
        agg.setBest(value);
        agg.setBestStep(step);
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

  /**
   * Sets the goal (from {@code run.defineMetric}); the best is taken again from min or max, so a
   * definition that arrives after the first points still gives the right best.
   */
  public static void setGoal(MetricAggregate agg, Goal goal) {
    agg.setGoal(goal);
    if (goal == Goal.MINIMIZE && agg.getMinStep() >= 0) {
      agg.setBest(agg.getMin());
      agg.setBestStep(agg.getMinStep());
    } else if (goal == Goal.MAXIMIZE && agg.getMaxStep() >= 0) {
      agg.setBest(agg.getMax());
      agg.setBestStep(agg.getMaxStep());
    } else {
      agg.setBest(null);
      agg.setBestStep(-1);
    }
  }

  /** Sets every field of {@code to} to that of {@code from}, without allocating. */
  static void copy(MetricAggregate from, MetricAggregate to) {
    to.setCount(from.getCount());
    to.setFiniteCount(from.getFiniteCount());
    to.setSum(from.getSum());
    to.setMin(from.getMin());
    to.setMinStep(from.getMinStep());
    to.setMax(from.getMax());
    to.setMaxStep(from.getMaxStep());
    to.setFirst(from.getFirst());
    to.setFirstStep(from.getFirstStep());
    to.setLast(from.getLast());
    to.setLastStep(from.getLastStep());
    to.setLastTimestampMs(from.getLastTimestampMs());
    to.setNanCount(from.getNanCount());
    to.setInfCount(from.getInfCount());
    to.setEma(from.getEma());
    to.setEmVar(from.getEmVar());
    to.setBest(from.getBest());
    to.setBestStep(from.getBestStep());
    to.setGoal(from.getGoal());
  }

  /** The mean of the finite values, NaN when there are none. */
  public static double mean(MetricAggregate agg) {
    return agg.getFiniteCount() == 0 ? Double.NaN : agg.getSum() / agg.getFiniteCount();
  }

  private static boolean isBetter(Goal goal, double value, Double best) {
    return switch (goal) {
      case MINIMIZE -> best == null || value < best;
      case MAXIMIZE -> best == null || value > best;
      default -> false;
    };
  }
}
