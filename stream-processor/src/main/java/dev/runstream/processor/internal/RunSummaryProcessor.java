package dev.runstream.processor.internal;

import dev.runstream.processor.DetectorSettings;
import dev.runstream.processor.MonitorSettings;
import dev.runstream.processor.internal.RunDetectors.MetricWatch;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.Goal;
import dev.runstream.schemas.avro.Heartbeat;
import dev.runstream.schemas.avro.MetricAggregate;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.MetricDefined;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunResumed;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.RunSummary;
import dev.runstream.schemas.avro.SummaryUpdated;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches every run: keeps its {@link RunSummary} (state and per-metric aggregates) from its
 * lifecycle events and metric batches, runs the detectors on each point, and tracks liveness with a
 * wall-clock punctuator.
 *
 * <p>Publishing every metric batch's effect would multiply the hot path's volume; instead changed
 * runs are noted in a changelogged store and published by a wall-clock punctuator, so a summary is
 * at most one interval behind, and a state change is published at once. Keeping the "changed" marks
 * in a store, not in memory, means a restart under exactly-once cannot forget to publish.
 *
 * <p>Each run's state is read from its stores once and then kept deserialized in memory ({@link
 * StoreCache}); what records change is written to the stores once per commit, when the {@link
 * CommitHook} calls, inside the transaction that commits the records' offsets, and a summary also
 * when it is published. A batch of any size thus costs one lookup of its run and no serialization.
 * A record that fails halfway is undone in memory ({@link BatchUndo}, or copies for the rarer run
 * events) before its exception goes on to the dead-letter handler, as if it never happened.
 *
 * <p>The run lifecycle (running, finished, failed, unresponsive, crashed, stalled, and when a late
 * upload counts as proof of life) is decided by {@link RunLifecycle}; this class feeds it the
 * records and the liveness punctuator's ticks, keeps the stores, and forwards what it returns.
 */
