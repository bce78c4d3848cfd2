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
 * Runs a few hundred labelled simulated curves through the topology and measures the detectors:
 * precision and recall per rule and the median detection delay in steps. Healthy runs must raise
 * nothing; every diverging and NaN run must be caught.
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

  @Test
  @Timeout(60)
  void shouldRaiseNothingOnHealthyRunsAndCatchEveryDivergingAndNanRun() {
    List<Curve> curves = new ArrayList<>();
    long seed = 1;
    for (Label label : Label.values()) {
      for (int i = 0; i < COUNTS.get(label); i++) {
        curves.add(
            SimulatedCurves.generate(
                label.name().toLowerCase(Locale.ROOT) + "-" + i, label, seed++));
      }
    }
    List<Alert> alerts = new ArrayList<>();
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
      h.advance(Duration.ofMinutes(11)); // the crashing runs fall silent
      alerts.addAll(h.alerts());
    }

    Map<String, Curve> byRun = new HashMap<>();
    curves.forEach(c -> byRun.put(c.runId(), c));
    Map<String, int[]> precision = new TreeMap<>(); // rule -> {true, false}
    Map<Label, Map<String, Long>> firstDetection = new EnumMap<>(Label.class);
    List<Alert> falseAlerts = new ArrayList<>();
    for (Alert a : alerts) {
      if (a.getResolved()) {
        continue;
      }
      Curve c = byRun.get(a.getRunId());
      boolean crashRule = a.getRule().equals("crashed");
      boolean after =
          c.label() != Label.HEALTHY
              && (crashRule ? c.label() == Label.CRASHING : a.getStep() >= c.onset());
      precision.computeIfAbsent(a.getRule(), k -> new int[2])[after ? 0 : 1]++;
      if (!after) {
        falseAlerts.add(a);
      }
      if (after && a.getRule().equals(c.label().rule)) {
        long delay = crashRule ? 0 : a.getStep() - c.onset();
        firstDetection
            .computeIfAbsent(c.label(), k -> new HashMap<>())
            .merge(c.runId(), delay, Math::min);
      }
    }

    StringBuilder table = new StringBuilder();
    table.append(
        String.format(
            Locale.ROOT,
            "%n%-11s %-11s %5s %9s %9s %9s %16s%n",
            "label",
            "rule",
            "runs",
            "alerts",
            "precision",
            "recall",
            "median delay"));
    for (Label label : Label.values()) {
      if (label.rule == null) {
        continue;
      }
      int[] p = precision.getOrDefault(label.rule, new int[2]);
      Map<String, Long> detected = firstDetection.getOrDefault(label, Map.of());
      List<Long> delays = new ArrayList<>(detected.values());
      delays.sort(Long::compare);
      String median =
          label == Label.CRASHING
              ? "10 min (timeout)"
              : delays.isEmpty() ? "-" : delays.get(delays.size() / 2) + " steps";
      table.append(
          String.format(
              Locale.ROOT,
              "%-11s %-11s %5d %9d %9.3f %9.3f %16s%n",
              label.name().toLowerCase(Locale.ROOT),
              label.rule,
              COUNTS.get(label),
              p[0] + p[1],
              p[0] + p[1] == 0 ? 1.0 : (double) p[0] / (p[0] + p[1]),
              (double) detected.size() / COUNTS.get(label),
              median));
    }
    table.append(
        String.format(
            Locale.ROOT,
            "healthy runs: %d, alerts on them: %d; false alerts overall: %d",
            COUNTS.get(Label.HEALTHY),
            falseAlerts.stream()
                .filter(a -> byRun.get(a.getRunId()).label() == Label.HEALTHY)
                .count(),
            falseAlerts.size()));
    log.info("detection quality over {} simulated runs:{}", curves.size(), table);

    assertThat(falseAlerts).as("false alerts").isEmpty();
    assertThat(firstDetection.getOrDefault(Label.DIVERGING, Map.of()))
        .hasSize(COUNTS.get(Label.DIVERGING));
    assertThat(firstDetection.getOrDefault(Label.NAN, Map.of())).hasSize(COUNTS.get(Label.NAN));
    assertThat(firstDetection.getOrDefault(Label.CRASHING, Map.of()))
        .hasSize(COUNTS.get(Label.CRASHING));
  }
}
