package dev.runstream.processor.internal;

import dev.runstream.processor.AlertRule;
import dev.runstream.processor.DetectorSettings;
import dev.runstream.processor.internal.RunDetectors.MetricWatch;
import dev.runstream.schemas.avro.Goal;
import dev.runstream.schemas.avro.MetricAggregate;
import java.util.Locale;

/**
 * The per-point detectors: non-finite, divergence, spike and plateau. Each keeps at most one open
 * episode per (run, rule, metric): it raises once when its condition starts and resolves once when
 * it clears, so a diverging loss logged every step gives two records, not thousands. Stateless;
 * what it remembers lives in {@link MetricWatch}.
 */
final class Detectors {
  /** Receives the raises and resolutions the detectors decide on. */
  interface Out {
    void alert(
        AlertRule rule,
        String metric,
        long step,
        double value,
        Double baseline,
        String episodeId,
        boolean resolved,
        String message);
  }

  private Detectors() {}

  /**
   * Judges one point after it was added to {@code agg}.
   *
   * @param emaBefore the aggregate's EMA before the point
   * @param varBefore the aggregate's EW variance before the point
   * @param finiteBefore finite points before this one
   * @param alpha the EMA's weight of a new point
   */
  static void observe(
      String runId,
      DetectorSettings s,
      String metric,
      MetricAggregate agg,
      MetricWatch w,
      double emaBefore,
      double varBefore,
      long finiteBefore,
      long step,
      double value,
      double alpha,
      Out out) {
    boolean finite = Double.isFinite(value);
    if (s.nonFiniteEnabled()) {
      nonFinite(runId, metric, w, step, value, finite, out);
    }
    if (!finite) {
      return;
    }
    Goal goal = agg.getGoal();
    if (s.spikeEnabled() && goal != Goal.NONE) {
      spike(runId, s, metric, w, goal, emaBefore, varBefore, finiteBefore, step, value, out);
    }
    w.finitePoints++;
    double ema = agg.getEma();
    if (w.finitePoints == 1) {
      w.firstEma = ema;
    }
    if (goal == Goal.MINIMIZE && s.divergenceEnabled()) {
      divergence(runId, s, metric, agg, w, step, value, out);
    }
    if (s.plateauEnabled() && goal != Goal.NONE) {
      plateau(runId, s, metric, w, goal, ema, agg.getEmVar(), alpha, step, value, out);
    }
    w.lastFinite = value;
    w.lastFiniteStep = step;
  }

  private static void nonFinite(
      String runId,
      String metric,
      MetricWatch w,
      long step,
      double value,
      boolean finite,
      Out out) {
    if (!finite && w.nonFiniteEpisode == null) {
      w.nonFiniteEpisode = episode(runId, AlertRule.NON_FINITE, metric, step);
      String last =
          w.lastFiniteStep < 0
              ? "no finite value before"
              : "last finite " + fmt(w.lastFinite) + " at step " + w.lastFiniteStep;
      out.alert(
          AlertRule.NON_FINITE,
          metric,
          step,
          value,
          w.lastFiniteStep < 0 ? null : w.lastFinite,
          w.nonFiniteEpisode,
          false,
          metric + " is " + fmt(value) + " at step " + step + " (" + last + ")");
    } else if (finite && w.nonFiniteEpisode != null) {
      out.alert(
          AlertRule.NON_FINITE,
          metric,
          step,
          value,
          null,
          w.nonFiniteEpisode,
          true,
          metric + " is finite again: " + fmt(value) + " at step " + step);
      w.nonFiniteEpisode = null;
    }
  }

  private static void spike(
      String runId,
      DetectorSettings s,
      String metric,
      MetricWatch w,
      Goal goal,
      double emaBefore,
      double varBefore,
      long finiteBefore,
      long step,
      double value,
      Out out) {
    if (finiteBefore < s.spikeWarmup() || !(varBefore > 0)) {
      return;
    }
    double sd = Math.sqrt(varBefore);
    // Only the bad direction: a learning-rate drop makes a healthy loss fall by many sigmas.
    double bad = goal == Goal.MINIMIZE ? value - emaBefore : emaBefore - value;
    double z = bad / sd;
    if (z > s.spikeZ()) {
      if (w.spikeEpisode == null) {
        w.spikeEpisode = episode(runId, AlertRule.SPIKE, metric, step);
        out.alert(
            AlertRule.SPIKE,
            metric,
            step,
            value,
            emaBefore,
            w.spikeEpisode,
            false,
            String.format(
                Locale.ROOT,
                "%s spiked: %s at step %d, %.1f standard deviations %s its moving average %s",
                metric,
                fmt(value),
                step,
                z,
                goal == Goal.MINIMIZE ? "above" : "below",
                fmt(emaBefore)));
      }
    } else if (w.spikeEpisode != null) {
      out.alert(
          AlertRule.SPIKE,
          metric,
          step,
          value,
          emaBefore,
          w.spikeEpisode,
          true,
          metric + " is back near its moving average: " + fmt(value) + " at step " + step);
      w.spikeEpisode = null;
    }
  }

