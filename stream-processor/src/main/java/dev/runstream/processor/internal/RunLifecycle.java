package dev.runstream.processor.internal;

import dev.runstream.processor.AlertRule;
import dev.runstream.processor.MonitorSettings;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.RunState;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The run lifecycle as a pure state machine: given a run's {@link RunLiveness} and what just
 * happened (a record of the run, or a liveness check at some wall-clock time), it returns the
 * {@link Transition}: the run's next liveness, whether its summary must be published at once, and
 * the run-level alerts raised or resolved. It reads no clock (every time is passed in), touches no
 * store and never changes the liveness it is given. Thread-safe.
 *
 * <pre>
 *   (any record) ──► RUNNING ──finish(0)──► FINISHED      finish(≠0) ──► FAILED
 *                      │  ▲ any record            resume ──► RUNNING
 *        silent ≥ unresponsiveAfter
 *                      ▼  │
 *                 UNRESPONSIVE ──silent ≥ crashedAfter──► CRASHED (critical alert)
 *                                 any record ──► RUNNING, crash alert resolved
 *                                 late upload ──► stays CRASHED, no alert
 *
 *   RUNNING, heartbeats but no metric for stalledAfter ──► stalled alert (state unchanged),
 *   resolved by the next metric, by the finish, or superseded by the crash
 * </pre>
 *
 * <table>
 *   <caption>The rules and their near misses</caption>
 *   <tr><th>rule</th><th>fires at</th><th>just before</th></tr>
 *   <tr><td>unresponsive</td><td>silence = unresponsiveAfter</td><td>still RUNNING</td></tr>
 *   <tr><td>crashed</td><td>silence = crashedAfter</td><td>UNRESPONSIVE, no alert</td></tr>
 *   <tr><td>stalled</td><td>no metric for stalledAfter, counted from the last metric or, before
 *       the first, from when the run was first heard of</td><td>no alert</td></tr>
 *   <tr><td>late upload</td><td>sent crashedAfter or more after it happened: a crashed run stays
 *       crashed</td><td>the run is alive again</td></tr>
 *   <tr><td>expiry</td><td>an ended run silent for stateRetention</td><td>kept</td></tr>
 * </table>
 *
 * Silence is measured from the later of the run's last record and the moment the task became
 * active, so a processor that was down for a while does not declare every run crashed before it has
 * read the records that waited for it.
 */
final class RunLifecycle {
  private final long unresponsiveMs;
  private final long stalledMs;
  private final long crashedMs;
  private final long retentionMs;

  RunLifecycle(MonitorSettings settings) {
    Objects.requireNonNull(settings, "settings");
    this.unresponsiveMs = settings.unresponsiveAfter().toMillis();
    this.stalledMs = settings.stalledAfter().toMillis();
    this.crashedMs = settings.crashedAfter().toMillis();
    this.retentionMs = settings.stateRetention().toMillis();
  }

  /** What one record of a run says about its lifecycle. */
  sealed interface Signal {}

  /** The run started, with its display name. */
  record Started(String name) implements Signal {}

  /** The run finished with an exit code; {@code lastStep} is negative when unknown. */
  record Finished(int exitCode, long lastStep) implements Signal {}

  /** A process continues the run. */
  record Resumed() implements Signal {}

  /** The SDK is alive; {@code lastStep} is negative before the first step. */
  record Heartbeat(long lastStep) implements Signal {}

  /** A metric batch at {@code step}; {@code fresh} is false for a replay already counted. */
  record Metrics(long step, boolean fresh) implements Signal {}

  /** Any other record of the run (config, tags, definitions, summary): only proof of life. */
  record Other() implements Signal {}

  /**
   * One record of a run.
   *
   * @param happenedMs when the record happened on the SDK's host (its own timestamp)
   * @param sentMs when its producer sent it to Kafka (the record's Kafka timestamp), on the same
   *     host's clock
   */
  record Heard(
      String runId, String entity, String project, long happenedMs, long sentMs, Signal signal) {
    Heard {
      Objects.requireNonNull(runId, "runId");
      Objects.requireNonNull(signal, "signal");
    }
  }

