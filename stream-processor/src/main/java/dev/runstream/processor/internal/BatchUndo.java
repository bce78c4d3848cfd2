package dev.runstream.processor.internal;

import dev.runstream.processor.internal.RunDetectors.MetricWatch;
import dev.runstream.schemas.avro.MetricAggregate;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.RunSummary;
import java.util.Arrays;

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

  // Plain arrays, grown to the largest batch seen: saving runs once per point.
  private String[] names = new String[0];
  private MetricAggregate[] savedAggs = new MetricAggregate[0];
  private MetricWatch[] savedWatches = new MetricWatch[0];
  private boolean[] newAgg = new boolean[0];
  private boolean[] newWatch = new boolean[0];
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
    if (n == names.length) {
      grow();
    }
    names[n] = name;
    newAgg[n] = agg == null;
    newWatch[n] = watch == null;
    if (agg != null) {
      MetricAggregates.copy(agg, savedAggs[n]);
    }
    if (watch != null) {
      savedWatches[n].copyFrom(watch);
    }
    n++;
  }

  private void grow() {
    int size = Math.max(16, names.length * 2);
    names = Arrays.copyOf(names, size);
    newAgg = Arrays.copyOf(newAgg, size);
    newWatch = Arrays.copyOf(newWatch, size);
    savedAggs = Arrays.copyOf(savedAggs, size);
    savedWatches = Arrays.copyOf(savedWatches, size);
    for (int i = n; i < size; i++) {
      savedAggs[i] = MetricAggregates.empty();
      savedWatches[i] = new MetricWatch();
    }
  }

  /** Puts back into {@code summary} and {@code det} everything saved since {@link #begin}. */
  void restore(RunSummary summary, RunDetectors det) {
    det.forgetResolved();
    for (int i = n - 1; i >= 0; i--) {
      String name = names[i];
      if (newAgg[i]) {
        summary.getMetrics().remove(name);
      } else {
        MetricAggregate agg = summary.getMetrics().get(name);
        if (agg != null) {
          MetricAggregates.copy(savedAggs[i], agg);
        }
      }
      if (newWatch[i]) {
        det.watches.remove(name);
      } else {
        MetricWatch w = det.watches.get(name);
        if (w != null) {
          w.copyFrom(savedWatches[i]);
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
