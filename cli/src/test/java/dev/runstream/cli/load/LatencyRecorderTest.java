package dev.runstream.cli.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class LatencyRecorderTest {
  private static final long MS = 1_000_000;

  @Test
  void shouldTakeNearestRankPercentiles() {
    long[] values = new long[100];
    for (int i = 0; i < 100; i++) {
      values[i] = 100 - i; // unsorted on purpose
    }
    Latencies l = Latencies.of(values);
    assertThat(l.count()).isEqualTo(100);
    assertThat(l.p50Nanos()).isEqualTo(50);
    assertThat(l.p99Nanos()).isEqualTo(99);
    assertThat(l.maxNanos()).isEqualTo(100);
    assertThat(values[0]).as("input left alone").isEqualTo(100);
    assertThat(Latencies.of(new long[] {7})).isEqualTo(new Latencies(1, 7, 7, 7));
    assertThat(Latencies.of(new long[0])).isEqualTo(Latencies.NONE);
    assertThatThrownBy(() -> Latencies.percentile(new long[] {1}, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldSampleOneStepInN() {
    LatencyRecorder r = new LatencyRecorder(List.of("a"), 100);
    assertThat(r.sampled(0)).isTrue();
    assertThat(r.sampled(99)).isFalse();
    assertThat(r.sampled(200)).isTrue();
    assertThatThrownBy(() -> new LatencyRecorder(List.of("a"), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldTurnFirstSeenStepsIntoLatenciesOfEveryPendingStepUpToThem() {
    LatencyRecorder r = new LatencyRecorder(List.of("a", "b"), 10);
    r.logged("a", 0, 0);
    r.logged("a", 10, 100 * MS);
    r.logged("a", 20, 200 * MS);
    r.logged("b", 30, 50 * MS);
    assertThat(r.lowestPendingStep()).isZero();
    assertThat(r.pendingCount()).isEqualTo(4);

    // ClickHouse holds a up to step 15 at 500 ms: steps 0 and 10 waited 500 and 400 ms.
    assertThat(r.seen("a", 15, 500 * MS)).isEqualTo(2);
    assertThat(r.lowestPendingStep()).isEqualTo(20);
    assertThat(r.seen("a", 15, 600 * MS)).as("seen again: nothing new").isZero();
    assertThat(r.seen("someone-else", 99, 600 * MS)).isZero();
    assertThat(r.snapshot()).isEqualTo(new Latencies(2, 400 * MS, 500 * MS, 500 * MS));

    // The window ends at 1 s: still-pending steps count with what they waited so far.
    Latencies window = r.drain(1000 * MS);
    assertThat(window.count()).isEqualTo(4);
    assertThat(window.maxNanos()).isEqualTo(1000 * MS - 50 * MS);
    assertThat(r.pendingCount()).as("censored steps stay pending").isEqualTo(2);
    assertThat(r.snapshot()).isEqualTo(Latencies.NONE);

    assertThat(r.seen("b", 30, 1250 * MS)).isEqualTo(1);
    assertThat(r.drain(-1)).isEqualTo(new Latencies(1, 1200 * MS, 1200 * MS, 1200 * MS));
    assertThat(r.lowestPendingStep()).isEqualTo(20);
  }

  @Test
  void shouldRefuseRunsItDoesNotKnow() {
    LatencyRecorder r = new LatencyRecorder(List.of("a"), 1);
    assertThatThrownBy(() -> r.logged("x", 0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(r.lowestPendingStep()).isEqualTo(-1);
  }
}
