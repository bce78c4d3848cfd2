package dev.runstream.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.processor.internal.RunDetectors.MetricWatch;
import dev.runstream.schemas.avro.Goal;
import dev.runstream.schemas.avro.MetricAggregate;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.RunSummary;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BatchUndoTest {
  private static RunSummary summary() {
    Map<String, MetricAggregate> metrics = new HashMap<>();
    for (String name : new String[] {"loss", "acc"}) {
      MetricAggregate agg = MetricAggregates.empty(MetricAggregates.inferGoal(name));
      for (int step = 0; step < 5; step++) {
        MetricAggregates.add(agg, step, 1.0 / (step + 1), 1000L * step, 0.1);
      }
      metrics.put(name, agg);
    }
    return RunSummary.newBuilder()
        .setRunId("r1")
        .setEntity("")
        .setProject("p")
        .setState(RunState.UNRESPONSIVE)
        .setUpdatedMs(5)
        .setLastSeenMs(6)
        .setLastMetricMs(7)
        .setMetrics(metrics)
        .build();
  }

  private static RunDetectors detectors() {
    RunDetectors det = new RunDetectors();
    det.window.markNew(3);
    det.window.markNew(5);
    MetricWatch w = new MetricWatch();
    w.finitePoints = 5;
    w.bestEma = 0.2;
    w.over = 2;
    w.divergenceEpisode = "r1/divergence/loss/4";
    det.watches.put("loss", w);
    det.watches.put("acc", new MetricWatch());
    return det;
  }

  private static String content(RunSummary s) {
    RunSummary copy = RunSummary.newBuilder(s).build();
    copy.setMetrics(new TreeMap<>(s.getMetrics()));
    return copy.toString();
  }

  @Test
  void shouldPutBackEveryFieldABatchChangedAndRemoveWhatItCreated() {
    RunSummary summary = summary();
    RunDetectors det = detectors();
    String summaryBefore = content(summary);
    byte[] detBefore = RunDetectors.write(det);
    BatchUndo undo = new BatchUndo();

    undo.begin(summary, det);
    det.window.markNew(9);
    for (String name : new String[] {"loss", "acc", "new"}) {
      MetricAggregate agg = summary.getMetrics().get(name);
      MetricWatch watch = det.watches.get(name);
      undo.saveMetric(name, agg, watch);
      if (agg == null) {
        agg = MetricAggregates.empty(Goal.NONE);
        summary.getMetrics().put(name, agg);
      }
      if (watch == null) {
        watch = new MetricWatch();
        det.watches.put(name, watch);
      }
      MetricAggregates.add(agg, 9, Double.NaN, 9000, 0.1);
      MetricAggregates.add(agg, 2, -3.0, 9000, 0.1);
      MetricAggregates.setGoal(agg, Goal.MAXIMIZE);
      watch.finitePoints++;
      watch.divergenceEpisode = null;
      watch.plateauEpisode = "r1/plateau/" + name + "/9";
    }
    summary.setState(RunState.RUNNING);
    summary.setLastSeenMs(60);
    summary.setUpdatedMs(50);
    summary.setLastMetricMs(70);
    summary.setEntity("team");
    det.resolvedNames = java.util.List.of("loss");
    assertThat(content(summary)).isNotEqualTo(summaryBefore);

    undo.restore(summary, det);

    assertThat(content(summary)).isEqualTo(summaryBefore);
    assertThat(RunDetectors.write(det)).isEqualTo(detBefore);
    assertThat(det.resolvedNames).as("resolved metrics forgotten").isNull();
  }

  @Test
  void shouldCopyEveryFieldOfAnAggregate() {
    MetricAggregate from = summary().getMetrics().get("loss");
    MetricAggregate to = MetricAggregates.empty(Goal.MAXIMIZE);

    MetricAggregates.copy(from, to);

    assertThat(to).isEqualTo(from);
  }
}
