package dev.runstream.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.processor.SimulatedCurves.Curve;
import dev.runstream.processor.SimulatedCurves.Label;
import dev.runstream.schemas.avro.Alert;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a few hundred labelled simulated curves through the topology and measures the detectors. For
 * each rule: how many alerts it raised, how many of them were on runs labelled with that rule at or
 * after the labelled step (true), on other anomalous runs after their onset (collateral: e.g. a
 * diverging loss also plateaus), or false (on a healthy run, or before a run's onset); precision is
 * true / alerts; recall is the share of runs of the label that the rule caught; the median
 * detection delay is in steps after the onset (for crashes, in wall-clock time after the run fell
 * silent).
 *
 * <p>Healthy runs must raise nothing, no run may raise anything before its onset, and every
 * diverging, NaN and crashing run must be caught. The table is logged at INFO.
 */
class DetectionQualityTest {
  private static final Logger log = LoggerFactory.getLogger(DetectionQualityTest.class);
  private static final Map<Label, Integer> COUNTS =
      Map.of(
          Label.HEALTHY, 100,
          Label.DIVERGING, 30,
          Label.NAN, 25,
          Label.SPIKING, 25,
          Label.PLATEAUING, 25,
          Label.CRASHING, 25);

  /** Plateau after 200 steps: the default 1000 is longer than these 500-step runs. */
  private static final MonitorSettings SETTINGS =
      MonitorSettings.builder()
          .detectors(
              DetectorRules.of(
                  DetectorSettings.defaults()
                      .withPlateau(true, 200, DetectorSettings.DEFAULT_PLATEAU_EPSILON)))
          .build();

  /** The wall clock advances by this much at a time while the crashing runs are silent. */
  private static final Duration CLOCK_STEP = Duration.ofSeconds(5);

  /** Counts of one rule's raises. */
  private static final class RuleCounts {
    int alerts;
    int truePositives;
    int collateral;
    int falsePositives;
    final Map<Label, Integer> collateralByLabel = new EnumMap<>(Label.class);
  }

  @Test
  @Timeout(120)
  void shouldRaiseNothingOnHealthyRunsAndCatchEveryDivergingAndNanRun() {
    List<Curve> curves = new ArrayList<>();
    // -Drunstream.quality.seed=N draws another population of curves, to check the figures are
    // not a property of one draw only.
    long seed = Long.getLong("runstream.quality.seed", 1);
    for (Label label : Label.values()) {
      for (int i = 0; i < COUNTS.get(label); i++) {
        curves.add(
            SimulatedCurves.generate(
                label.name().toLowerCase(Locale.ROOT) + "-" + i, label, seed++));
      }
    }
    List<Alert> alerts = new ArrayList<>();
    Map<String, Long> crashSeenAfterMs = new HashMap<>();
    try (TopologyHarness h = new TopologyHarness(SETTINGS)) {
      for (Curve c : curves) {
        h.start(c.runId());
        for (int t = 0; t < c.loss().size(); t++) {
          if (t % 30 == 0) {
            h.heartbeat(c.runId());
          }
          h.log(c.runId(), t, Map.of("loss", c.loss().get(t), "lr", c.lr().get(t)));
        }
        if (c.finishes()) {
          h.finish(c.runId(), c.label() == Label.NAN || c.label() == Label.DIVERGING ? 1 : 0);
        }
        alerts.addAll(h.alerts());
      }
      // Every run spoke last at wall-clock time 0; now the crashing runs stay silent.
      for (long ms = 0; ms <= Duration.ofMinutes(11).toMillis(); ms += CLOCK_STEP.toMillis()) {
        h.advance(CLOCK_STEP);
        for (Alert a : h.alerts()) {
          alerts.add(a);
          if (a.getRule().equals(AlertRule.CRASHED.id()) && !a.getResolved()) {
            crashSeenAfterMs.putIfAbsent(a.getRunId(), ms + CLOCK_STEP.toMillis());
          }
        }
      }
    }

    Map<String, Curve> byRun = new HashMap<>();
    curves.forEach(c -> byRun.put(c.runId(), c));
    Map<String, RuleCounts> counts = new TreeMap<>();
    Map<Label, Map<String, Long>> firstDetection = new EnumMap<>(Label.class);
    List<Alert> falseAlerts = new ArrayList<>();
    for (Alert a : alerts) {
      if (a.getResolved()) {
        continue;
      }
      Curve c = byRun.get(a.getRunId());
      boolean crashRule = a.getRule().equals(AlertRule.CRASHED.id());
      // A crashing run just stops: its crash alert is raised after its last step.
      boolean afterOnset =
          c.label() != Label.HEALTHY
              && (crashRule || a.getStep() == null || a.getStep() >= c.onset());
      RuleCounts rc = counts.computeIfAbsent(a.getRule(), k -> new RuleCounts());
      rc.alerts++;
      if (!afterOnset || (crashRule && c.label() != Label.CRASHING)) {
        rc.falsePositives++;
        falseAlerts.add(a);
      } else if (a.getRule().equals(c.label().rule)) {
        rc.truePositives++;
        long delay = crashRule ? crashSeenAfterMs.get(c.runId()) : a.getStep() - c.onset();
        firstDetection
            .computeIfAbsent(c.label(), k -> new HashMap<>())
            .merge(c.runId(), delay, Math::min);
      } else {
        rc.collateral++;
        rc.collateralByLabel.merge(c.label(), 1, Integer::sum);
      }
    }

    StringBuilder table = new StringBuilder();
    table.append(
        String.format(
            Locale.ROOT,
            "%n%-11s %-11s %5s %7s %5s %10s %6s %9s %7s %14s%n",
            "label",
            "rule",
            "runs",
            "alerts",
            "true",
            "collateral",
            "false",
            "precision",
            "recall",
            "median delay"));
    for (Label label : Label.values()) {
      if (label.rule == null) {
        continue;
      }
      RuleCounts rc = counts.getOrDefault(label.rule, new RuleCounts());
      Map<String, Long> detected = firstDetection.getOrDefault(label, Map.of());
      List<Long> delays = new ArrayList<>(detected.values());
      delays.sort(Long::compare);
      String median;
      if (delays.isEmpty()) {
        median = "-";
      } else if (label == Label.CRASHING) {
        median = String.format(Locale.ROOT, "%.1f min", delays.get(delays.size() / 2) / 60_000.0);
      } else {
        median = delays.get(delays.size() / 2) + " steps";
      }
      table.append(
          String.format(
              Locale.ROOT,
              "%-11s %-11s %5d %7d %5d %10d %6d %9.3f %7.3f %14s%n",
              label.name().toLowerCase(Locale.ROOT),
              label.rule,
              COUNTS.get(label),
              rc.alerts,
              rc.truePositives,
              rc.collateral,
              rc.falsePositives,
              rc.alerts == 0 ? 1.0 : (double) rc.truePositives / rc.alerts,
              (double) detected.size() / COUNTS.get(label),
              median));
    }
    for (var e : counts.entrySet()) {
      if (labelOf(e.getKey()) == null) { // a rule no label expects, e.g. stalled
        table.append(
            String.format(
                Locale.ROOT,
                "%-11s %-11s %5s %7d %5s %10d %6d%n",
                "-",
                e.getKey(),
                "-",
                e.getValue().alerts,
                "-",
                e.getValue().collateral,
                e.getValue().falsePositives));
      }
    }
    for (var e : counts.entrySet()) {
      if (!e.getValue().collateralByLabel.isEmpty()) {
        table.append(
            String.format(
                Locale.ROOT,
                "collateral %s alerts by label: %s%n",
                e.getKey(),
                e.getValue().collateralByLabel));
      }
    }
    long onHealthy =
        falseAlerts.stream().filter(a -> byRun.get(a.getRunId()).label() == Label.HEALTHY).count();
    table.append(
        String.format(
            Locale.ROOT,
            "healthy runs: %d, alerts on them: %d; false alerts overall: %d",
            COUNTS.get(Label.HEALTHY),
            onHealthy,
            falseAlerts.size()));
    log.info(
        "detection quality over {} simulated runs (first seed {}):{}",
        curves.size(),
        Long.getLong("runstream.quality.seed", 1),
        table);

    assertThat(onHealthy).as("alerts on healthy runs").isZero();
    assertThat(falseAlerts).as("false alerts (healthy runs, or before the onset)").isEmpty();
    assertThat(firstDetection.getOrDefault(Label.DIVERGING, Map.of()))
        .as("diverging runs caught")
        .hasSize(COUNTS.get(Label.DIVERGING));
    assertThat(firstDetection.getOrDefault(Label.NAN, Map.of()))
        .as("NaN runs caught")
        .hasSize(COUNTS.get(Label.NAN));
    assertThat(firstDetection.getOrDefault(Label.CRASHING, Map.of()))
        .as("crashing runs caught")
        .hasSize(COUNTS.get(Label.CRASHING));
  }

  /** The label whose expected rule is {@code rule}, or null. */
  private static Label labelOf(String rule) {
    for (Label label : Label.values()) {
      if (rule.equals(label.rule)) {
        return label;
      }
    }
    return null;
  }
}
