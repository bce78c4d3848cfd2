package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How an external command's end is told apart: what {@link GpuSampler} decides on. */
@Timeout(60)
class CommandsTest {
  private static final Duration LONG = Duration.ofSeconds(30);

  @Test
  void shouldReturnTheOutputOfACommandThatExitsZero() {
    Commands.Result r = Commands.execute(List.of("sh", "-c", "echo gpu"), null, LONG);

    assertThat(r.outcome()).isEqualTo(Commands.Outcome.OK);
    assertThat(r.output()).isEqualTo("gpu\n");
    assertThat(Commands.run(List.of("sh", "-c", "echo gpu"), null, LONG)).contains("gpu\n");
  }

  @Test
  void shouldTellAFailureByItsExitCode() {
    Commands.Result r = Commands.execute(List.of("sh", "-c", "echo no; exit 9"), null, LONG);

    assertThat(r.outcome()).isEqualTo(Commands.Outcome.FAILED);
    assertThat(r.exitCode()).isEqualTo(9);
    assertThat(r.output()).isEmpty();
    assertThat(r.describe(LONG)).isEqualTo("exited with 9");
    assertThat(Commands.run(List.of("sh", "-c", "exit 9"), null, LONG)).isEmpty();
  }

  @Test
  void shouldKillACommandThatOutlivesItsDeadline() {
    Commands.Result r = Commands.execute(List.of("sleep", "30"), null, Duration.ofMillis(200));

    assertThat(r.outcome()).isEqualTo(Commands.Outcome.TIMED_OUT);
    assertThat(r.describe(Duration.ofMillis(200))).isEqualTo("timed out after 200 ms");
  }

  @Test
  void shouldTellAnInterruptedWaitApartAndKeepTheInterrupt() {
    Thread.currentThread().interrupt();
    try {
      Commands.Result r = Commands.execute(List.of("sleep", "30"), null, LONG);

      assertThat(r.outcome()).isEqualTo(Commands.Outcome.INTERRUPTED);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void shouldTellACommandThatCannotStart() {
    Commands.Result r = Commands.execute(List.of("no-such-command-runstream"), null, LONG);

    assertThat(r.outcome()).isEqualTo(Commands.Outcome.NOT_STARTED);
  }
}