public final class RunSummaryProcessor
    implements Processor<String, SpecificRecord, String, SpecificRecord> {
  private static final Logger log = LoggerFactory.getLogger(RunSummaryProcessor.class);
  private static final int SETTINGS_CACHE_SIZE = 10_000;

  /** Runs whose deserialized state is kept between records; a task rarely sees more at once. */
  private static final int STATE_CACHE_RUNS = 10_000;

  /** The names of the stores and children this processor uses. */
  public record Names(
      String summaryStore,
      String changedStore,
      String livenessStore,
      String detectorStore,
      String commitHookStore,
      String summariesChild,
      String alertsChild) {}

  private final Names names;
  private final MonitorSettings settings;
  private final RunLifecycle lifecycle;
  private final Map<String, DetectorSettings> settingsCache =
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, DetectorSettings> eldest) {
          return size() > SETTINGS_CACHE_SIZE;
        }
      };
  private ProcessorContext<String, SpecificRecord> context;
  private StoreCache<RunSummary> summaries;
  private StoreCache<Long> changed;
  private StoreCache<RunLiveness> liveness;
  private StoreCache<RunDetectors> detectors;
  private final BatchUndo undo = new BatchUndo();
  private long activeSinceMs;
  private long replaysIgnored;
  private long runsExpired;

  public RunSummaryProcessor(Names names, MonitorSettings settings) {
    this.names = Objects.requireNonNull(names, "names");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.lifecycle = new RunLifecycle(settings);
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    // Called again when a task is revived after its stores were wiped and restored (a dirty close
    // under exactly-once): fresh caches, so nothing from before the restore is read.
    this.summaries =
        new StoreCache<>(context.getStateStore(names.summaryStore()), STATE_CACHE_RUNS);
    this.changed = new StoreCache<>(context.getStateStore(names.changedStore()), STATE_CACHE_RUNS);
    this.liveness =
        new StoreCache<>(context.getStateStore(names.livenessStore()), STATE_CACHE_RUNS);
    this.detectors =
        new StoreCache<>(context.getStateStore(names.detectorStore()), STATE_CACHE_RUNS);
    CommitHook hook = context.getStateStore(names.commitHookStore());
    hook.listen(this::writeDirty);
    this.activeSinceMs = context.currentSystemTimeMs();
    context.schedule(
        settings.publishInterval(), PunctuationType.WALL_CLOCK_TIME, this::publishChanged);
    context.schedule(
        settings.livenessCheckInterval(), PunctuationType.WALL_CLOCK_TIME, this::checkLiveness);
  }

  /**
   * Applies one record of the runs or metrics topic.
   *
   * @throws RejectedRecordException before any state changes, for a record that cannot be applied
   *     (the processing exception handler sends it to the dead-letter topic)
   */
  @Override
  public void process(Record<String, SpecificRecord> record) {
    RejectedRecordException.check(record.key(), record.value());
    String runId = record.key();
    long now = context.currentSystemTimeMs();
    String team = settings.team().orElse(null);
    if (record.value() instanceof MetricBatch batch) {
      if (team != null) {
        batch.setEntity(team);
      }
      processBatch(runId, batch, record.timestamp(), now);
    } else if (record.value() instanceof RunEvent event) {
      if (team != null) {
        event.setEntity(team);
      }
      processEvent(runId, event, record.timestamp(), now);
    }
  }

  /** Writes what changed since the last commit to the stores; the {@link CommitHook} calls it. */
  private void writeDirty() {
    summaries.writeDirty();
    changed.writeDirty();
    liveness.writeDirty();
    detectors.writeDirty();
  }

  @Override
  public void close() {
    if (summaries != null) {
      summaries.clear();
      changed.clear();
      liveness.clear();
      detectors.clear();
    }
  }

  /**
   * Puts a run's state back as it was before a record that failed: the given objects (restored in
   * place, or copies), or nothing where the run had none.
   */
  private void restore(
      String runId, RunSummary summary, RunDetectors det, RunLiveness live, Long changedMark) {
    if (summary == null) {
      summaries.delete(runId);
    } else {
      summaries.put(runId, summary);
    }
    if (det == null) {
      detectors.delete(runId);
    } else {
      detectors.put(runId, det);
    }
    if (live == null) {
      liveness.delete(runId);
    } else {
      liveness.put(runId, live);
    }
    if (changedMark == null) {
      changed.delete(runId);
    } else {
      changed.put(runId, changedMark);
    }
  }

  private void processBatch(String runId, MetricBatch batch, long sentMs, long now) {
    RunDetectors storedDet = detectors.get(runId);
    RunSummary storedSummary = summaries.get(runId);
    RunLiveness liveBefore = liveness.get(runId);
    Long changedBefore = changed.get(runId);
    RunDetectors det = storedDet == null ? new RunDetectors() : storedDet;
    RunSummary summary =
        summaryOf(runId, storedSummary, batch.getEntity(), batch.getProject(), now);
    undo.begin(summary, det);
    try {
      applyBatch(runId, batch, sentMs, now, det, summary, liveBefore);
    } catch (RuntimeException e) {
      // The run's state since the last commit lives only in these objects: undo the record's
      // changes in them, as the record that failed never happened.
      if (storedSummary != null) {
        undo.restore(storedSummary, det);
      }
      restore(runId, storedSummary, storedDet, liveBefore, changedBefore);
      throw e;
    }
  }

  private void applyBatch(
      String runId,
      MetricBatch batch,
      long sentMs,
      long now,
      RunDetectors det,
      RunSummary summary,
      RunLiveness liveBefore) {
    boolean fresh = det.window.markNew(batch.getSequence());
    // A replay still proves the SDK is alive (it is draining its spill).
    RunLifecycle.Transition t =
        lifecycle.onRecord(
            liveBefore,
            new RunLifecycle.Heard(
                runId,
                batch.getEntity(),
                batch.getProject(),
                batch.getTimestampMs(),
                sentMs,
                new RunLifecycle.Metrics(batch.getStep(), fresh)),
            now);
    if (fresh) {
      addBatch(runId, t.next(), det, summary, batch);
      summary.setLastMetricMs(now);
    } else {
      replaysIgnored++;
      log.debug(
          "ignoring replayed metric batch of run {} (sequence {}, {} replays so far)",
          runId,
          batch.getSequence(),
          replaysIgnored);
    }
    apply(runId, t, summary, det, now);
  }

  private void processEvent(String runId, RunEvent event, long sentMs, long now) {
    RunDetectors storedDet = detectors.get(runId);
    RunSummary storedSummary = summaries.get(runId);
    RunLiveness liveBefore = liveness.get(runId);
    Long changedBefore = changed.get(runId);
    // Run events are rare: copies are a cheap enough way to undo one that fails halfway.
    RunDetectors detCopy =
        storedDet == null ? null : RunDetectors.read(RunDetectors.write(storedDet));
    RunSummary summaryCopy =
        storedSummary == null ? null : RunSummary.newBuilder(storedSummary).build();
    RunDetectors det = storedDet == null ? new RunDetectors() : storedDet;
    RunSummary summary =
        summaryOf(runId, storedSummary, event.getEntity(), event.getProject(), now);
    try {
      applyEvent(runId, event, sentMs, now, det, summary, liveBefore);
    } catch (RuntimeException e) {
      restore(runId, summaryCopy, detCopy, liveBefore, changedBefore);
      throw e;
    }
  }

  private void applyEvent(
      String runId,
      RunEvent event,
      long sentMs,
      long now,
      RunDetectors det,
      RunSummary summary,
      RunLiveness liveBefore) {
    Object payload = event.getPayload();
    RunLifecycle.Signal signal = new RunLifecycle.Other();
    if (payload instanceof RunStarted started) {
      summary.setStartedMs(event.getTimestampMs());
      summary.setName(started.getName());
      signal = new RunLifecycle.Started(started.getName());
    } else if (payload instanceof RunFinished finished) {
      summary.setFinishedMs(event.getTimestampMs());
      summary.setExitCode(finished.getExitCode());
      signal = new RunLifecycle.Finished(finished.getExitCode(), finished.getLastStep());
    } else if (payload instanceof RunResumed) {
      summary.setFinishedMs(null);
      summary.setExitCode(null);
      // The SDK continues a resumed run's sequences above everything that reached Kafka, so the
      // window keeps catching the old process's records that the new one sends again. A resume
      // that numbers from a lower sequence (it could not learn where the run left off) would have
      // its new records taken for replays: forget the old numbering then.
      if (event.getSequence() <= det.window.highest()) {
        det.window.reset();
      }
      signal = new RunLifecycle.Resumed();
    } else if (payload instanceof Heartbeat heartbeat) {
      summary.setLastHeartbeatMs(now);
      signal = new RunLifecycle.Heartbeat(heartbeat.getLastStep());
    } else if (payload instanceof MetricDefined defined) {
      define(det, summary, defined);
    } else if (payload instanceof SummaryUpdated updated) {
      summary.setSummaryJson(updated.getSummaryJson());
    }
    RunLifecycle.Transition t =
        lifecycle.onRecord(
            liveBefore,
            new RunLifecycle.Heard(
                runId,
                event.getEntity(),
                event.getProject(),
                event.getTimestampMs(),
                sentMs,
                signal),
            now);
    apply(runId, t, summary, det, now);
  }

  /** Saves what a record changed and sends what its transition emits. */
  private void apply(
      String runId, RunLifecycle.Transition t, RunSummary summary, RunDetectors det, long now) {
    RunLiveness live = t.next();
    logStateChange(runId, summary.getState(), live.state);
    summary.setState(live.state);
    summary.setLastSeenMs(live.lastSeenMs);
    t.alerts().forEach(this::forwardAlert);
    summary.setUpdatedMs(now);
    summaries.put(runId, summary);
    liveness.put(runId, live);
    detectors.put(runId, det);
    if (changed.get(runId) == null) {
      changed.put(runId, now);
    }
    if (t.publish()) {
      publish(runId, summary, now);
    }
  }

  private static void logStateChange(String runId, RunState before, RunState after) {
    if (before == after) {
      return;
    }
    if (after == RunState.RUNNING
        && (before == RunState.UNRESPONSIVE || before == RunState.CRASHED)) {
      log.info("run {} speaks again after being {}; running", runId, before);
    } else {
      log.debug("run {} is {} (was {})", runId, after, before);
    }
  }

  private void define(RunDetectors det, RunSummary summary, MetricDefined defined) {
    if (defined.getGoal() == Goal.NONE) {
      return; // a definition without a goal keeps the inferred one, as W&B does
    }
    det.declaredGoals.put(defined.getName(), defined.getGoal());
    Pattern pattern = Glob.pattern(defined.getName());
    for (var e : summary.getMetrics().entrySet()) {
      if (pattern.matcher(e.getKey()).matches() && e.getValue().getGoal() != defined.getGoal()) {
        MetricAggregates.setGoal(e.getValue(), defined.getGoal());
      }
    }
  }

  private void addBatch(
      String runId, RunLiveness live, RunDetectors det, RunSummary summary, MetricBatch batch) {
    List<String> metricNames = batch.getNames();
    List<Double> values = batch.getValues();
    int n = Math.min(metricNames.size(), values.size());
    long step = batch.getStep();
    long timestampMs = batch.getTimestampMs();
    double alpha = settings.emaAlpha();
    Map<String, MetricAggregate> aggregates = summary.getMetrics();
    MetricBatchDeserializer.Values unboxed =
        values instanceof MetricBatchDeserializer.Values v ? v : null;
    // One receiver of the batch's alerts, not one per point.
    Detectors.Out out =
        (rule, m, alertStep, v, baseline, episode, resolved, message) ->
            forwardAlert(
                Alert.newBuilder()
                    .setRunId(runId)
                    .setEntity(live.entity)
                    .setProject(live.project)
                    .setTimestampMs(timestampMs)
                    .setRule(rule.id())
                    .setSeverity(rule.severity())
                    .setTitle(RunLifecycle.title(rule, m, resolved, runId, live))
                    .setMessage(message)
                    .setMetric(m)
                    .setStep(alertStep)
                    .setValue(v)
                    .setBaseline(baseline)
                    .setEpisodeId(episode)
                    .setResolved(resolved)
                    .build());
    boolean resolved = det.resolvedIn == aggregates && sameNames(det.resolvedNames, metricNames, n);
    if (!resolved) {
      det.forgetResolved();
    }
    MetricAggregate[] resolvedAggs = resolved ? det.resolvedAggregates : new MetricAggregate[n];
    MetricWatch[] resolvedWatches = resolved ? det.resolvedWatches : new MetricWatch[n];
    for (int i = 0; i < n; i++) {
      String metric = metricNames.get(i);
      double value = unboxed != null ? unboxed.getDouble(i) : values.get(i);
      MetricAggregate agg = resolved ? resolvedAggs[i] : aggregates.get(metric);
      MetricWatch watch = resolved ? resolvedWatches[i] : det.watches.get(metric);
      undo.saveMetric(metric, agg, watch);
      if (agg == null) {
        agg = MetricAggregates.empty(goalOf(det, metric));
        aggregates.put(metric, agg);
      }
      if (watch == null) {
        watch = new MetricWatch();
        det.watches.put(metric, watch);
      }
      resolvedAggs[i] = agg;
      resolvedWatches[i] = watch;
      double emaBefore = agg.getEma();
      double varBefore = agg.getEmVar();
      long finiteBefore = agg.getFiniteCount();
      MetricAggregates.add(agg, step, value, timestampMs, alpha);
      if (watch.settings == null || !live.project.equals(watch.settingsProject)) {
        watch.settings = settingsFor(live.project, metric);
        watch.settingsProject = live.project;
      }
      Detectors.observe(
          runId,
          watch.settings,
          metric,
          agg,
          watch,
          emaBefore,
          varBefore,
          finiteBefore,
          step,
          value,
          alpha,
          out);
    }
    if (!resolved) {
      det.resolvedNames = metricNames;
      det.resolvedIn = aggregates;
      det.resolvedAggregates = resolvedAggs;
      det.resolvedWatches = resolvedWatches;
    }
  }

  private static boolean sameNames(List<String> previous, List<String> names, int n) {
    if (previous == names) {
      // The deserializer returns a run's previous list when the names are the same.
      return names.size() == n;
    }
    if (previous == null || previous.size() != n || names.size() != n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (!previous.get(i).equals(names.get(i))) {
        return false;
      }
    }
    return true;
  }

  private static Goal goalOf(RunDetectors det, String metric) {
    Goal exact = det.declaredGoals.get(metric);
    if (exact != null) {
      return exact;
    }
    for (var e : det.declaredGoals.entrySet()) {
      if (Glob.pattern(e.getKey()).matcher(metric).matches()) {
        return e.getValue();
      }
    }
    return MetricAggregates.inferGoal(metric);
  }

  private DetectorSettings settingsFor(String project, String metric) {
    return settingsCache.computeIfAbsent(
        project + '\u0000' + metric, k -> settings.detectors().resolve(project, metric));
  }

  private void checkLiveness(long now) {
    List<KeyValue<String, RunLiveness>> runs = new ArrayList<>();
    try (KeyValueIterator<String, RunLiveness> it = liveness.store().all()) {
      while (it.hasNext()) {
        runs.add(it.next());
      }
    }
    for (KeyValue<String, RunLiveness> entry : runs) {
      String runId = entry.key;
      RunLifecycle.Transition t = lifecycle.onCheck(runId, entry.value, now, activeSinceMs);
      if (t.expire()) {
        expire(runId);
        continue;
      }
      if (t.publish()) {
        logStateChange(runId, entry.value.state, t.next().state);
        RunSummary summary = summaries.get(runId);
        if (summary != null) {
          summary.setState(t.next().state);
          summary.setUpdatedMs(now);
          summaries.put(runId, summary);
          publish(runId, summary, now);
        }
      }
      t.alerts().forEach(this::forwardAlert);
      if (t.changed()) {
        liveness.put(runId, t.next());
      }
    }
  }

  private void expire(String runId) {
    summaries.delete(runId);
    changed.delete(runId);
    liveness.delete(runId);
    detectors.delete(runId);
    runsExpired++;
    log.debug("expired the state of run {} ({} runs expired by this task)", runId, runsExpired);
  }

  private void forwardAlert(Alert alert) {
    log.debug("alert {}", alert.getMessage());
    context.forward(
        new Record<>(alert.getRunId(), alert, alert.getTimestampMs()), names.alertsChild());
  }

  private static RunSummary summaryOf(
      String runId, RunSummary stored, String entity, String project, long now) {
    RunSummary summary = stored;
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

  private void publish(String runId, RunSummary summary, long now) {
    context.forward(new Record<>(runId, summary, now), names.summariesChild());
    // What is published is also written to the store at once (a few times per second and run, not
    // per record): its changelog then follows the published summaries within each transaction.
    summaries.write(runId);
    changed.delete(runId);
  }

  private void publishChanged(long now) {
    List<String> runIds = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = changed.store().all()) {
      while (it.hasNext()) {
        runIds.add(it.next().key);
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
