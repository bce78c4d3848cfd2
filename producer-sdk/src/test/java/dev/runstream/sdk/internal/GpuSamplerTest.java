package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.sdk.TestLogs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How GPU sampling rides out {@code nvidia-smi} calls that fail, on a fake clock. */
class GpuSamplerTest {
  private String answer;
  private final Deque<Commands.Result> script = new ArrayDeque<>();
  private final List<Duration> timeouts = new ArrayList<>();
  private long now = 1_000_000_000L;
  private double random = 0.5;
  private GpuSampler sampler;

  @BeforeEach
  void setUp() throws IOException {
    try (InputStream in = getClass().getResourceAsStream("/nvidia-smi/a100x2-sample.csv")) {
      answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    sampler =
        new GpuSampler(
            (command, timeout) -> {
              assertThat(command).isEqualTo(NvidiaSmi.SAMPLE_COMMAND);
              timeouts.add(timeout);
              return script.isEmpty() ? Commands.Result.ok(answer) : script.poll();
            },
            () -> now,
            () -> random);
  }

  private void advance(Duration d) {
    now += d.toNanos();
  }

  @Test
  void shouldKeepSamplingGpusAfterOneCallTimesOutAndWarnOfNothing() {
    script.add(Commands.Result.of(Commands.Outcome.TIMED_OUT));

    String logged =
        TestLogs.capturingStandardError(
            () -> {
              assertThat(sampler.sample()).isEmpty();
              advance(GpuSampler.MAX_BACKOFF);
              assertThat(sampler.sample()).containsEntry("system.gpu.0.util", 87.0).hasSize(16);
            });

    assertThat(sampler.off()).isFalse();
    assertThat(timeouts).containsExactly(GpuSampler.TIMEOUT, GpuSampler.TIMEOUT);
    assertThat(logged).doesNotContain("WARN").doesNotContain("ERROR");
  }

  @Test
  void shouldNotAskAgainBeforeTheBackoffHasPassed() {
    random = 0.0; // the shortest wait: half the base
    script.add(Commands.Result.of(Commands.Outcome.TIMED_OUT));

    assertThat(sampler.sample()).isEmpty();
    advance(Duration.ofMillis(499));
    assertThat(sampler.sample()).isEmpty();
    assertThat(timeouts).hasSize(1);
    advance(Duration.ofMillis(1));
    assertThat(sampler.sample()).isNotEmpty();
    assertThat(timeouts).hasSize(2);
  }

  @Test
  void shouldDoubleTheBackoffWithJitterUpToItsBound() {
    random = 0.0;
    assertThat(sampler.backoff(1)).isEqualTo(Duration.ofMillis(500));
    assertThat(sampler.backoff(2)).isEqualTo(Duration.ofMillis(1_000));
    assertThat(sampler.backoff(3)).isEqualTo(Duration.ofMillis(2_000));
    assertThat(sampler.backoff(40)).isEqualTo(GpuSampler.MAX_BACKOFF.dividedBy(2));
    random = 0.999_999;
    assertThat(sampler.backoff(1)).isEqualTo(Duration.ofMillis(999));
    assertThat(sampler.backoff(40)).isEqualTo(GpuSampler.MAX_BACKOFF.minusMillis(1));
  }

  @Test
  void shouldTurnGpuMetricsOffWithOneWarningOnlyAfterRepeatedFailures() {
    for (int i = 0; i < GpuSampler.MAX_FAILURES; i++) {
      script.add(new Commands.Result(Commands.Outcome.FAILED, "", 9));
    }

    String logged =
        TestLogs.capturingStandardError(
            () -> {
              for (int i = 0; i < GpuSampler.MAX_FAILURES + 3; i++) {
                assertThat(sampler.sample()).isEmpty();
                advance(GpuSampler.MAX_BACKOFF);
              }
            });

    assertThat(sampler.off()).isTrue();
    assertThat(timeouts).hasSize(GpuSampler.MAX_FAILURES);
    assertThat(logged.lines().filter(l -> l.contains(" WARN ")))
        .singleElement()
        .asString()
        .contains("nvidia-smi exited with 9")
        .contains(GpuSampler.MAX_FAILURES + " calls in a row failed")
        .contains("GPU metrics are off for this run");
  }

  @Test
  void shouldStartCountingAgainAfterAnAnswer() {
    for (int i = 0; i < GpuSampler.MAX_FAILURES - 1; i++) {
      script.add(Commands.Result.of(Commands.Outcome.TIMED_OUT));
    }
    script.add(Commands.Result.ok(answer));
    for (int i = 0; i < GpuSampler.MAX_FAILURES - 1; i++) {
      script.add(Commands.Result.of(Commands.Outcome.TIMED_OUT));
    }

    int answered = 0;
    for (int i = 0; i < 2 * GpuSampler.MAX_FAILURES + 1; i++) {
      answered += sampler.sample().isEmpty() ? 0 : 1;
      advance(GpuSampler.MAX_BACKOFF);
    }

    assertThat(sampler.off()).isFalse();
    assertThat(answered).isEqualTo(3);
  }

  @Test
  void shouldSayNothingWhenACallIsCutOffBecauseTheRunIsShuttingDown() {
    script.add(Commands.Result.of(Commands.Outcome.INTERRUPTED));

    String logged =
        TestLogs.capturingStandardError(
            () -> {
              assertThat(sampler.sample()).isEmpty();
              // not counted as a failure: the next sample asks at once
              assertThat(sampler.sample()).isNotEmpty();
            });

    assertThat(logged).isEmpty();
    assertThat(timeouts).hasSize(2);
  }
}
