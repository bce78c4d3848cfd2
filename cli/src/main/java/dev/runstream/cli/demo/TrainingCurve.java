package dev.runstream.cli.demo;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A simulated training run's metrics, step by step: loss falls exponentially towards a floor set by
 * the architecture, faster with a larger learning rate and a smaller batch, drops again when the
 * learning rate is decayed, and is as noisy as a minibatch estimate is. Accuracy mirrors it. A
 * learning rate from {@link #DIVERGENCE_LR} up makes the loss fall at first, then, from 30 % of the
 * steps, grow by 12 % a step until it turns NaN, as a real run's does.
 */
public final class TrainingCurve {
  /** Learning rates from here up diverge. */
  public static final double DIVERGENCE_LR = 0.3;

  private final double learningRate;
  private final int batchSize;
  private final double floor;
  private final int steps;
  private final Random random;
  private double divergence = 1;

  /**
   * @param architecture "ResNet" trains to a lower loss than anything else
   * @param steps how many steps the run will log, so the learning-rate drop lands at 60 %
   */
  public TrainingCurve(
      double learningRate, int batchSize, String architecture, int steps, long seed) {
    this.learningRate = learningRate;
    this.batchSize = batchSize;
    this.floor = "ResNet".equals(architecture) ? 0.18 : 0.32;
    this.steps = steps;
    this.random = new Random(seed);
  }

  /** The metrics to log at {@code step}: loss and acc, plus val_loss and val_acc every 10 steps. */
  public Map<String, Double> at(int step) {
    double rate = Math.min(0.08, learningRate * 2.5 / Math.sqrt(batchSize / 32.0));
    double gap = 2.3 - floor;
    double loss = floor + gap * Math.exp(-rate * step);
    if (step > steps * 0.6) {
      loss = floor * 0.85 + (loss - floor * 0.85) * 0.6; // learning-rate decay
    }
    if (learningRate >= DIVERGENCE_LR && step > steps * 0.3) {
      divergence *= 1.12;
      loss *= divergence;
    }
    double noise = random.nextGaussian() * 0.04 * loss * Math.sqrt(32.0 / batchSize);
    double trainLoss = loss + noise;
    if (trainLoss > 1e4) {
      trainLoss = Double.NaN;
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("loss", trainLoss);
    metrics.put("acc", accuracy(trainLoss));
    if (step % 10 == 0) {
      double valLoss = loss * 1.08 + Math.abs(random.nextGaussian()) * 0.02;
      metrics.put("val_loss", Double.isNaN(trainLoss) ? Double.NaN : valLoss);
      metrics.put("val_acc", accuracy(valLoss));
    }
    return metrics;
  }

  private static double accuracy(double loss) {
    if (!Double.isFinite(loss)) {
      return 0.01;
    }
    return Math.max(0.01, Math.min(0.99, 1.0 - loss / 2.4));
  }
}
