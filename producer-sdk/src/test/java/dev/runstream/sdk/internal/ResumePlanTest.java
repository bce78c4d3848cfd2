package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.sdk.Mode;
import dev.runstream.sdk.Resume;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.internal.ResumePlan.Previous;
import dev.runstream.sdk.internal.RunHistory.Outcome;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where a run continues and whether it may start, without Kafka or a run directory. */
class ResumePlanTest {
  private static final Path PATH = Path.of("runs", "run-r1");

  private static RunOptions options(Resume resume, Mode mode) {
    return RunOptions.builder("p", Map.of()).runId("r1").resume(resume).mode(mode).build();
  }

  private static RunHistory found(long lastStep, long lastSequence, String name) {
    return new RunHistory(Outcome.FOUND, lastStep, lastSequence, name, "e", "p", true, 3, "read");
  }

  private static RunHistory not(Outcome outcome) {
    return new RunHistory(outcome, -1, -1, null, null, null, false, 0, "what was read");
  }

  @Test
  void shouldContinueAfterTheLaterOfTheRunDirectoryAndKafka() {
    Previous local = new Previous(10, 4, 7, "local-name", true);

    Previous merged = ResumePlan.merge(local, true, found(9, 30, "kafka-name"));

    assertThat(merged).isEqualTo(new Previous(31, 10, 7, "local-name", true));
    assertThat(ResumePlan.merge(local, true, found(1, 2, null)))
        .isEqualTo(new Previous(10, 4, 7, "local-name", true));
  }

  @Test
  void shouldReplayNothingAndTakeKafkasNameWithoutARunDirectory() {
    Previous merged = ResumePlan.merge(Previous.NONE, false, found(9, 30, "kafka-name"));

    assertThat(merged).isEqualTo(new Previous(31, 10, 30, "kafka-name", true));
  }

  @Test
  void shouldKeepTheRunDirectorysPlanWhenKafkaHasNoRecord() {
    Previous local = new Previous(10, 4, 7, null, true);

    assertThat(ResumePlan.merge(local, true, null)).isSameAs(local);
    assertThat(ResumePlan.merge(local, true, not(Outcome.ABSENT))).isSameAs(local);
    assertThat(ResumePlan.merge(Previous.NONE, false, not(Outcome.UNREACHABLE)))
        .isSameAs(Previous.NONE);
  }

  @Test
  void shouldRefuseANewRunWhoseIdKafkaAlreadyHolds() {
    assertThatThrownBy(
            () ->
                new ResumePlan(options(Resume.NEVER, Mode.ONLINE), "r1", PATH)
                    .check(false, found(1, 1, null)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("run r1 already exists in Kafka")
        .hasMessageContaining("Resume.ALLOW");
    assertThatCode(
            () ->
                new ResumePlan(options(Resume.NEVER, Mode.ONLINE), "r1", PATH)
                    .check(false, not(Outcome.ABSENT)))
        .doesNotThrowAnyException();
  }

  @Test
  void shouldRefuseToResumeARunThatIsNowhere() {
    assertThatThrownBy(
            () -> new ResumePlan(options(Resume.MUST, Mode.OFFLINE), "r1", PATH).check(false, null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("there is no run directory " + PATH)
        .hasMessageContaining("an offline run is resumed from its run directory only");
    assertThatThrownBy(
            () ->
                new ResumePlan(options(Resume.MUST, Mode.ONLINE), "r1", PATH)
                    .check(false, not(Outcome.ABSENT)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("has no record of it");
    assertThatThrownBy(
            () ->
                new ResumePlan(options(Resume.MUST, Mode.ONLINE), "r1", PATH)
                    .check(false, not(Outcome.UNREACHABLE)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("could not be asked where the run left off")
        .hasMessageContaining("raise resumeLookupTimeout");
  }

  @Test
  void shouldResumeFromTheRunDirectoryWhenKafkaCannotBeAsked() {
    assertThatCode(
            () ->
                new ResumePlan(options(Resume.MUST, Mode.ONLINE), "r1", PATH)
                    .check(true, not(Outcome.UNREACHABLE)))
        .doesNotThrowAnyException();
    assertThatCode(
            () ->
                new ResumePlan(options(Resume.ALLOW, Mode.ONLINE), "r1", PATH)
                    .check(false, not(Outcome.UNKNOWN)))
        .doesNotThrowAnyException();
  }
}
