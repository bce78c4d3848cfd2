package dev.runstream.cli.demo;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One run of the demo's hyperparameter grid and how it ends.
 *
 * @param name the display name, e.g. {@code resnet-lr0.03-bs32}
 * @param learningRate the learning rate
 * @param batchSize the batch size
 * @param architecture {@code CNN} or {@code ResNet}
 * @param fate whether it trains to the end, diverges, or crashes
 */
public record DemoRun(
    String name, double learningRate, int batchSize, String architecture, Fate fate) {

  /** How a demo run ends. */
  public enum Fate {
    /** Trains every step and finishes (exit code 0). */
    FINISHES,
    /** Its loss blows up to NaN; the training script stops with exit code 1. */
    DIVERGES,
    /** Its process dies part-way, without finishing, as if killed by the OOM killer. */
    CRASHES
  }

  /** The project every demo run belongs to. */
  public static final String PROJECT = "demo";

  /** The fraction of its steps the crashing run logs before its process dies. */
  public static final double CRASH_AT = 0.55;

  /**
   * The grid: learning rate 0.003 and 0.03 × batch size 32 and 128 × CNN and ResNet, plus a CNN
   * with a learning rate too large for it (diverges) and a ResNet whose process dies (crashes).
   */
  public static List<DemoRun> grid() {
    List<DemoRun> runs = new ArrayList<>();
    for (String architecture : List.of("ResNet", "CNN")) {
      for (double lr : List.of(0.03, 0.003)) {
        for (int batch : List.of(32, 128)) {
          runs.add(of(lr, batch, architecture, Fate.FINISHES));
        }
      }
    }
    runs.add(of(0.5, 32, "CNN", Fate.DIVERGES));
    runs.add(of(0.01, 64, "ResNet", Fate.CRASHES));
    return List.copyOf(runs);
  }

  private static DemoRun of(double lr, int batch, String architecture, Fate fate) {
    String name =
        architecture.toLowerCase(Locale.ROOT)
            + "-lr"
            + new BigDecimal(Double.toString(lr)).stripTrailingZeros().toPlainString()
            + "-bs"
            + batch;
    return new DemoRun(name, lr, batch, architecture, fate);
  }

  /** The run's config, as a training script would pass it to {@code Runstream.init}. */
  public Map<String, Object> config(int steps) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("learning_rate", learningRate);
    config.put("batch_size", batchSize);
    config.put("architecture", architecture);
    config.put("dataset", "CIFAR-10");
    config.put("optimizer", Map.of("name", "sgd", "momentum", 0.9));
    config.put("steps", steps);
    return config;
  }

  /** What the run's notes say about it. */
  public String notes() {
    return switch (fate) {
      case FINISHES -> "runstream demo: a grid point";
      case DIVERGES -> "runstream demo: a learning rate too large, so the loss diverges";
      case CRASHES -> "runstream demo: its process dies part-way, without finishing";
    };
  }

  /** The seed of the run's noise: fixed per name, so the demo draws the same curves each time. */
  public long seed() {
    return name.hashCode();
  }

  /**
   * Milliseconds one training step takes: a larger batch takes longer, as on a real GPU, so the
   * runs end at different times.
   */
  public long stepMillis() {
    return Math.round(12 * Math.sqrt(batchSize / 32.0));
  }

  /** The steps the run logs before it ends: all, or fewer when its process dies. */
  public int stepsLogged(int steps) {
    return fate == Fate.CRASHES ? (int) (steps * CRASH_AT) : steps;
  }
}