  private static void divergence(
      String runId,
      DetectorSettings s,
      String metric,
      MetricAggregate agg,
      MetricWatch w,
      long step,
      double value,
      Out out) {
    double ema = agg.getEma();
    double sd = Math.sqrt(agg.getEmVar());
    if (Double.isNaN(w.bestEma) || ema < w.bestEma) {
      w.bestEma = ema;
      w.sdAtBest = sd;
    }
    if (w.finitePoints <= s.divergenceWarmup()) {
      return;
    }
    // The raw value, not its EMA, is compared: the EMA lags a fast divergence by tens of steps,
    // and k consecutive points far above the noise at the best are already robust to noise.
    double excess = value - w.bestEma;
    double spread = w.firstEma - w.bestEma;
    boolean ratio = w.bestEma > 0 && value > s.divergenceFactor() * w.bestEma;
    boolean rise = spread > 0 && excess > s.divergenceSpreadFactor() * spread;
    boolean aboveNoise = excess > s.divergenceNoiseZ() * w.sdAtBest;
    if (aboveNoise && (ratio || rise)) {
      w.over++;
      w.under = 0;
    } else {
      w.under++;
      w.over = 0;
    }
    Double best = agg.getBest();
    if (w.divergenceEpisode == null && w.over >= s.divergencePoints()) {
      w.divergenceEpisode = episode(runId, AlertRule.DIVERGENCE, metric, step);
      String factor =
          best != null && best > 0
              ? String.format(Locale.ROOT, " (%.1fx)", value / best)
              : " (+" + fmt(value - (best == null ? w.bestEma : best)) + ")";
      out.alert(
          AlertRule.DIVERGENCE,
          metric,
          step,
          value,
          best,
          w.divergenceEpisode,
          false,
          metric
              + " diverged: "
              + fmt(value)
              + " at step "
              + step
              + ", best "
              + (best == null ? fmt(w.bestEma) : fmt(best) + " at step " + agg.getBestStep())
              + factor);
    } else if (w.divergenceEpisode != null && w.under >= s.divergencePoints()) {
      out.alert(
          AlertRule.DIVERGENCE,
          metric,
          step,
          value,
          best,
          w.divergenceEpisode,
          true,
          metric
              + " recovered: "
              + fmt(value)
              + " at step "
              + step
              + ", best "
              + (best == null ? fmt(w.bestEma) : fmt(best)));
      w.divergenceEpisode = null;
    }
  }

  private static void plateau(
      String runId,
      DetectorSettings s,
      String metric,
      MetricWatch w,
      Goal goal,
      double ema,
      double emVar,
      double alpha,
      long step,
      double value,
      Out out) {
    if (w.plateauRefStep < 0 || Double.isNaN(w.plateauRef)) {
      w.plateauRef = ema;
      w.plateauRefStep = step;
      return;
    }
    // An improvement must also stand out of the EMA's own noise, or a noisy flat curve would keep
    // "improving" by chance and never be called a plateau.
    double emaNoise = Math.sqrt(emVar * alpha / (2 - alpha));
    double margin = Math.max(s.plateauEpsilon() * Math.abs(w.plateauRef), 3 * emaNoise);
    boolean improved =
        goal == Goal.MINIMIZE ? ema < w.plateauRef - margin : ema > w.plateauRef + margin;
    if (improved) {
      w.plateauRef = ema;
      w.plateauRefStep = step;
      if (w.plateauEpisode != null) {
        out.alert(
            AlertRule.PLATEAU,
            metric,
            step,
            value,
            ema,
            w.plateauEpisode,
            true,
            metric + " is improving again: " + fmt(value) + " at step " + step);
        w.plateauEpisode = null;
      }
    } else if (w.plateauEpisode == null
        && w.divergenceEpisode == null // a diverging metric is not improving: said already
        && step - w.plateauRefStep >= s.plateauSteps()) {
      w.plateauEpisode = episode(runId, AlertRule.PLATEAU, metric, step);
      out.alert(
          AlertRule.PLATEAU,
          metric,
          step,
          value,
          w.plateauRef,
          w.plateauEpisode,
          false,
          String.format(
              Locale.ROOT,
              "%s plateaued: no improvement over %.1f%% in %d steps (smoothed %s since step %d)",
              metric,
              s.plateauEpsilon() * 100,
              step - w.plateauRefStep,
              fmt(w.plateauRef),
              w.plateauRefStep));
    }
  }

  /** Episode ids are derived from the data, so a replay after a restart gives the same id. */
  static String episode(String runId, AlertRule rule, String metric, long step) {
    return runId + "/" + rule.id() + (metric == null ? "" : "/" + metric) + "/" + step;
  }

  /** A number as a person reads it in a notification: 3.20, 0.41, 1.2e-05, 12345. */
  static String fmt(double x) {
    if (Double.isNaN(x)) {
      return "NaN";
    }
    if (Double.isInfinite(x)) {
      return x > 0 ? "+Inf" : "-Inf";
    }
    double a = Math.abs(x);
    if (a == 0) {
      return "0";
    }
    if (a >= 1e5 || a < 1e-3) {
      return String.format(Locale.ROOT, "%.2g", x);
    }
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.0f", x);
    }
    if (a >= 1) {
      return String.format(Locale.ROOT, "%.2f", x);
    }
    return String.format(Locale.ROOT, "%.2g", x);
  }
}
