package dev.runstream.processor.internal;

import dev.runstream.processor.AlertRule;
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
import org.apache.kafka.streams.state.KeyValueStore;
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
 * <p>Run state machine (wall clock of this processor, so it works without traffic):
 *
 * <pre>
 *   (any record) ──► RUNNING ──finish(0)──► FINISHED      finish(≠0) ──► FAILED
 *                      │  ▲ any record            resume ──► RUNNING
 *        silent ≥ unresponsiveAfter
 *                      ▼  │
 *                 UNRESPONSIVE ──silent ≥ crashedAfter──► CRASHED (critical alert)
 *                                 any record ──► RUNNING, crash alert resolved
 * </pre>
 *
 * Silence is measured from the later of the run's last record and this task's start, so a processor
 * that was down for a while does not declare every run crashed before it has read the records that
 * waited for it.
 */
public final class RunSummaryProcessor
    implements Processor<String, SpecificRecord, String, SpecificRecord> {
  private static final Logger log = LoggerFactory.getLogger(RunSummaryProcessor.class);
  private static final int SETTINGS_CACHE_SIZE = 10_000;

  /** The names of the stores and children this processor uses. */
  public record Names(
      String summaryStore,
      String changedStore,
      String livenessStore,
      String detectorStore,
      String summariesChild,
      String alertsChild) {}

  private final Names names;
  private final MonitorSettings settings;
  private final Map<String, DetectorSettings> settingsCache =
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, DetectorSettings> eldest) {
          return size() > SETTINGS_CACHE_SIZE;
        }
      };
  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, RunSummary> summaries;
  private KeyValueStore<String, Long> changed;
  private KeyValueStore<String, RunLiveness> liveness;
  private KeyValueStore<String, RunDetectors> detectors;
  private long activeSinceMs;
  private long replaysIgnored;
  private long runsExpired;

  public RunSummaryProcessor(Names names, MonitorSettings settings) {
    this.names = Objects.requireNonNull(names, "names");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.summaries = context.getStateStore(names.summaryStore());
    this.changed = context.getStateStore(names.changedStore());
    this.liveness = context.getStateStore(names.livenessStore());
    this.detectors = context.getStateStore(names.detectorStore());
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
      processBatch(runId, batch, now, lateUpload(record, batch.getTimestampMs()));
    } else if (record.value() instanceof RunEvent event) {
      if (team != null) {
        event.setEntity(team);
      }
      processEvent(runId, event, now, lateUpload(record, event.getTimestampMs()));
    }
  }

  /**
   * Whether a record was sent to Kafka at least the crash timeout after it happened: an upload of a
   * run directory ({@code runstream sync}) after the run died, not a sign that it lives. Both times
   * come from the clock of the SDK's host (the record's timestamp is when its producer sent it), so
   * a skewed clock there cannot make a live run's records look late.
   */
  private boolean lateUpload(Record<String, SpecificRecord> record, long happenedMs) {
    return record.timestamp() - happenedMs >= settings.crashedAfter().toMillis();
  }

  private void processBatch(String runId, MetricBatch batch, long now, boolean lateUpload) {
    RunLiveness live = livenessOf(runId, batch.getEntity(), batch.getProject(), now);
    RunDetectors det = detectorsOf(runId);
    RunSummary summary = summaryOf(runId, batch.getEntity(), batch.getProject(), now);
    RunState before = summary.getState();
    boolean fresh = det.window.markNew(batch.getSequence());
    if (fresh) {
      addBatch(runId, live, det, summary, batch);
      summary.setLastMetricMs(now);
      live.lastMetricMs = now;
      live.hasMetrics = true;
      live.lastStep = Math.max(live.lastStep, batch.getStep());
      if (live.stalledEpisode != null) {
        emitRunAlert(
            runId,
            live,
            AlertRule.STALLED,
            live.stalledEpisode,
            true,
            "metrics arrive again at step " + batch.getStep(),
            now);
        live.stalledEpisode = null;
      }
    } else {
      replaysIgnored++;
      log.debug(
          "ignoring replayed metric batch of run {} (sequence {}, {} replays so far)",
          runId,
          batch.getSequence(),
          replaysIgnored);
    }
    // A replay still proves the SDK is alive (it is draining its spill).
    heard(runId, live, summary, now, lateUpload);
    save(runId, summary, live, det, now);
    if (summary.getState() != before) {
      publish(runId, summary, now);
    }
  }

  private void processEvent(String runId, RunEvent event, long now, boolean lateUpload) {
    RunLiveness live = livenessOf(runId, event.getEntity(), event.getProject(), now);
    RunDetectors det = detectorsOf(runId);
    RunSummary summary = summaryOf(runId, event.getEntity(), event.getProject(), now);
    RunState before = summary.getState();
    Object payload = event.getPayload();
    if (payload instanceof RunStarted started) {
      summary.setStartedMs(event.getTimestampMs());
      summary.setName(started.getName());
      live.name = started.getName();
      if (summary.getFinishedMs() == null) {
        summary.setState(RunState.RUNNING);
      }
    } else if (payload instanceof RunFinished finished) {
      summary.setFinishedMs(event.getTimestampMs());
      summary.setExitCode(finished.getExitCode());
      summary.setState(finished.getExitCode() == 0 ? RunState.FINISHED : RunState.FAILED);
      if (finished.getLastStep() >= 0) {
        live.lastStep = Math.max(live.lastStep, finished.getLastStep());
      }
      if (live.stalledEpisode != null) {
        emitRunAlert(
            runId, live, AlertRule.STALLED, live.stalledEpisode, true, "the run finished", now);
        live.stalledEpisode = null;
      }
    } else if (payload instanceof RunResumed) {
      summary.setFinishedMs(null);
      summary.setExitCode(null);
      summary.setState(RunState.RUNNING);
      // The SDK continues a resumed run's sequences above everything that reached Kafka, so the
      // window keeps catching the old process's records that the new one sends again. A resume
      // that numbers from a lower sequence (it could not learn where the run left off) would have
      // its new records taken for replays: forget the old numbering then.
      if (event.getSequence() <= det.window.highest()) {
        det.window.reset();
      }
    } else if (payload instanceof Heartbeat heartbeat) {
      summary.setLastHeartbeatMs(now);
      live.lastStep = Math.max(live.lastStep, heartbeat.getLastStep());
    } else if (payload instanceof MetricDefined defined) {
      define(det, summary, defined);
    } else if (payload instanceof SummaryUpdated updated) {
      summary.setSummaryJson(updated.getSummaryJson());
    }
    heard(runId, live, summary, now, lateUpload);
    save(runId, summary, live, det, now);
    if (summary.getState() != before || payload instanceof RunStarted) {
      publish(runId, summary, now);
    }
  }

  /**
   * The run spoke: it is alive, whatever the punctuator concluded from its silence; unless it is
   * crashed and this is a late upload, whose points count but which would only revive the run until
   * the crash timeout called it crashed, and alerted, once more.
   */
  private void heard(
      String runId, RunLiveness live, RunSummary summary, long now, boolean lateUpload) {
    if (lateUpload && summary.getState() == RunState.CRASHED) {
      return;
    }
    live.lastSeenMs = now;
    summary.setLastSeenMs(now);
    if (summary.getState() == RunState.UNRESPONSIVE || summary.getState() == RunState.CRASHED) {
      log.info("run {} speaks again after being {}; running", runId, summary.getState());
      summary.setState(RunState.RUNNING);
    }
    live.state = summary.getState();
    if (live.crashedEpisode != null && live.state != RunState.CRASHED) {
      emitRunAlert(
          runId,
          live,
          AlertRule.CRASHED,
          live.crashedEpisode,
          true,
          "run " + display(runId, live) + " is alive again (" + live.state + ")",
          now);
      live.crashedEpisode = null;
    }
  }

  private void define(RunDetectors det, RunSummary summary, MetricDefined defined) {
    if (defined.getGoal() == Goal.NONE) {
      return; // a definition without a goal keeps the inferred one, as W&B does
    }
    det.declaredGoals.put(defined.getName(), defined.getGoal());
    Pattern pattern = globOrName(defined.getName());
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
    for (int i = 0; i < n; i++) {
      String metric = metricNames.get(i);
      double value = values.get(i);
      MetricAggregate agg =
          summary.getMetrics().computeIfAbsent(metric, k -> MetricAggregates.empty(goalOf(det, k)));
      double emaBefore = agg.getEma();
      double varBefore = agg.getEmVar();
      long finiteBefore = agg.getFiniteCount();
      MetricAggregates.add(
          agg, batch.getStep(), value, batch.getTimestampMs(), settings.emaAlpha());
      MetricWatch watch = det.watches.computeIfAbsent(metric, k -> new MetricWatch());
      Detectors.observe(
          runId,
          settingsFor(live.project, metric),
          metric,
          agg,
          watch,
          emaBefore,
          varBefore,
          finiteBefore,
          batch.getStep(),
          value,
          settings.emaAlpha(),
          (rule, m, step, v, baseline, episode, resolved, message) ->
              forwardAlert(
                  runId,
                  Alert.newBuilder()
                      .setRunId(runId)
                      .setEntity(live.entity)
                      .setProject(live.project)
                      .setTimestampMs(batch.getTimestampMs())
                      .setRule(rule.id())
                      .setSeverity(rule.severity())
                      .setTitle(title(rule, m, resolved, runId, live))
                      .setMessage(message)
                      .setMetric(m)
                      .setStep(step)
                      .setValue(v)
                      .setBaseline(baseline)
                      .setEpisodeId(episode)
                      .setResolved(resolved)
                      .build()));
    }
  }

  private static Goal goalOf(RunDetectors det, String metric) {
    Goal exact = det.declaredGoals.get(metric);
    if (exact != null) {
      return exact;
    }
    for (var e : det.declaredGoals.entrySet()) {
      if (globOrName(e.getKey()).matcher(metric).matches()) {
        return e.getValue();
      }
    }
    return MetricAggregates.inferGoal(metric);
  }

  private static Pattern globOrName(String name) {
    if (name.indexOf('*') < 0 && name.indexOf('?') < 0) {
      return Pattern.compile(Pattern.quote(name));
    }
    StringBuilder regex = new StringBuilder();
    for (char c : name.toCharArray()) {
      switch (c) {
        case '*' -> regex.append(".*");
        case '?' -> regex.append('.');
        default -> regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(regex.toString());
  }

  private DetectorSettings settingsFor(String project, String metric) {
    return settingsCache.computeIfAbsent(
        project + '\u0000' + metric, k -> settings.detectors().resolve(project, metric));
  }

  private void checkLiveness(long now) {
    List<KeyValue<String, RunLiveness>> runs = new ArrayList<>();
    try (KeyValueIterator<String, RunLiveness> it = liveness.all()) {
      while (it.hasNext()) {
        runs.add(it.next());
      }
    }
    long unresponsiveMs = settings.unresponsiveAfter().toMillis();
    long crashedMs = settings.crashedAfter().toMillis();
    long stalledMs = settings.stalledAfter().toMillis();
    for (KeyValue<String, RunLiveness> entry : runs) {
      String runId = entry.key;
      RunLiveness live = entry.value;
      if (live.ended()) {
        if (now - live.lastSeenMs >= settings.stateRetention().toMillis()) {
          expire(runId);
          continue;
        }
        if (live.state != RunState.CRASHED) {
          continue;
        }
      }
      long silence = now - Math.max(live.lastSeenMs, activeSinceMs);
      if (live.state != RunState.CRASHED && silence >= crashedMs) {
        changeState(runId, live, RunState.CRASHED, now);
        if (live.stalledEpisode != null) {
          emitRunAlert(
              runId,
              live,
              AlertRule.STALLED,
              live.stalledEpisode,
              true,
              "superseded: the run crashed",
              now);
          live.stalledEpisode = null;
        }
        live.crashedEpisode = Detectors.episode(runId, AlertRule.CRASHED, null, live.lastSeenMs);
        emitRunAlert(
            runId,
            live,
            AlertRule.CRASHED,
            live.crashedEpisode,
            false,
            "run "
                + display(runId, live)
                + " crashed: no heartbeat or metric for "
                + human(silence)
                + (live.lastStep >= 0 ? " (last step " + live.lastStep + ")" : ""),
            now);
        liveness.put(runId, live);
      } else if (live.state == RunState.RUNNING && silence >= unresponsiveMs) {
        changeState(runId, live, RunState.UNRESPONSIVE, now);
        liveness.put(runId, live);
      } else if (live.state == RunState.RUNNING
          && live.lastMetricMs != RunLiveness.UNKNOWN
          && live.stalledEpisode == null
          && now - Math.max(live.lastMetricMs, activeSinceMs) >= stalledMs) {
        long quiet = now - Math.max(live.lastMetricMs, activeSinceMs);
        live.stalledEpisode = Detectors.episode(runId, AlertRule.STALLED, null, live.lastMetricMs);
        emitRunAlert(
            runId,
            live,
            AlertRule.STALLED,
            live.stalledEpisode,
            false,
            "run "
                + display(runId, live)
                + " stalled: "
                + (live.hasMetrics
                    ? "no metric for "
                        + human(quiet)
                        + " although it still sends heartbeats (last step "
                        + live.lastStep
                        + ")"
                    : "no metric in the "
                        + human(quiet)
                        + " since it started, although it still sends heartbeats"),
            now);
        liveness.put(runId, live);
      }
    }
  }

  private void changeState(String runId, RunLiveness live, RunState state, long now) {
    log.debug("run {} is {} (was {})", runId, state, live.state);
    live.state = state;
    RunSummary summary = summaries.get(runId);
    if (summary != null) {
      summary.setState(state);
      summary.setUpdatedMs(now);
      summaries.put(runId, summary);
      publish(runId, summary, now);
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

  private void emitRunAlert(
      String runId,
      RunLiveness live,
      AlertRule rule,
      String episode,
      boolean resolved,
      String message,
      long now) {
    forwardAlert(
        runId,
        Alert.newBuilder()
            .setRunId(runId)
            .setEntity(live.entity)
            .setProject(live.project)
            .setTimestampMs(now)
            .setRule(rule.id())
            .setSeverity(rule.severity())
            .setTitle(title(rule, null, resolved, runId, live))
            .setMessage(message)
            .setStep(live.lastStep >= 0 ? live.lastStep : null)
            .setEpisodeId(episode)
            .setResolved(resolved)
            .build());
  }

  private void forwardAlert(String runId, Alert alert) {
    log.debug("alert {}", alert.getMessage());
    context.forward(new Record<>(runId, alert, alert.getTimestampMs()), names.alertsChild());
  }

  private static String title(
      AlertRule rule, String metric, boolean resolved, String runId, RunLiveness live) {
    return (resolved ? "Resolved: " : "")
        + rule.id()
        + (metric == null ? "" : " of " + metric)
        + " in "
        + (live.project.isEmpty() ? "" : live.project + "/")
        + display(runId, live);
  }

  private static String display(String runId, RunLiveness live) {
    return live.name == null || live.name.isEmpty() ? runId : live.name;
  }

  /** A duration as a person reads it: 45 s, 10 min, 2 h 5 min. */
  static String human(long ms) {
    long s = ms / 1000;
    if (s < 120) {
      return s + " s";
    }
    long min = s / 60;
    if (min < 120) {
      return min + " min";
    }
    return (min / 60) + " h " + (min % 60) + " min";
  }

  private RunLiveness livenessOf(String runId, String entity, String project, long now) {
    RunLiveness live = liveness.get(runId);
    if (live == null) {
      live = new RunLiveness();
      // Until its first metric, a run has waited for one since it was first heard of: a job that
      // hangs before its first log() while its heartbeats go on is stalled too.
      live.lastMetricMs = now;
    }
    if (live.entity.isEmpty() && entity != null) {
      live.entity = entity;
    }
    if (live.project.isEmpty() && project != null) {
      live.project = project;
    }
    return live;
  }

  private RunDetectors detectorsOf(String runId) {
    RunDetectors det = detectors.get(runId);
    return det == null ? new RunDetectors() : det;
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

  private void save(
      String runId, RunSummary summary, RunLiveness live, RunDetectors det, long now) {
    summary.setUpdatedMs(now);
    summaries.put(runId, summary);
    liveness.put(runId, live);
    detectors.put(runId, det);
    changed.put(runId, now);
  }

  private void publish(String runId, RunSummary summary, long now) {
    context.forward(new Record<>(runId, summary, now), names.summariesChild());
    changed.delete(runId);
  }

  private void publishChanged(long now) {
    List<String> runIds = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = changed.all()) {
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
