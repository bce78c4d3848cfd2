package dev.runstream.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.RunResumed;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.RunSummary;
import dev.runstream.schemas.avro.Severity;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RunLivenessTest {
  private final TopologyHarness h = new TopologyHarness(MonitorSettings.defaults());

  @AfterEach
  void close() {
    h.close();
  }

  private RunState stateOf(String runId) {
    return h.stored(runId).getState();
  }

  @Test
  void shouldMarkASilentRunUnresponsiveAfterTwoMinutesAndCrashedAfterTen() {
    h.start("r1");
    h.log("r1", 1, "loss", 1.0);
    h.summaries.readValuesToList();

    h.advance(Duration.ofSeconds(115));
    assertThat(stateOf("r1")).as("not yet two minutes").isEqualTo(RunState.RUNNING);

    h.advance(Duration.ofSeconds(10));
    assertThat(stateOf("r1")).isEqualTo(RunState.UNRESPONSIVE);
    assertThat(h.summaries.readValuesToList())
        .extracting(RunSummary::getState)
        .contains(RunState.UNRESPONSIVE);
    assertThat(h.alerts()).as("unresponsive alone does not cry wolf").isEmpty();

    h.advance(Duration.ofMinutes(8));
    assertThat(stateOf("r1")).isEqualTo(RunState.CRASHED);
    List<Alert> alerts = h.alerts();
    assertThat(alerts).hasSize(1);
    Alert crash = alerts.get(0);
    assertThat(crash.getRule()).isEqualTo("crashed");
    assertThat(crash.getSeverity()).isEqualTo(Severity.CRITICAL);
    assertThat(crash.getResolved()).isFalse();
    assertThat(crash.getMessage())
        .startsWith("run name-r1 crashed: no heartbeat or metric for 10 min")
        .contains("last step 1");

    h.advance(Duration.ofMinutes(30));
    assertThat(h.alerts()).as("one alert per episode").isEmpty();
  }

  @Test
  void shouldNotCrashARunThatWasSilentForJustUnderTheCrashTimeout() {
    h.start("r1");
    h.advance(Duration.ofSeconds(595));
    assertThat(stateOf("r1")).isEqualTo(RunState.UNRESPONSIVE);
    assertThat(h.alerts()).isEmpty();

    h.heartbeat("r1"); // a network blip of almost ten minutes
    assertThat(stateOf("r1")).isEqualTo(RunState.RUNNING);
    h.advance(Duration.ofSeconds(595));
    assertThat(stateOf("r1"))
        .as("the silence counts from the heartbeat")
        .isNotEqualTo(RunState.CRASHED);
    assertThat(h.alerts()).isEmpty();
  }

  @Test
  void shouldKeepAFailedRunFailedWhenLateMetricsArrive() {
    h.start("r1");
    h.finish("r1", 1);
    h.log("r1", 10, "loss", 0.5);
    h.advance(Duration.ofMinutes(30));
    assertThat(stateOf("r1")).isEqualTo(RunState.FAILED);
    assertThat(h.stored("r1").getMetrics().get("loss").getCount()).isEqualTo(1);
    assertThat(h.alerts()).isEmpty();
  }

  @Test
  void shouldKeepARunRunningWhileHeartbeatsArrive() {
    h.start("r1");
    for (int i = 0; i < 40; i++) {
      h.heartbeat("r1");
      h.log("r1", i, "loss", 1.0 / (i + 1));
      h.advance(Duration.ofSeconds(30));
    }
    assertThat(stateOf("r1")).isEqualTo(RunState.RUNNING);
    assertThat(h.alerts()).isEmpty();
  }

  @Test
  void shouldBringACrashedRunBackToRunningAndResolveTheCrashAlertWhenItSpeaksAgain() {
    h.start("r1");
    h.advance(Duration.ofMinutes(11));
    Alert crash = h.alerts().get(0);
    h.summaries.readValuesToList();

    h.log("r1", 5, "loss", 0.5); // the SDK was only cut off and replays its spill

    assertThat(stateOf("r1")).isEqualTo(RunState.RUNNING);
    assertThat(h.summaries.readValuesToList())
        .as("published at once, not at the next interval")
        .extracting(RunSummary::getState)
        .containsExactly(RunState.RUNNING);
    List<Alert> alerts = h.alerts();
    assertThat(alerts).hasSize(1);
    assertThat(alerts.get(0).getResolved()).isTrue();
    assertThat(alerts.get(0).getEpisodeId()).isEqualTo(crash.getEpisodeId());
    assertThat(alerts.get(0).getMessage()).contains("alive again");
  }

  @Test
  void shouldBringACrashedRunBackToRunningWhenItIsResumed() {
    h.start("r1");
    h.log("r1", 1, "loss", 1.0);
    h.advance(Duration.ofMinutes(11));
    Alert crash = h.alerts().get(0);
    h.summaries.readValuesToList();

    h.event("r1", RunResumed.newBuilder().setFromStep(2).build());

    assertThat(stateOf("r1")).isEqualTo(RunState.RUNNING);
    assertThat(h.summaries.readValuesToList())
        .as("published at once")
        .extracting(RunSummary::getState)
        .containsExactly(RunState.RUNNING);
    assertThat(h.alerts())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.getResolved()).isTrue();
              assertThat(a.getEpisodeId()).isEqualTo(crash.getEpisodeId());
            });
  }

  @Test
  void shouldKeepACrashedRunCrashedWhenItsRunDirectoryIsUploadedLater() {
    h.start("r1");
    h.log("r1", 1, "loss", 1.0);
    h.advance(Duration.ofMinutes(11));
    assertThat(h.alerts())
        .singleElement()
        .satisfies(a -> assertThat(a.getRule()).isEqualTo("crashed"));

    // runstream sync of what the dead process had not delivered, 11 minutes after it logged it
    h.upload("r1", 2, "loss", 0.9, Duration.ofMinutes(11));
    h.advance(Duration.ofMinutes(30));

    assertThat(stateOf("r1")).isEqualTo(RunState.CRASHED);
    assertThat(h.stored("r1").getMetrics().get("loss").getCount())
        .as("its points count")
        .isEqualTo(2);
    assertThat(h.alerts()).as("neither resolved nor raised again").isEmpty();
  }

  @Test
  void shouldBringACrashedRunBackWhenItsSpillIsSentWithinTheCrashTimeoutOfBeingLogged() {
    h.start("r1");
    h.advance(Duration.ofMinutes(11));
    h.alerts();

    // The SDK was cut off for a while: it sends what it logged 9 minutes ago as soon as it can.
    h.upload("r1", 2, "loss", 0.9, Duration.ofMinutes(9));

    assertThat(stateOf("r1")).isEqualTo(RunState.RUNNING);
    assertThat(h.alerts()).singleElement().satisfies(a -> assertThat(a.getResolved()).isTrue());
  }

  @Test
  void shouldBringAnUnresponsiveRunBackWithoutAnyAlert() {
    h.start("r1");
    h.advance(Duration.ofMinutes(3));
    assertThat(stateOf("r1")).isEqualTo(RunState.UNRESPONSIVE);
    h.heartbeat("r1");
    assertThat(stateOf("r1")).isEqualTo(RunState.RUNNING);
    assertThat(h.alerts()).isEmpty();
  }

  @Test
  void shouldNeverCrashAFinishedRun() {
    h.start("ok");
    h.finish("ok", 0);
    h.start("bad");
    h.finish("bad", 3);
    h.advance(Duration.ofHours(1));
    assertThat(stateOf("ok")).isEqualTo(RunState.FINISHED);
    assertThat(stateOf("bad")).isEqualTo(RunState.FAILED);
    assertThat(h.alerts()).isEmpty();
  }

  @Test
  void shouldRaiseStalledWhenHeartbeatsArriveButMetricsStopped() {
    h.start("r1");
    h.log("r1", 7, "loss", 1.0);
    for (int i = 0; i < 24; i++) { // 12 minutes of heartbeats only
      h.heartbeat("r1");
      h.advance(Duration.ofSeconds(30));
    }
    List<Alert> alerts = h.alerts();
    assertThat(alerts).hasSize(1);
    assertThat(alerts.get(0).getRule()).isEqualTo("stalled");
    assertThat(alerts.get(0).getSeverity()).isEqualTo(Severity.WARNING);
    assertThat(alerts.get(0).getMessage())
        .contains("no metric for 10 min although it still sends heartbeats (last step 7)");
    assertThat(stateOf("r1")).isEqualTo(RunState.RUNNING);

    h.log("r1", 8, "loss", 0.9);
    List<Alert> resolved = h.alerts();
    assertThat(resolved).hasSize(1);
    assertThat(resolved.get(0).getResolved()).isTrue();
    assertThat(resolved.get(0).getEpisodeId()).isEqualTo(alerts.get(0).getEpisodeId());
  }

  @Test
  void shouldRaiseStalledForARunThatSendsHeartbeatsButNeverLogged() {
    h.start("r1");
    for (int i = 0; i < 24; i++) { // 12 minutes of heartbeats only, from the start
      h.heartbeat("r1");
      h.advance(Duration.ofSeconds(30));
    }
    List<Alert> alerts = h.alerts();
    assertThat(alerts).singleElement().satisfies(a -> assertThat(a.getRule()).isEqualTo("stalled"));
    assertThat(alerts.get(0).getMessage())
        .contains("no metric in the 10 min since it started, although it still sends heartbeats");
    assertThat(stateOf("r1")).isEqualTo(RunState.RUNNING);

    h.log("r1", 0, "loss", 2.0);
    assertThat(h.alerts()).singleElement().satisfies(a -> assertThat(a.getResolved()).isTrue());
  }

  @Test
  void shouldNotRaiseStalledForARunWhoseFirstMetricComesJustInsideTheTimeout() {
    h.start("r1");
    for (int i = 0; i < 19; i++) { // 9.5 minutes of heartbeats, then the first metric
      h.heartbeat("r1");
      h.advance(Duration.ofSeconds(30));
    }
    h.log("r1", 0, "loss", 2.0);
    h.heartbeat("r1");
    h.advance(Duration.ofSeconds(30));
    assertThat(h.alerts()).isEmpty();
  }

  @Test
  void shouldNotRaiseStalledForMetricsJustInsideTheTimeout() {
    h.start("r1");
    for (int i = 0; i < 4; i++) { // a metric every 9.5 minutes, heartbeats in between
      h.log("r1", i, "loss", 1.0);
      for (int j = 0; j < 19; j++) {
        h.heartbeat("r1");
        h.advance(Duration.ofSeconds(30));
      }
    }
    assertThat(h.alerts()).isEmpty();
  }

  @Test
  void shouldExpireTheStateOfEndedRunsAfterTheRetention() {
    try (TopologyHarness t =
        new TopologyHarness(
            MonitorSettings.builder().stateRetention(Duration.ofHours(1)).build())) {
      t.start("done");
      t.log("done", 1, "loss", 1.0);
      t.finish("done", 0);
      t.start("live");
      for (int minute = 0; minute < 59; minute++) {
        t.heartbeat("live");
        t.advance(Duration.ofMinutes(1));
      }
      assertThat(t.stored("done")).as("kept within the retention").isNotNull();

      t.heartbeat("live");
      t.advance(Duration.ofMinutes(2));
      assertThat(t.stored("done")).isNull();
      assertThat(t.driver.getKeyValueStore(RunstreamTopology.LIVENESS_STORE).get("done")).isNull();
      assertThat(t.driver.getKeyValueStore(RunstreamTopology.DETECTOR_STORE).get("done")).isNull();
      assertThat(t.stored("live")).as("a live run is never expired").isNotNull();

      t.advance(Duration.ofMinutes(30));
      assertThat(t.stored("live").getState()).isEqualTo(RunState.CRASHED);
      t.advance(Duration.ofMinutes(31));
      assertThat(t.stored("live")).as("crashed runs expire an hour after their last word").isNull();
    }
  }
}
