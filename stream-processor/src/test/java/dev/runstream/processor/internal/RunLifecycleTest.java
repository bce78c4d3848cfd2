package dev.runstream.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.processor.MonitorSettings;
import dev.runstream.processor.internal.RunLifecycle.Finished;
import dev.runstream.processor.internal.RunLifecycle.Heard;
import dev.runstream.processor.internal.RunLifecycle.Heartbeat;
import dev.runstream.processor.internal.RunLifecycle.Metrics;
import dev.runstream.processor.internal.RunLifecycle.Other;
import dev.runstream.processor.internal.RunLifecycle.Resumed;
import dev.runstream.processor.internal.RunLifecycle.Signal;
import dev.runstream.processor.internal.RunLifecycle.Started;
import dev.runstream.processor.internal.RunLifecycle.Transition;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.Severity;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Every transition of the run lifecycle, without Kafka: times are plain numbers. */
class RunLifecycleTest {
  private static final long T0 = 1_000_000;
  private static final long UNRESPONSIVE = MonitorSettings.DEFAULT_UNRESPONSIVE_AFTER.toMillis();
  private static final long STALLED = MonitorSettings.DEFAULT_STALLED_AFTER.toMillis();
  private static final long CRASHED = MonitorSettings.DEFAULT_CRASHED_AFTER.toMillis();
  private static final long RETENTION = Duration.ofHours(1).toMillis();

  private final RunLifecycle lifecycle =
      new RunLifecycle(
          MonitorSettings.builder().stateRetention(Duration.ofMillis(RETENTION)).build());

  /** A record sent as soon as it happened. */
  private Transition hear(RunLiveness current, Signal signal, long now) {
    return lifecycle.onRecord(current, new Heard("r1", "team", "tinyllm", now, now, signal), now);
  }

  /** A record sent {@code lateMs} after it happened, received at {@code now}. */
  private Transition upload(RunLiveness current, Signal signal, long lateMs, long now) {
    return lifecycle.onRecord(
        current, new Heard("r1", "team", "tinyllm", now - lateMs, now, signal), now);
  }

  private Transition check(RunLiveness current, long now) {
    return lifecycle.onCheck("r1", current, now, 0);
  }

  /** A run named llama that started at T0 and logged step 1 then. */
  private RunLiveness running() {
    RunLiveness started = hear(null, new Started("llama"), T0).next();
    return hear(started, new Metrics(1, true), T0).next();
  }

  /** {@link #running()} silent since T0 and found crashed at T0 + CRASHED. */
  private RunLiveness crashed() {
    return check(running(), T0 + CRASHED).next();
  }

  /** A run that started at T0, never logged, and sent heartbeats until it stalled. */
  private RunLiveness stalled() {
    RunLiveness live = hear(null, new Started("llama"), T0).next();
    live = hear(live, new Heartbeat(-1), T0 + STALLED - 1).next();
    return check(live, T0 + STALLED).next();
  }

  @Test
  void shouldStartARunningRunAndPublishItAtOnce() {
    Transition t = hear(null, new Started("llama"), T0);

    assertThat(t.next().state).isEqualTo(RunState.RUNNING);
    assertThat(t.publish()).isTrue();
    assertThat(t.changed()).isTrue();
    assertThat(t.expire()).isFalse();
    assertThat(t.alerts()).isEmpty();
    assertThat(t.next().name).isEqualTo("llama");
    assertThat(t.next().entity).isEqualTo("team");
    assertThat(t.next().project).isEqualTo("tinyllm");
    assertThat(t.next().lastSeenMs).isEqualTo(T0);
    assertThat(t.next().lastMetricMs).as("waits for a metric since first heard of").isEqualTo(T0);
    assertThat(t.next().hasMetrics).isFalse();
  }

  @Test
  void shouldTakeAnyFirstRecordForARunningRunWithoutPublishingAtOnce() {
    Transition t = hear(null, new Heartbeat(-1), T0);

    assertThat(t.next().state).isEqualTo(RunState.RUNNING);
    assertThat(t.publish()).as("the state did not change and it is no start").isFalse();
    assertThat(t.next().lastMetricMs).isEqualTo(T0);
  }

  @Test
  void shouldKeepTheFirstTeamAndProjectARunWasHeardWith() {
    RunLiveness live = hear(null, new Started("llama"), T0).next();
    Transition t =
        lifecycle.onRecord(
            live, new Heard("r1", "other", "elsewhere", T0 + 1, T0 + 1, new Other()), T0 + 1);

    assertThat(t.next().entity).isEqualTo("team");
    assertThat(t.next().project).isEqualTo("tinyllm");
  }

