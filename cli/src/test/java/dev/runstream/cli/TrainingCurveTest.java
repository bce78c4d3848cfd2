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
  void aTooLargeLearningRateDivergesToNaN() {
    TrainingCurve curve = new TrainingCurve(0.5, 32, "CNN", 200, 7);
    double firstNaN = -1;
    for (int step = 0; step < 200 && firstNaN < 0; step++) {
      if (Double.isNaN(curve.at(step).get("loss"))) {
        firstNaN = step;
      }
    }
    assertThat(firstNaN).isBetween(40.0, 150.0);
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