  /**
   * What follows.
   *
   * @param next the run's liveness from now on; null when the run's state is to be forgotten
   * @param changed whether {@code next} is to be saved: always after a record, after a check only
   *     when it differs from the liveness given
   * @param publish whether the run's summary must be published at once rather than at the next
   *     interval (its state changed, or it started)
   * @param alerts run-level alerts raised or resolved, in the order to send them
   */
  record Transition(RunLiveness next, boolean changed, boolean publish, List<Alert> alerts) {
    Transition {
      // Most transitions raise nothing: no copy (and no array) per record for them.
      alerts = alerts.isEmpty() ? List.of() : List.copyOf(alerts);
    }

    static Transition unchanged(RunLiveness live) {
      return new Transition(live, false, false, List.of());
    }

    /** Whether the run's state is to be forgotten. */
    boolean expire() {
      return next == null;
    }
  }

  /**
   * Applies one record of a run.
   *
   * @param current the run's liveness, or null for a run not heard of before
   * @param nowMs the wall-clock time the record is processed at
   */
  Transition onRecord(RunLiveness current, Heard heard, long nowMs) {
    RunLiveness live;
    if (current == null) {
      live = new RunLiveness();
      // Until its first metric, a run has waited for one since it was first heard of: a job that
      // hangs before its first log() while its heartbeats go on is stalled too.
      live.lastMetricMs = nowMs;
    } else {
      live = current.copy();
    }
    if (live.entity.isEmpty() && heard.entity() != null) {
      live.entity = heard.entity();
    }
    if (live.project.isEmpty() && heard.project() != null) {
      live.project = heard.project();
    }
    RunState before = live.state;
    Alerts alerts = new Alerts(heard.runId(), live, nowMs);
    Signal signal = heard.signal();
    if (signal instanceof Started started) {
      live.name = started.name();
      if (live.state != RunState.FINISHED && live.state != RunState.FAILED) {
        live.state = RunState.RUNNING;
      }
    } else if (signal instanceof Finished finished) {
      live.state = finished.exitCode() == 0 ? RunState.FINISHED : RunState.FAILED;
      if (finished.lastStep() >= 0) {
        live.lastStep = Math.max(live.lastStep, finished.lastStep());
      }
      alerts.resolveStalled("the run finished");
    } else if (signal instanceof Resumed) {
      live.state = RunState.RUNNING;
    } else if (signal instanceof Heartbeat heartbeat) {
      live.lastStep = Math.max(live.lastStep, heartbeat.lastStep());
    } else if (signal instanceof Metrics metrics && metrics.fresh()) {
      live.lastMetricMs = nowMs;
      live.hasMetrics = true;
      live.lastStep = Math.max(live.lastStep, metrics.step());
      if (live.stalledEpisode != null) {
        // Only then: building the message on every metric batch cost a string per record.
        alerts.resolveStalled("metrics arrive again at step " + metrics.step());
      }
    }
    // The run spoke: it is alive, whatever the checks concluded from its silence; unless it is
    // crashed and this is a late upload, whose points count but which would only revive the run
    // until the crash timeout called it crashed, and alerted, once more.
    if (!(lateUpload(heard) && live.state == RunState.CRASHED)) {
      live.lastSeenMs = nowMs;
      if (live.state == RunState.UNRESPONSIVE || live.state == RunState.CRASHED) {
        live.state = RunState.RUNNING;
      }
      if (live.crashedEpisode != null && live.state != RunState.CRASHED) {
        alerts.resolve(
            AlertRule.CRASHED,
            live.crashedEpisode,
            alerts.run() + " is alive again (" + live.state + ")");
        live.crashedEpisode = null;
      }
    }
    boolean publish = live.state != before || signal instanceof Started;
    return new Transition(live, true, publish, alerts.list);
  }

  /**
   * Whether a record was sent to Kafka at least the crash timeout after it happened: an upload of a
   * run directory ({@code runstream sync}) after the run died, not a sign that it lives. Both times
   * come from the clock of the SDK's host, so a skewed clock there cannot make a live run's records
   * look late.
   */
  boolean lateUpload(Heard heard) {
    return heard.sentMs() - heard.happenedMs() >= crashedMs;
  }

