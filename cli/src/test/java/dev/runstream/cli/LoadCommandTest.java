package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code runstream load}'s arguments, refused before any server is needed. */
class LoadCommandTest {

  @Test
  void shouldReadDurationsWithUnitsOrIso() {
    LoadCommand.DurationConverter c = new LoadCommand.DurationConverter();
    assertThat(c.convert("20s")).isEqualTo(Duration.ofSeconds(20));
    assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(c.convert("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(c.convert("PT20S")).isEqualTo(Duration.ofSeconds(20));
    assertThatThrownBy(() -> c.convert("soon"))
        .isInstanceOf(CommandLine.TypeConversionException.class)
        .hasMessageContaining("20s, 2m, 500ms or PT20S");
  }

  @Test
  void shouldRefuseImpossibleSettingsWithTheUsage(@TempDir Path home) {
    Map<String, String> env = Map.of("RUNSTREAM_HOME", home.toString());
    CliRunner.Result instances = CliRunner.run(env, "load", "--instances", "5");
    assertThat(instances.exit()).as("%s", instances).isEqualTo(2);
    assertThat(instances.err()).contains("--instances must be between 1 and 4: 5");
    CliRunner.Result rate = CliRunner.run(env, "load", "--rate", "0");
    assertThat(rate.exit()).isEqualTo(2);
    assertThat(rate.err()).contains("--rate must be positive");
    CliRunner.Result duration = CliRunner.run(env, "load", "--duration", "0s");
    assertThat(duration.exit()).isEqualTo(2);
    assertThat(duration.err()).contains("--duration and --hold must be positive");
    CliRunner.Result runs = CliRunner.run(env, "load", "--runs", "0");
    assertThat(runs.exit()).isEqualTo(2);
    assertThat(runs.err()).contains("--runs and --metrics must be at least 1");
  }
}
