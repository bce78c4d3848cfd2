package dev.runstream.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.Goal;
import dev.runstream.schemas.avro.MetricDefined;
import dev.runstream.schemas.avro.Severity;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DetectorsTest {
  private TopologyHarness h = new TopologyHarness(MonitorSettings.defaults());
  private final Random random = new Random(42);

  @AfterEach
  void close() {
    h.close();
  }

  /** A healthy loss from 2.0 down to about 0.4 with 3% noise. */
  private double healthy(long step) {
    return (0.4 + 1.6 * Math.exp(-step / 40.0)) * (1 + 0.03 * random.nextGaussian());
  }

  private void train(String runId, long from, long to) {
    for (long s = from; s < to; s++) {
      h.log(runId, s, "loss", healthy(s));
    }
  }

  private List<Alert> alertsOf(String rule) {
    return h.alerts().stream().filter(a -> a.getRule().equals(rule)).toList();
  }

  @Test
  void shouldRaiseOneAlertPerDivergenceEpisodeAndResolveItOnRecovery() {
    h.start("r1");
    train("r1", 0, 200);
    for (long s = 200; s < 260; s++) {
      h.log("r1", s, "loss", 0.4 * Math.exp((s - 200) / 15.0));
    }
    List<Alert> raised = alertsOf("divergence");
    assertThat(raised).hasSize(1);
    Alert alert = raised.get(0);
    assertThat(alert.getSeverity()).isEqualTo(Severity.CRITICAL);
    assertThat(alert.getMetric()).isEqualTo("loss");
    assertThat(alert.getResolved()).isFalse();
    assertThat(alert.getStep()).isBetween(200L, 240L);
    assertThat(alert.getBaseline()).isLessThan(0.42);
    assertThat(alert.getMessage())
        .matches("loss diverged: \\S+ at step \\d+, best 0\\.\\d+ at step \\d+ \\(\\d+\\.\\dx\\)");

    train("r1", 1000, 1060); // back down near the floor; the EMA needs a while to follow
    List<Alert> resolved = alertsOf("divergence");
    assertThat(resolved).hasSize(1);
    assertThat(resolved.get(0).getResolved()).isTrue();
    assertThat(resolved.get(0).getEpisodeId()).isEqualTo(alert.getEpisodeId());
  }

  @Test
  void shouldWriteTheDivergenceAlertAsAPersonReadsIt() {
    h.start("r1");
    for (long s = 0; s <= 800; s += 10) { // down to exactly 0.41 at step 800
      double left = 1 - s / 800.0;
      h.log("r1", s, "val_loss", 0.41 + 1.59 * left * left);
    }
    for (long s = 1000; s <= 1200; s += 50) {
      h.log("r1", s, "val_loss", 3.2);
    }
    Alert alert = alertsOf("divergence").get(0);
    assertThat(alert.getMessage())
        .isEqualTo("val_loss diverged: 3.20 at step 1200, best 0.41 at step 800 (7.8x)");
    assertThat(alert.getRule()).isEqualTo("divergence");
    assertThat(alert.getSeverity()).isEqualTo(Severity.CRITICAL);
    assertThat(alert.getMetric()).isEqualTo("val_loss");
    assertThat(alert.getStep()).isEqualTo(1200L);
    assertThat(alert.getValue()).isEqualTo(3.2);
    assertThat(alert.getBaseline()).isEqualTo(0.41);
    assertThat(alert.getEpisodeId()).isEqualTo("r1/divergence/val_loss/1200");
    assertThat(alert.getTitle()).isEqualTo("divergence of val_loss in tinyllm/name-r1");
  }

  @Test
  void shouldCallANegativeLossDivergedWhenItGivesBackMoreThanHalfOfItsImprovement() {
    h.start("r1");
    for (long s = 0; s < 200; s++) { // a log-likelihood style loss: best about -2, never positive
      h.log("r1", s, "nll_loss", -2.0 * (1 - Math.exp(-s / 30.0)) + 0.02 * random.nextGaussian());
    }
    for (long s = 200; s < 230; s++) {
      h.log("r1", s, "nll_loss", -0.5 + 0.02 * random.nextGaussian());
    }
    assertThat(alertsOf("divergence"))
        .singleElement()
        .extracting(Alert::getMessage)
        .asString()
        .matches(
            "nll_loss diverged: -0\\.\\d+ at step 20\\d, best -2\\.\\d+ at step \\d+ \\(\\+1\\.\\d+\\)");
  }

  @Test
  void shouldNotCallANegativeLossDivergedThatGaveBackLessThanHalf() {
    h.start("r1");
    for (long s = 0; s < 200; s++) {
      h.log("r1", s, "nll_loss", -2.0 * (1 - Math.exp(-s / 30.0)) + 0.02 * random.nextGaussian());
    }
    for (long s = 200; s < 400; s++) { // back up by 0.8 of a 2.0 improvement
      h.log("r1", s, "nll_loss", -1.2 + 0.02 * random.nextGaussian());
    }
    assertThat(alertsOf("divergence")).isEmpty();
  }

  @Test
  void shouldNotAddAPlateauToADivergenceThatIsStillOpen() {
    h.close();
    h =
        new TopologyHarness(
            MonitorSettings.builder()
                .detectors(
                    DetectorRules.of(DetectorSettings.defaults().withPlateau(true, 100, 0.01)))
                .build());
    h.start("r1");
    train("r1", 0, 200);
    for (long s = 200; s < 500; s++) { // up 20-fold and stays there: no improvement for 300 steps
      h.log("r1", s, "loss", 0.4 * Math.exp(Math.min(s - 200, 45) / 15.0));
    }
    assertThat(h.alerts())
        .extracting(Alert::getRule)
        .filteredOn(rule -> !rule.equals("spike"))
        .containsExactly("divergence");
  }

  @Test
  void shouldNotCallALossDivergedThatRoseLessThanTheFactor() {
    h.start("r1");
    train("r1", 0, 200);
    for (long s = 200; s < 400; s++) { // settles at 2.5x the best: bad, but not divergence
      h.log("r1", s, "loss", 1.0 * (1 + 0.03 * random.nextGaussian()));
    }
    assertThat(alertsOf("divergence")).isEmpty();
  }

  @Test
  void shouldIgnoreDivergenceOfAMetricWithoutAGoal() {
    h.start("r1");
    for (long s = 0; s < 300; s++) {
      h.log("r1", s, "tokens_per_second", s < 200 ? 100.0 : 100.0 * Math.exp((s - 200) / 10.0));
    }
    assertThat(alertsOf("divergence")).isEmpty();
  }

  @Test
  void shouldRaiseACriticalAlertOnTheFirstNanAndOnlyOnce() {
    h.start("r1");
    train("r1", 0, 100);
    h.log("r1", 100, "loss", Double.NaN);
    h.log("r1", 101, "loss", Double.POSITIVE_INFINITY);
    h.log("r1", 102, "loss", Double.NaN);
    List<Alert> raised = alertsOf("non-finite");
    assertThat(raised).hasSize(1);
    assertThat(raised.get(0).getSeverity()).isEqualTo(Severity.CRITICAL);
    assertThat(raised.get(0).getStep()).isEqualTo(100L);
    assertThat(raised.get(0).getMessage())
        .matches("loss is NaN at step 100 \\(last finite 0\\.\\d+ at step 99\\)");
  }

  @Test
  void shouldNotTreatAHugeFiniteValueAsNonFinite() {
    h.start("r1");
    train("r1", 0, 100);
    h.log("r1", 100, "loss", 1e30);
    assertThat(alertsOf("non-finite")).isEmpty();
  }

  @Test
  void shouldResolveNonFiniteWhenTheMetricIsFiniteAgain() {
    h.start("r1");
    h.log("r1", 0, "grad_norm", Double.POSITIVE_INFINITY);
    h.log("r1", 1, "grad_norm", 3.0);
    List<Alert> alerts = alertsOf("non-finite");
    assertThat(alerts).extracting(Alert::getResolved).containsExactly(false, true);
    assertThat(alerts.get(1).getMessage()).isEqualTo("grad_norm is finite again: 3.00 at step 1");
  }

  @Test
  void shouldFollowAnOverrideThatSwitchesNonFiniteOffForOneMetric() {
    h.close();
    h =
        new TopologyHarness(
            MonitorSettings.builder()
                .detectors(
                    DetectorRules.defaults()
                        .withOverride("tinyllm", "grad_*", Map.of("nonfinite.enabled", "false")))
                .build());
    h.start("r1");
    h.log("r1", 0, Map.of("grad_norm", Double.NaN, "loss", 1.0));
    h.log("r1", 1, Map.of("loss", Double.NaN));
    assertThat(alertsOf("non-finite")).extracting(Alert::getMetric).containsExactly("loss");
  }

  @Test
  void shouldRaiseASpikeOnOnePointFarAboveTheMovingAverage() {
    h.start("r1");
    train("r1", 0, 300);
    h.log("r1", 300, "loss", 2.0);
    h.log("r1", 301, "loss", healthy(301));
    List<Alert> alerts = alertsOf("spike");
    assertThat(alerts).extracting(Alert::getResolved).containsExactly(false, true);
    assertThat(alerts.get(0).getSeverity()).isEqualTo(Severity.WARNING);
    assertThat(alerts.get(0).getStep()).isEqualTo(300L);
    assertThat(alerts.get(0).getMessage())
        .matches(
            "loss spiked: 2\\.00 at step 300, \\d+\\.\\d standard deviations above its moving average 0\\.\\d+");
    assertThat(alertsOf("divergence")).as("one point is not a divergence").isEmpty();
  }

  @Test
  void shouldNotRaiseASpikeForAPointWithinTheThreshold() {
    h.start("r1");
    train("r1", 0, 300);
    h.log("r1", 300, "loss", 0.46); // about 5 standard deviations of the noise
    assertThat(alertsOf("spike")).isEmpty();
  }

  @Test
  void shouldNotRaiseASpikeWhenALearningRateDropImprovesTheLossSuddenly() {
    h.start("r1");
    train("r1", 0, 300);
    for (long s = 300; s < 320; s++) {
      h.log("r1", s, "loss", 0.1 * (1 + 0.03 * random.nextGaussian()));
    }
    assertThat(h.alerts()).isEmpty();
  }

  @Test
  void shouldRaiseASpikeDownwardsForAMaximisedMetric() {
    h.start("r1");
    for (long s = 0; s < 200; s++) {
      h.log("r1", s, "val/acc", 0.9 + 0.005 * random.nextGaussian());
    }
    h.log("r1", 200, "val/acc", 0.3);
    assertThat(alertsOf("spike"))
        .extracting(Alert::getMessage)
        .singleElement()
        .asString()
        .contains("below");
  }

  @Test
  void shouldRaiseAPlateauWhenALossStopsImprovingForTheConfiguredSteps() {
    h.close();
    h =
        new TopologyHarness(
            MonitorSettings.builder()
                .detectors(
                    DetectorRules.of(DetectorSettings.defaults().withPlateau(true, 100, 0.01)))
                .build());
    h.start("r1");
    for (long s = 0; s < 400; s++) {
      double v = (s < 100 ? 2.0 - 0.01 * s : 1.0) * (1 + 0.01 * random.nextGaussian());
      h.log("r1", s, "loss", v);
    }
    List<Alert> alerts = alertsOf("plateau");
    assertThat(alerts).hasSize(1);
    assertThat(alerts.get(0).getSeverity()).isEqualTo(Severity.INFO);
    assertThat(alerts.get(0).getMessage())
        .contains("loss plateaued: no improvement over 1.0% in 100 steps");
  }

  @Test
  void shouldNotRaiseAPlateauWhileTheLossKeepsImprovingSlowly() {
    h.close();
    h =
        new TopologyHarness(
            MonitorSettings.builder()
                .detectors(
                    DetectorRules.of(DetectorSettings.defaults().withPlateau(true, 100, 0.01)))
                .build());
    h.start("r1");
    for (long s = 0; s < 600; s++) { // 2% better every 100 steps
      h.log("r1", s, "loss", (1.0 - 0.0002 * s) * (1 + 0.002 * random.nextGaussian()));
    }
    assertThat(alertsOf("plateau")).isEmpty();
  }

  @Test
  void shouldJudgeAMetricByTheGoalItWasDefinedWith() {
    h.start("r1");
    h.event("r1", MetricDefined.newBuilder().setName("reward*").setGoal(Goal.MAXIMIZE).build());
    for (long s = 0; s < 200; s++) {
      h.log("r1", s, "reward_mean", 10.0 + 0.1 * random.nextGaussian());
    }
    h.log("r1", 200, "reward_mean", 0.0);
    assertThat(h.stored("r1").getMetrics().get("reward_mean").getGoal()).isEqualTo(Goal.MAXIMIZE);
    assertThat(alertsOf("spike")).hasSize(1);
  }

  @Test
  void shouldNameTheTeamThatOwnsTheTopicsInSummariesAndAlertsWhateverRecordsName() {
    h.close();
    h = new TopologyHarness(TopologyHarness.settings().team("vision").build());
    h.start("r1");
    h.log("r1", 0, "loss", 1.0);
    h.log("r1", 1, "loss", Double.NaN);

    assertThat(alertsOf("non-finite"))
        .singleElement()
        .satisfies(a -> assertThat(a.getEntity()).isEqualTo("vision"));
    assertThat(h.latestSummary("r1").getEntity()).isEqualTo("vision");
  }
}
