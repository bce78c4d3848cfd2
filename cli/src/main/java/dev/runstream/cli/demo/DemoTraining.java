package dev.runstream.cli.demo;

import dev.runstream.sdk.Run;
import java.util.Map;

/** The training loop of a demo run, written as a training script would use the SDK. */
public final class DemoTraining {
  private DemoTraining() {}

  /** Told about each step as it is logged; called on the training thread, must not block. */
  public interface Progress {
    void step(int step, double loss);
  }

  /**
   * What a training loop did.
   *
   * @param stepsLogged how many steps it logged
   * @param nanStep the step whose loss was NaN, where it stopped; -1 if none was
   */
  public record Outcome(int stepsLogged, int nanStep) {
    public boolean diverged() {
      return nanStep >= 0;
    }
  }

  /**
   * Trains {@code spec} on {@code run} for up to {@code stopAfter} of its {@code steps}, one step
   * every {@link DemoRun#stepMillis()}, stopping early, as a script checking its loss would, when
   * the loss turns NaN (that step is still logged, so the processor sees it). Does not finish the
   * run.
   */
  public static Outcome train(Run run, DemoRun spec, int steps, int stopAfter, Progress progress)
      throws InterruptedException {
    TrainingCurve curve =
        new TrainingCurve(
            spec.learningRate(), spec.batchSize(), spec.architecture(), steps, spec.seed());
    for (int step = 0; step < stopAfter; step++) {
      Map<String, Double> metrics = curve.at(step);
      run.log(metrics, step);
      double loss = metrics.get("loss");
      progress.step(step, loss);
      if (Double.isNaN(loss)) {
        return new Outcome(step + 1, step);
      }
      Thread.sleep(spec.stepMillis()); // the time a training step takes
    }
    return new Outcome(stopAfter, -1);
  }
}