  @Test
  void shouldTakeAnyOtherRecordAsProofOfLifeOnly() {
    RunLiveness live = running();
    Transition t = hear(live, new Other(), T0 + 60_000);

    assertThat(t.next().state).isEqualTo(RunState.RUNNING);
    assertThat(t.next().lastSeenMs).isEqualTo(T0 + 60_000);
    assertThat(t.next().lastMetricMs).isEqualTo(T0);
    assertThat(t.next().lastStep).isEqualTo(1);
    assertThat(t.publish()).isFalse();
    assertThat(t.alerts()).isEmpty();
  }

  @Test
  void shouldFinishARunWithExitCodeZeroAndFailItOtherwise() {
    Transition ok = hear(running(), new Finished(0, -1), T0 + 1);
    Transition bad = hear(running(), new Finished(3, -1), T0 + 1);

    assertThat(ok.next().state).isEqualTo(RunState.FINISHED);
    assertThat(ok.publish()).isTrue();
    assertThat(ok.alerts()).isEmpty();
    assertThat(bad.next().state).isEqualTo(RunState.FAILED);
    assertThat(bad.publish()).isTrue();
  }

  @Test
  void shouldKeepTheHighestStepAFinishOrHeartbeatReports() {
    RunLiveness live = hear(running(), new Heartbeat(7), T0 + 1).next();
    assertThat(live.lastStep).isEqualTo(7);
    assertThat(hear(live, new Heartbeat(3), T0 + 2).next().lastStep).isEqualTo(7);
    assertThat(hear(live, new Finished(0, -1), T0 + 2).next().lastStep)
        .as("an unknown last step")
        .isEqualTo(7);
    assertThat(hear(live, new Finished(0, 9), T0 + 2).next().lastStep).isEqualTo(9);
  }

  @Test
  void shouldNotReopenAFinishedRunOnALateStartButPublishIt() {
    RunLiveness finished = hear(running(), new Finished(0, -1), T0 + 1).next();

    Transition t = hear(finished, new Started("renamed"), T0 + 2);

    assertThat(t.next().state).isEqualTo(RunState.FINISHED);
    assertThat(t.next().name).isEqualTo("renamed");
    assertThat(t.publish()).isTrue();
  }

  @Test
  void shouldKeepAnEndedRunEndedWhenMoreRecordsArrive() {
    RunLiveness failed = hear(running(), new Finished(1, -1), T0 + 1).next();

    Transition t = hear(failed, new Metrics(10, true), T0 + 2);

    assertThat(t.next().state).isEqualTo(RunState.FAILED);
    assertThat(t.next().lastStep).isEqualTo(10);
    assertThat(t.publish()).isFalse();
    assertThat(t.alerts()).isEmpty();
  }

  @Test
  void shouldResumeAFinishedRun() {
    RunLiveness finished = hear(running(), new Finished(0, -1), T0 + 1).next();

    Transition t = hear(finished, new Resumed(), T0 + 2);

    assertThat(t.next().state).isEqualTo(RunState.RUNNING);
    assertThat(t.publish()).isTrue();
    assertThat(t.alerts()).isEmpty();
  }

