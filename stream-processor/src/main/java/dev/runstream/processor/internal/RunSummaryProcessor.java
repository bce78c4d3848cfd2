package dev.runstream.processor.internal;

import dev.runstream.schemas.avro.MetricAggregate;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunResumed;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.RunSummary;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps each run's {@link RunSummary} (state and per-metric aggregates) from its lifecycle events
 * and metric batches, and publishes the summaries that changed.
 *
 * <p>Publishing every metric batch's effect would multiply the hot path's volume; instead changed
 * runs are noted in a changelogged store and published by a wall-clock punctuator, so a summary is
 * at most one interval behind, and a state change (start, finish) is published at once. Keeping the
 * "changed" marks in a store, not in memory, means a restart under exactly-once cannot forget to
 * publish an update.
 */
public final class RunSummaryProcessor
    implements Processor<String, SpecificRecord, String, RunSummary> {
  private final String summaryStoreName;
  private final String changedStoreName;
  private final Duration publishInterval;
  private ProcessorContext<String, RunSummary> context;
  private KeyValueStore<String, RunSummary> summaries;
  private KeyValueStore<String, Long> changed;

  public RunSummaryProcessor(
      String summaryStoreName, String changedStoreName, Duration publishInterval) {
    this.summaryStoreName = summaryStoreName;
    this.changedStoreName = changedStoreName;
    this.publishInterval = publishInterval;
  }

  @Override
  public void init(ProcessorContext<String, RunSummary> context) {
    this.context = context;
    this.summaries = context.getStateStore(summaryStoreName);
    this.changed = context.getStateStore(changedStoreName);
    context.schedule(publishInterval, PunctuationType.WALL_CLOCK_TIME, this::publishChanged);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    String runId = record.key();
    if (runId == null || record.value() == null) {
      return;
    }
    long now = context.currentSystemTimeMs();
    if (record.value() instanceof MetricBatch batch) {
      RunSummary summary = summaryOf(runId, batch.getEntity(), batch.getProject(), now);
      addBatch(summary, batch);
      summary.setLastSeenMs(now);
      save(runId, summary, now);
    } else if (record.value() instanceof RunEvent event) {
      RunSummary summary = summaryOf(runId, event.getEntity(), event.getProject(), now);
      RunState before = summary.getState();
      apply(summary, event);
      summary.setLastSeenMs(now);
      save(runId, summary, now);
      if (summary.getState() != before || event.getPayload() instanceof RunStarted) {
        publish(runId, summary, now);
      }
    }
  }

  private RunSummary summaryOf(String runId, String entity, String project, long now) {
    RunSummary summary = summaries.get(runId);
    if (summary == null) {
      summary =
          RunSummary.newBuilder()
              .setRunId(runId)
              .setEntity(entity)
              .setProject(project)
              .setState(RunState.RUNNING)
              .setUpdatedMs(now)
              .setMetrics(new HashMap<>())
              .build();
    }
    if (summary.getEntity().isEmpty()) {
      summary.setEntity(entity);
    }
    if (summary.getProject().isEmpty()) {
      summary.setProject(project);
    }
    return summary;
  }

  private static void addBatch(RunSummary summary, MetricBatch batch) {
    List<String> names = batch.getNames();
    List<Double> values = batch.getValues();
    int n = Math.min(names.size(), values.size());
    for (int i = 0; i < n; i++) {
      MetricAggregate agg =
          summary.getMetrics().computeIfAbsent(names.get(i), k -> MetricAggregates.empty());
      MetricAggregates.add(agg, batch.getStep(), values.get(i), batch.getTimestampMs());
    }
  }

  private static void apply(RunSummary summary, RunEvent event) {
    Object payload = event.getPayload();
    if (payload instanceof RunStarted) {
      summary.setStartedMs(event.getTimestampMs());
      if (summary.getFinishedMs() == null) {
        summary.setState(RunState.RUNNING);
      }
    } else if (payload instanceof RunFinished finished) {
      summary.setFinishedMs(event.getTimestampMs());
      summary.setExitCode(finished.getExitCode());
      summary.setState(finished.getExitCode() == 0 ? RunState.FINISHED : RunState.FAILED);
    } else if (payload instanceof RunResumed) {
      summary.setFinishedMs(null);
      summary.setExitCode(null);
      summary.setState(RunState.RUNNING);
    }
  }

  private void save(String runId, RunSummary summary, long now) {
    summary.setUpdatedMs(now);
    summaries.put(runId, summary);
    changed.put(runId, now);
  }

  private void publish(String runId, RunSummary summary, long now) {
    context.forward(new Record<>(runId, summary, now));
    changed.delete(runId);
  }

  private void publishChanged(long now) {
    List<String> runIds = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = changed.all()) {
      while (it.hasNext()) {
        KeyValue<String, Long> entry = it.next();
        runIds.add(entry.key);
      }
    }
    for (String runId : runIds) {
      RunSummary summary = summaries.get(runId);
      if (summary != null) {
        publish(runId, summary, now);
      } else {
        changed.delete(runId);
      }
    }
  }
}
