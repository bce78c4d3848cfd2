package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.cli.demo.TrainingCurve;
import org.junit.jupiter.api.Test;

class TrainingCurveTest {

  @Test
  void aHealthyRunLearnsAndResNetEndsLowerThanCnn() {
    double cnn = average(new TrainingCurve(0.01, 32, "CNN", 200, 1), 180, 200, "loss");
    double resnet = average(new TrainingCurve(0.01, 32, "ResNet", 200, 1), 180, 200, "loss");
    double start = new TrainingCurve(0.01, 32, "CNN", 200, 1).at(0).get("loss");

    assertThat(start).isGreaterThan(2.0);
    assertThat(cnn).isLessThan(0.5);
    assertThat(resnet).isLessThan(cnn);
  }

  @Test
  void aTooLargeLearningRateLearnsAtFirstThenDivergesToNaN() {
    int steps = 300;
    TrainingCurve curve = new TrainingCurve(0.5, 32, "CNN", steps, 7);
    int firstNaN = -1;
    double atStart = curve.at(0).get("loss");
    double beforeBlowUp = Double.NaN;
    for (int step = 1; step < steps && firstNaN < 0; step++) {
      double loss = curve.at(step).get("loss");
      if (step == (int) (steps * 0.3)) {
        beforeBlowUp = loss;
      }
      if (Double.isNaN(loss)) {
        firstNaN = step;
      }
    }
    assertThat(beforeBlowUp).isLessThan(atStart / 2);
    assertThat(firstNaN).isGreaterThan((int) (steps * 0.3) + 50).isLessThan(steps);
  }

  @Test
  void validationMetricsComeEveryTenSteps() {
    TrainingCurve curve = new TrainingCurve(0.01, 64, "CNN", 100, 3);
    assertThat(curve.at(0)).containsKeys("loss", "acc", "val_loss", "val_acc");
    assertThat(curve.at(1)).containsOnlyKeys("loss", "acc");
  }

  private static double average(TrainingCurve curve, int from, int to, String metric) {
    double sum = 0;
    for (int step = 0; step < to; step++) {
      double value = curve.at(step).get(metric);
      if (step >= from) {
        sum += value;
      }
    }
    return sum / (to - from);
  }
}
