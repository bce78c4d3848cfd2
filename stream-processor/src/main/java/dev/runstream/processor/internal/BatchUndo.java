package dev.runstream.processor.internal;

import dev.runstream.processor.internal.RunDetectors.MetricWatch;
import dev.runstream.schemas.avro.MetricAggregate;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.RunSummary;
import java.util.ArrayList;
import java.util.List;

/**
 * What applying one metric batch changes in a run's summary and detector memory, saved before the
 * change so that a record that fails halfway can be undone: its run's state lives in memory until
 * the next commit, so it cannot be read back from the store as it was before the record. Saves into
 * reused scratch objects: no allocation per point once warm. Not thread-safe; one per processor
 * instance.
 */
final class BatchUndo {
  private RunState state;
  private long lastSeenMs;
  private long updatedMs;
  private long lastMetricMs;
  private String entity;
  private String project;
  private long windowHighest;
  private final long[] windowBits = new long[SequenceWindow.SIZE / 64];

  private final List<String> names = new ArrayList<>();
  private final List<MetricAggregate> savedAggs = new ArrayList<>();
  private final List<MetricWatch> savedWatches = new ArrayList<>();
  private final List<Boolean> newAgg = new ArrayList<>();
  private final List<Boolean> newWatch = new ArrayList<>();
  private int n;

  /** Saves the run-level fields a batch changes. */
  void begin(RunSummary summary, RunDetectors det) {
    state = summary.getState();
    lastSeenMs = summary.getLastSeenMs();
    updatedMs = summary.getUpdatedMs();
    lastMetricMs = summary.getLastMetricMs();
    entity = summary.getEntity();
    project = summary.getProject();
    windowHighest = det.window.highest();
    System.arraycopy(det.window.bits(), 0, windowBits, 0, windowBits.length);
    n = 0;
  }

  /**
   * Saves one metric's aggregate and watch before the batch changes them; null for one the batch
   * creates.
   */
  void saveMetric(String name, MetricAggregate agg, MetricWatch watch) {
    if (n == names.size()) {
      names.add(null);
      savedAggs.add(MetricAggregates.empty());
      savedWatches.add(new MetricWatch());
      newAgg.add(Boolean.FALSE);
      newWatch.add(Boolean.FALSE);
    }
    names.set(n, name);
    newAgg.set(n, agg == null);
    newWatch.set(n, watch == null);
    if (agg != null) {
      MetricAggregates.copy(agg, savedAggs.get(n));
    }
    if (watch != null) {
      savedWatches.get(n).copyFrom(watch);
    }
    n++;
  }

  /** Puts back into {@code summary} and {@code det} everything saved since {@link #begin}. */
  void restore(RunSummary summary, RunDetectors det) {
    det.forgetResolved();
    for (int i = n - 1; i >= 0; i--) {
      String name = names.get(i);
      if (newAgg.get(i)) {
        summary.getMetrics().remove(name);
      } else {
        MetricAggregate agg = summary.getMetrics().get(name);
        if (agg != null) {
          MetricAggregates.copy(savedAggs.get(i), agg);
        }
      }
      if (newWatch.get(i)) {
        det.watches.remove(name);
      } else {
        MetricWatch w = det.watches.get(name);
        if (w != null) {
          w.copyFrom(savedWatches.get(i));
        }
      }
    }
    summary.setState(state);
    summary.setLastSeenMs(lastSeenMs);
    summary.setUpdatedMs(updatedMs);
    summary.setLastMetricMs(lastMetricMs);
    summary.setEntity(entity);
    summary.setProject(project);
    det.window.restore(windowHighest, windowBits);
    n = 0;
  }
}
