package dev.runstream.processor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A labelled generator of simulated training-loss curves for measuring the detectors. Every curve
 * is a healthy power-law decay towards a floor with multiplicative log-normal noise, occasional
 * mild outliers and two learning-rate drops; anomalous curves depart from it at a known step.
 * Deterministic for a seed.
 */
final class SimulatedCurves {
  /** What happens to a run, and where. */
  enum Label {
    HEALTHY(null),
    DIVERGING("divergence"),
    NAN("non-finite"),
    SPIKING("spike"),
    PLATEAUING("plateau"),
    CRASHING("crashed");

    /** The rule expected to catch it; null for healthy runs. */
    final String rule;

    Label(String rule) {
      this.rule = rule;
    }
  }

  /**
   * One run: the loss and learning rate for each step it logs, and whether it ends with {@code
   * finish()} (a crashing run just stops).
   */
  record Curve(
      String runId,
      Label label,
      long onset,
      List<Double> loss,
      List<Double> lr,
      boolean finishes) {}

  static final int LENGTH = 500;

  private SimulatedCurves() {}

  static Curve generate(String runId, Label label, long seed) {
    Random r = new Random(seed);
    double init = 2 + 5 * r.nextDouble();
    double floor = 0.05 + 0.45 * r.nextDouble();
    double tau = 10 + 40 * r.nextDouble();
    double power = 0.5 + 0.7 * r.nextDouble();
    double sigma = 0.02 + 0.08 * r.nextDouble();
    double lr0 = 1e-3 * (1 + 9 * r.nextDouble());
    int drop1 = LENGTH / 2;
    int drop2 = LENGTH * 3 / 4;
    long onset =
        switch (label) {
          case HEALTHY -> -1;
          case PLATEAUING -> 120 + r.nextInt(100);
          default -> 150 + r.nextInt(300);
        };
    double growth = 8 + 32 * r.nextDouble(); // e-folding steps of a divergence
    double spike = 3 + 7 * r.nextDouble();
    List<Double> loss = new ArrayList<>();
    List<Double> lr = new ArrayList<>();
    double plateauLevel = Double.NaN;
    double atOnset = Double.NaN;
    int length = label == Label.CRASHING ? (int) onset : LENGTH;
    for (int t = 0; t < length; t++) {
      double decay = Math.pow(1 + t / tau, -power);
      // Learning-rate drops lower the loss within ~10 steps, as a step schedule does.
      double lrFactor = 1 - 0.15 * smoothStep(t - drop1) - 0.15 * smoothStep(t - drop2);
      double clean = (floor + (init - floor) * decay) * lrFactor;
      double noise = Math.exp(sigma * r.nextGaussian());
      if (r.nextDouble() < 0.01) {
        noise *= 1 + 2 * sigma; // a harder minibatch now and then
      }
      double value = clean * noise;
      if (label == Label.PLATEAUING && t >= onset) {
        if (Double.isNaN(plateauLevel)) {
          plateauLevel = clean;
        }
        value = plateauLevel * noise;
      }
      if (t == onset) {
        atOnset = clean;
      }
      if (label == Label.DIVERGING && t >= onset) {
        value = atOnset * Math.exp((t - onset) / growth) * noise;
      }
      if (label == Label.NAN && t >= onset) {
        value = Double.NaN;
      }
      if (label == Label.SPIKING && t == onset) {
        value = clean * spike;
      }
      loss.add(value);
      double lrNow = lr0;
      if (t >= drop1) {
        lrNow *= 0.1;
      }
      if (t >= drop2) {
        lrNow *= 0.1;
      }
      lr.add(lrNow);
    }
    return new Curve(runId, label, onset, loss, lr, label != Label.CRASHING);
  }

  private static double smoothStep(int sinceDrop) {
    if (sinceDrop <= 0) {
      return 0;
    }
    return Math.min(1.0, sinceDrop / 10.0);
  }
}