  /**
   * Checks a run's silence at wall-clock time {@code nowMs}.
   *
   * @param activeSinceMs when this task became active: silence before it is not the run's
   */
  Transition onCheck(String runId, RunLiveness current, long nowMs, long activeSinceMs) {
    if (current.ended()) {
      if (nowMs - current.lastSeenMs >= retentionMs) {
        return new Transition(null, true, false, List.of());
      }
      if (current.state != RunState.CRASHED) {
        return Transition.unchanged(current);
      }
    }
    long silence = nowMs - Math.max(current.lastSeenMs, activeSinceMs);
    if (current.state != RunState.CRASHED && silence >= crashedMs) {
      RunLiveness live = current.copy();
      Alerts alerts = new Alerts(runId, live, nowMs);
      live.state = RunState.CRASHED;
      alerts.resolveStalled("superseded: the run crashed");
      live.crashedEpisode = Detectors.episode(runId, AlertRule.CRASHED, null, live.lastSeenMs);
      alerts.raise(
          AlertRule.CRASHED,
          live.crashedEpisode,
          alerts.run()
              + " crashed: no heartbeat or metric for "
              + human(silence)
              + (live.lastStep >= 0 ? " (last step " + live.lastStep + ")" : ""));
      return new Transition(live, true, true, alerts.list);
    }
    if (current.state == RunState.RUNNING && silence >= unresponsiveMs) {
      RunLiveness live = current.copy();
      live.state = RunState.UNRESPONSIVE;
      return new Transition(live, true, true, List.of());
    }
    long quiet = nowMs - Math.max(current.lastMetricMs, activeSinceMs);
    if (current.state == RunState.RUNNING
        && current.lastMetricMs != RunLiveness.UNKNOWN
        && current.stalledEpisode == null
        && quiet >= stalledMs) {
      RunLiveness live = current.copy();
      Alerts alerts = new Alerts(runId, live, nowMs);
      live.stalledEpisode = Detectors.episode(runId, AlertRule.STALLED, null, live.lastMetricMs);
      alerts.raise(
          AlertRule.STALLED,
          live.stalledEpisode,
          alerts.run()
              + " stalled: "
              + (live.hasMetrics
                  ? "no metric for "
                      + human(quiet)
                      + " although it still sends heartbeats (last step "
                      + live.lastStep
                      + ")"
                  : "no metric in the "
                      + human(quiet)
                      + " since it started, although it still sends heartbeats"));
      return new Transition(live, true, false, alerts.list);
    }
    return Transition.unchanged(current);
  }

  /** The run-level alerts of one transition, in the order they are raised or resolved. */
  private static final class Alerts {
    private final String runId;
    private final RunLiveness live;
    private final long nowMs;
    private final List<Alert> list = new ArrayList<>();

    Alerts(String runId, RunLiveness live, long nowMs) {
      this.runId = runId;
      this.live = live;
      this.nowMs = nowMs;
    }

    /** How a message names the run: "run " and its name, or its id when it has none. */
    String run() {
      return "run " + display(runId, live);
    }

    void raise(AlertRule rule, String episode, String message) {
      list.add(alert(rule, episode, false, message));
    }

    void resolve(AlertRule rule, String episode, String message) {
      list.add(alert(rule, episode, true, message));
    }

    void resolveStalled(String why) {
      if (live.stalledEpisode != null) {
        resolve(AlertRule.STALLED, live.stalledEpisode, why);
        live.stalledEpisode = null;
      }
    }

    private Alert alert(AlertRule rule, String episode, boolean resolved, String message) {
      return Alert.newBuilder()
          .setRunId(runId)
          .setEntity(live.entity)
          .setProject(live.project)
          .setTimestampMs(nowMs)
          .setRule(rule.id())
          .setSeverity(rule.severity())
          .setTitle(title(rule, null, resolved, runId, live))
          .setMessage(message)
          .setStep(live.lastStep >= 0 ? live.lastStep : null)
          .setEpisodeId(episode)
          .setResolved(resolved)
          .build();
    }
  }

  /** The title of an alert about a run, or about one of its metrics when {@code metric} is set. */
  static String title(
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
}