  @Test
  void shouldResumeACrashedRunAndResolveItsCrashEvenWhenTheResumeIsLate() {
    RunLiveness crashed = crashed();

    Transition t = upload(crashed, new Resumed(), CRASHED, T0 + CRASHED + 1);

    assertThat(t.next().state).isEqualTo(RunState.RUNNING);
    assertThat(t.publish()).isTrue();
    assertThat(t.next().crashedEpisode).isNull();
    assertThat(t.alerts())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.getRule()).isEqualTo("crashed");
              assertThat(a.getResolved()).isTrue();
              assertThat(a.getEpisodeId()).isEqualTo(crashed.crashedEpisode);
              assertThat(a.getMessage()).isEqualTo("run llama is alive again (RUNNING)");
            });
  }

  @Test
  void shouldCountFreshMetricsAndTakeReplaysAsProofOfLifeOnly() {
    RunLiveness live = running();

    Transition fresh = hear(live, new Metrics(5, true), T0 + 1_000);
    Transition replay = hear(live, new Metrics(9, false), T0 + 2_000);

    assertThat(fresh.next().lastMetricMs).isEqualTo(T0 + 1_000);
    assertThat(fresh.next().hasMetrics).isTrue();
    assertThat(fresh.next().lastStep).isEqualTo(5);
    assertThat(replay.next().lastMetricMs).isEqualTo(T0);
    assertThat(replay.next().lastStep).isEqualTo(1);
    assertThat(replay.next().lastSeenMs).isEqualTo(T0 + 2_000);
  }

  @Test
  void shouldNotChangeTheLivenessItIsGiven() {
    RunLiveness stalled = stalled();
    RunLiveness before = stalled.copy();

    hear(stalled, new Metrics(2, true), T0 + STALLED + 1);
    hear(stalled, new Finished(0, 3), T0 + STALLED + 1);
    check(stalled, T0 + STALLED + CRASHED);

    assertThat(stalled).usingRecursiveComparison().isEqualTo(before);
  }

  @Test
  void shouldBringAnUnresponsiveRunBackWithoutAnyAlert() {
    RunLiveness unresponsive = check(running(), T0 + UNRESPONSIVE).next();
    assertThat(unresponsive.state).isEqualTo(RunState.UNRESPONSIVE);

    Transition t = hear(unresponsive, new Heartbeat(-1), T0 + UNRESPONSIVE + 1);

    assertThat(t.next().state).isEqualTo(RunState.RUNNING);
    assertThat(t.publish()).isTrue();
    assertThat(t.alerts()).isEmpty();
  }

  @Test
  void shouldBringACrashedRunBackAndResolveTheCrashWhenItSpeaksAgain() {
    RunLiveness crashed = crashed();

    Transition t = hear(crashed, new Metrics(5, true), T0 + CRASHED + 60_000);

    assertThat(t.next().state).isEqualTo(RunState.RUNNING);
    assertThat(t.publish()).isTrue();
    assertThat(t.next().lastSeenMs).isEqualTo(T0 + CRASHED + 60_000);
    assertThat(t.next().crashedEpisode).isNull();
    Alert resolved = t.alerts().get(0);
    assertThat(t.alerts()).hasSize(1);
    assertThat(resolved.getResolved()).isTrue();
    assertThat(resolved.getEpisodeId()).isEqualTo(crashed.crashedEpisode);
    assertThat(resolved.getMessage()).isEqualTo("run llama is alive again (RUNNING)");
    assertThat(resolved.getTitle()).isEqualTo("Resolved: crashed in tinyllm/llama");
    assertThat(resolved.getStep()).isEqualTo(5);
    assertThat(resolved.getTimestampMs()).isEqualTo(T0 + CRASHED + 60_000);
  }

  @Test
  void shouldReviveACrashedRunWithAnUploadSentJustUnderTheCrashTimeoutAfterItWasLogged() {
    Transition t = upload(crashed(), new Metrics(2, true), CRASHED - 1, T0 + CRASHED + 60_000);

    assertThat(t.next().state).isEqualTo(RunState.RUNNING);
    assertThat(t.alerts()).singleElement().satisfies(a -> assertThat(a.getResolved()).isTrue());
  }

  @Test
  void shouldKeepACrashedRunCrashedButCountItsPointsWhenAnUploadIsSentTheCrashTimeoutLate() {
    RunLiveness crashed = crashed();
    long now = T0 + CRASHED + 60_000;

    Transition t = upload(crashed, new Metrics(2, true), CRASHED, now);

    assertThat(lifecycle.lateUpload(new Heard("r1", "", "", now - CRASHED, now, new Other())))
        .isTrue();
    assertThat(lifecycle.lateUpload(new Heard("r1", "", "", now - CRASHED + 1, now, new Other())))
        .isFalse();
    assertThat(t.next().state).isEqualTo(RunState.CRASHED);
    assertThat(t.publish()).isFalse();
    assertThat(t.alerts()).as("neither resolved nor raised again").isEmpty();
    assertThat(t.next().lastSeenMs).as("not heard from").isEqualTo(crashed.lastSeenMs);
    assertThat(t.next().crashedEpisode).isEqualTo(crashed.crashedEpisode);
    assertThat(t.next().lastMetricMs).as("its points count").isEqualTo(now);
    assertThat(t.next().lastStep).isEqualTo(2);
    assertThat(check(t.next(), now + CRASHED).alerts()).as("no second crash").isEmpty();
  }

  @Test
  void shouldTakeALateUploadOfALiveRunAsProofOfLife() {
    Transition t = upload(running(), new Metrics(2, true), CRASHED, T0 + 1_000);

    assertThat(t.next().state).isEqualTo(RunState.RUNNING);
    assertThat(t.next().lastSeenMs).isEqualTo(T0 + 1_000);
  }

  @Test
  void shouldFinishACrashedRunWhoseLateUploadEndsWithItsFinish() {
    RunLiveness crashed = crashed();

    Transition t = upload(crashed, new Finished(0, 4), CRASHED, T0 + CRASHED + 60_000);

    assertThat(t.next().state).isEqualTo(RunState.FINISHED);
    assertThat(t.publish()).isTrue();
    assertThat(t.alerts())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.getResolved()).isTrue();
              assertThat(a.getMessage()).isEqualTo("run llama is alive again (FINISHED)");
            });
  }

  @Test
  void shouldMarkASilentRunUnresponsiveAtTheTimeoutAndNotBefore() {
    RunLiveness live = running();

    assertThat(check(live, T0 + UNRESPONSIVE - 1).changed()).isFalse();
    Transition t = check(live, T0 + UNRESPONSIVE);

    assertThat(t.next().state).isEqualTo(RunState.UNRESPONSIVE);
    assertThat(t.changed()).isTrue();
    assertThat(t.publish()).isTrue();
    assertThat(t.alerts()).as("unresponsive alone does not cry wolf").isEmpty();
  }

  @Test
  void shouldCrashASilentRunAtTheCrashTimeoutAndNotBefore() {
    RunLiveness unresponsive = check(running(), T0 + UNRESPONSIVE).next();

    Transition before = check(unresponsive, T0 + CRASHED - 1);
    assertThat(before.changed()).isFalse();
    assertThat(before.next().state).isEqualTo(RunState.UNRESPONSIVE);

    Transition t = check(unresponsive, T0 + CRASHED);
    assertThat(t.next().state).isEqualTo(RunState.CRASHED);
    assertThat(t.publish()).isTrue();
    assertThat(t.next().crashedEpisode).isEqualTo("r1/crashed/" + T0);
    Alert crash = t.alerts().get(0);
    assertThat(t.alerts()).hasSize(1);
    assertThat(crash.getRule()).isEqualTo("crashed");
    assertThat(crash.getSeverity()).isEqualTo(Severity.CRITICAL);
    assertThat(crash.getResolved()).isFalse();
    assertThat(crash.getEpisodeId()).isEqualTo("r1/crashed/" + T0);
    assertThat(crash.getMessage())
        .isEqualTo("run llama crashed: no heartbeat or metric for 10 min (last step 1)");
    assertThat(crash.getTitle()).isEqualTo("crashed in tinyllm/llama");
    assertThat(crash.getEntity()).isEqualTo("team");
    assertThat(crash.getStep()).isEqualTo(1);
    assertThat(crash.getTimestampMs()).isEqualTo(T0 + CRASHED);
  }

  @Test
  void shouldCrashARunningRunStraightAwayWhenTheCheckComesAfterTheCrashTimeout() {
    RunLiveness live = hear(null, new Started("llama"), T0).next();

    Transition t = check(live, T0 + CRASHED + 5_000);

    assertThat(t.next().state).isEqualTo(RunState.CRASHED);
    assertThat(t.alerts())
        .singleElement()
        .satisfies(
            a ->
                assertThat(a.getMessage())
                    .as("no step known")
                    .isEqualTo("run llama crashed: no heartbeat or metric for 10 min"));
    assertThat(t.alerts().get(0).getStep()).isNull();
  }

  @Test
  void shouldResolveAnOpenStalledAlertAsSupersededWhenTheRunCrashes() {
    RunLiveness stalled = stalled();

    Transition t = check(stalled, T0 + STALLED - 1 + CRASHED);

    assertThat(t.next().state).isEqualTo(RunState.CRASHED);
    assertThat(t.next().stalledEpisode).isNull();
    assertThat(t.alerts()).extracting(Alert::getRule).containsExactly("stalled", "crashed");
    assertThat(t.alerts()).extracting(Alert::getResolved).containsExactly(true, false);
    assertThat(t.alerts().get(0).getEpisodeId()).isEqualTo(stalled.stalledEpisode);
    assertThat(t.alerts().get(0).getMessage()).isEqualTo("superseded: the run crashed");
  }

  @Test
  void shouldRaiseOneCrashPerEpisode() {
    RunLiveness crashed = crashed();

    Transition t = check(crashed, T0 + CRASHED + Duration.ofMinutes(30).toMillis());

    assertThat(t.changed()).isFalse();
    assertThat(t.alerts()).isEmpty();
  }

  @Test
  void shouldCountSilenceFromWhenTheTaskBecameActive() {
    RunLiveness live = running();
    long activeSince = T0 + Duration.ofHours(2).toMillis();

    Transition justUnder = lifecycle.onCheck("r1", live, activeSince + CRASHED - 1, activeSince);
    Transition at = lifecycle.onCheck("r1", live, activeSince + CRASHED, activeSince);

    assertThat(justUnder.next().state).isEqualTo(RunState.UNRESPONSIVE);
    assertThat(justUnder.alerts()).isEmpty();
    assertThat(at.next().state).isEqualTo(RunState.CRASHED);
    assertThat(at.alerts().get(0).getMessage()).contains("for 10 min");
  }

  @Test
  void shouldRaiseStalledForHeartbeatsWithoutMetricsCountedFromWhenFirstHeardOf() {
    RunLiveness live = hear(null, new Started("llama"), T0).next();
    live = hear(live, new Heartbeat(-1), T0 + STALLED - 1).next();

    assertThat(check(live, T0 + STALLED - 1).changed()).isFalse();
    Transition t = check(live, T0 + STALLED);

    assertThat(t.next().state).isEqualTo(RunState.RUNNING);
    assertThat(t.changed()).isTrue();
    assertThat(t.publish()).as("the state is unchanged").isFalse();
    assertThat(t.next().stalledEpisode).isEqualTo("r1/stalled/" + T0);
    Alert stalled = t.alerts().get(0);
    assertThat(t.alerts()).hasSize(1);
    assertThat(stalled.getRule()).isEqualTo("stalled");
    assertThat(stalled.getSeverity()).isEqualTo(Severity.WARNING);
    assertThat(stalled.getResolved()).isFalse();
    assertThat(stalled.getMessage())
        .isEqualTo(
            "run llama stalled: no metric in the 10 min since it started, although it still"
                + " sends heartbeats");
  }

  @Test
  void shouldRaiseStalledForHeartbeatsAfterTheLastMetricAtTheTimeoutAndNotBefore() {
    RunLiveness live = hear(running(), new Metrics(7, true), T0).next();
    live = hear(live, new Heartbeat(7), T0 + STALLED - 1).next();

    assertThat(check(live, T0 + STALLED - 1).alerts()).isEmpty();
    Transition t = check(live, T0 + STALLED);

    assertThat(t.alerts())
        .singleElement()
        .satisfies(
            a ->
                assertThat(a.getMessage())
                    .isEqualTo(
                        "run llama stalled: no metric for 10 min although it still sends"
                            + " heartbeats (last step 7)"));
    assertThat(check(t.next(), T0 + STALLED + 1).changed()).as("one alert per episode").isFalse();
  }

  @Test
  void shouldCountTheTimeWithoutMetricsFromWhenTheTaskBecameActive() {
    RunLiveness live = hear(null, new Started("llama"), T0).next();
    long activeSince = T0 + STALLED;
    live = hear(live, new Heartbeat(-1), activeSince + STALLED - 1).next();

    assertThat(lifecycle.onCheck("r1", live, activeSince + STALLED - 1, activeSince).changed())
        .isFalse();
    assertThat(lifecycle.onCheck("r1", live, activeSince + STALLED, activeSince).alerts())
        .extracting(Alert::getRule)
        .containsExactly("stalled");
  }

  @Test
  void shouldNeverCallARunStalledWhoseWaitForAFirstMetricHasNoKnownStart() {
    RunLiveness live = hear(null, new Started("llama"), T0).next();
    live.lastMetricMs = RunLiveness.UNKNOWN; // read from the format before the start was kept
    live = hear(live, new Heartbeat(-1), T0 + 10 * STALLED).next();

    assertThat(check(live, T0 + 10 * STALLED + 1).changed()).isFalse();
  }

  @Test
  void shouldNotCallAnUnresponsiveRunStalled() {
    // stalled before crashed, so that an unresponsive run reaches the stall timeout alive
    RunLifecycle early =
        new RunLifecycle(MonitorSettings.builder().stalledAfter(Duration.ofMinutes(5)).build());
    long stalledAfter = Duration.ofMinutes(5).toMillis();
    RunLiveness live =
        early.onRecord(null, new Heard("r1", "", "", T0, T0, new Other()), T0).next();
    RunLiveness unresponsive = early.onCheck("r1", live, T0 + UNRESPONSIVE, 0).next();
    RunLiveness heard =
        early
            .onRecord(
                live,
                new Heard("r1", "", "", T0 + stalledAfter, T0 + stalledAfter, new Heartbeat(-1)),
                T0 + stalledAfter)
            .next();

    Transition t = early.onCheck("r1", unresponsive, T0 + stalledAfter, 0);

    assertThat(t.changed()).isFalse();
    assertThat(t.next().state).isEqualTo(RunState.UNRESPONSIVE);
    assertThat(early.onCheck("r1", heard, T0 + stalledAfter, 0).alerts())
        .as("a running run that sends heartbeats stalls then")
        .extracting(Alert::getRule)
        .containsExactly("stalled");
  }

  @Test
  void shouldResolveStalledWhenMetricsArriveAgain() {
    RunLiveness stalled = stalled();

    Transition replay = hear(stalled, new Metrics(3, false), T0 + STALLED + 1);
    Transition fresh = hear(stalled, new Metrics(8, true), T0 + STALLED + 1);

    assertThat(replay.alerts()).as("a replay is no new metric").isEmpty();
    assertThat(replay.next().stalledEpisode).isEqualTo(stalled.stalledEpisode);
    assertThat(fresh.next().stalledEpisode).isNull();
    assertThat(fresh.publish()).isFalse();
    assertThat(fresh.alerts())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.getRule()).isEqualTo("stalled");
              assertThat(a.getResolved()).isTrue();
              assertThat(a.getEpisodeId()).isEqualTo(stalled.stalledEpisode);
              assertThat(a.getMessage()).isEqualTo("metrics arrive again at step 8");
              assertThat(a.getStep()).isEqualTo(8);
            });
  }

  @Test
  void shouldResolveStalledWhenTheRunFinishes() {
    RunLiveness stalled = stalled();

    Transition t = hear(stalled, new Finished(0, -1), T0 + STALLED + 1);

    assertThat(t.next().state).isEqualTo(RunState.FINISHED);
    assertThat(t.alerts())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.getResolved()).isTrue();
              assertThat(a.getMessage()).isEqualTo("the run finished");
              assertThat(a.getStep()).as("no step known").isNull();
            });
  }

  @Test
  void shouldNeverCrashAFinishedOrFailedRunAndForgetItAfterTheRetention() {
    for (int exitCode : new int[] {0, 1}) {
      RunLiveness ended = hear(running(), new Finished(exitCode, -1), T0 + 1).next();

      Transition kept = check(ended, T0 + 1 + RETENTION - 1);
      assertThat(kept.changed()).isFalse();
      assertThat(kept.alerts()).isEmpty();
      assertThat(kept.next().state).isEqualTo(exitCode == 0 ? RunState.FINISHED : RunState.FAILED);

      Transition gone = check(ended, T0 + 1 + RETENTION);
      assertThat(gone.expire()).isTrue();
      assertThat(gone.changed()).isTrue();
      assertThat(gone.alerts()).isEmpty();
    }
  }

  @Test
  void shouldForgetACrashedRunTheRetentionAfterItsLastWord() {
    RunLiveness crashed = crashed();

    assertThat(check(crashed, T0 + RETENTION - 1).expire()).isFalse();
    assertThat(check(crashed, T0 + RETENTION).expire()).isTrue();
  }

  @Test
  void shouldNeverForgetARunThatHasNotEnded() {
    RunLiveness live = running();

    Transition t = check(live, T0 + 10 * RETENTION);

    assertThat(t.expire()).isFalse();
    assertThat(t.next().state).as("it crashes instead").isEqualTo(RunState.CRASHED);
  }

  @Test
  void shouldWriteDurationsAsAPersonReadsThem() {
    assertThat(RunLifecycle.human(45_999)).isEqualTo("45 s");
    assertThat(RunLifecycle.human(119_999)).isEqualTo("119 s");
    assertThat(RunLifecycle.human(120_000)).isEqualTo("2 min");
    assertThat(RunLifecycle.human(Duration.ofMinutes(119).toMillis())).isEqualTo("119 min");
    assertThat(RunLifecycle.human(Duration.ofMinutes(120).toMillis())).isEqualTo("2 h 0 min");
    assertThat(RunLifecycle.human(Duration.ofMinutes(125).toMillis())).isEqualTo("2 h 5 min");
  }
}
