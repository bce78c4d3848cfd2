package dev.runstream.cli.demo;

import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The first script of a W&B user's tutorial, translated into the SDK: a run logs accuracy and loss
 * for epochs 2 to 9, drifting by a random offset. Each run gets its own seed, so the curves differ
 * and the whole demo is reproducible.
 */
public final class TutorialRuns {
  /** The project every tutorial run belongs to. */
  public static final String PROJECT = "tinyllm";

  private TutorialRuns() {}

  /**
   * What one simulated run logged.
   *
   * @param runId the run's id
   * @param name its display name
   * @param seed the seed of its random numbers
   * @param config the config it was started with
   * @param points every value logged, by metric and step
   */
  public record SimulatedRun(
      String runId,
      String name,
      long seed,
      Map<String, Object> config,
      Map<String, TreeMap<Long, Double>> points) {}

  /**
   * Runs {@code count} tutorial runs one after another, named {@code test1}, {@code test2}, …, each
   * finished before the next starts.
   *
   * @param options builds the options of run {@code i} (1-based) from its name; the project, notes,
   *     tags and config are set here
   */
  public static List<SimulatedRun> run(int count, Function<String, RunOptions.Builder> options) {
    List<SimulatedRun> runs = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      runs.add(runOne("test" + i, i, options.apply("test" + i)));
    }
    return runs;
  }

  static SimulatedRun runOne(String name, long seed, RunOptions.Builder options) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("learning_rate", 0.02);
    config.put("architecture", "CNN");
    config.put("dataset", "CIFAR-100");
    config.put("epochs", 10);
    config.put("seed", seed);
    Random random = new Random(seed);
    Map<String, TreeMap<Long, Double>> points = new LinkedHashMap<>();
    points.put("acc", new TreeMap<>());
    points.put("loss", new TreeMap<>());
    try (Run run =
        Runstream.init(
            options
                .name(name)
                .notes("training test")
                .tags("tag1", "tag2")
                .config(config)
                .build())) {
      double offset = random.nextDouble() / 5;
      for (int epoch = 2; epoch < 10; epoch++) {
        double acc = 1 - Math.pow(2, -epoch) - random.nextDouble() / epoch - offset;
        double loss = Math.pow(2, -epoch) + random.nextDouble() / epoch + offset;
        long step = run.step();
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("acc", acc);
        metrics.put("loss", loss);
        run.log(metrics);
        points.get("acc").put(step, acc);
        points.get("loss").put(step, loss);
      }
      return new SimulatedRun(run.id(), name, seed, config, points);
    }
  }
}
