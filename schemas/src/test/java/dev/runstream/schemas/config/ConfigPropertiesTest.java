package dev.runstream.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConfigPropertiesTest {
  private static ConfigProperties env(String name, String value) {
    return ConfigProperties.of(Map.of(name, value));
  }

  @Test
  void shouldReadEveryDurationUnit() {
    Setting s = Settings.CRASHED_AFTER;
    assertThat(env(s.name(), "500ms").getDuration(s)).contains(Duration.ofMillis(500));
    assertThat(env(s.name(), "10s").getDuration(s)).contains(Duration.ofSeconds(10));
    assertThat(env(s.name(), "5m").getDuration(s)).contains(Duration.ofMinutes(5));
    assertThat(env(s.name(), "1h").getDuration(s)).contains(Duration.ofHours(1));
    assertThat(env(s.name(), "2d").getDuration(s)).contains(Duration.ofDays(2));
    assertThat(env(s.name(), "1.5s").getDuration(s)).contains(Duration.ofMillis(1500));
    assertThat(env(s.name(), " 10 S ").getDuration(s)).contains(Duration.ofSeconds(10));
    assertThat(env(s.name(), "PT2M").getDuration(s)).contains(Duration.ofMinutes(2));
    assertThat(env(s.name(), "-1s").getDuration(s)).contains(Duration.ofSeconds(-1));
  }

  @Test
  void shouldCountABareNumberInTheUnitTheSettingStates() {
    assertThat(env("RUNSTREAM_CRASHED_AFTER_MS", "600000").getDuration(Settings.CRASHED_AFTER))
        .contains(Duration.ofMinutes(10));
    assertThat(env("RUNSTREAM_HEARTBEAT_INTERVAL", "5").getDuration(Settings.HEARTBEAT_INTERVAL))
        .contains(Duration.ofSeconds(5));
    assertThat(env("RUNSTREAM_FSYNC_INTERVAL", "0.25").getDuration(Settings.FSYNC_INTERVAL))
        .contains(Duration.ofMillis(250));
    assertThat(Settings.CRASHED_AFTER.bareNumberUnit()).isEqualTo(ChronoUnit.MILLIS);
    assertThat(Settings.HEARTBEAT_INTERVAL.bareNumberUnit()).isEqualTo(ChronoUnit.SECONDS);
  }

  @Test
  void shouldNameTheVariableAndValueOfABadDuration() {
    assertThatThrownBy(
            () -> env("RUNSTREAM_CRASHED_AFTER_MS", "soon").getDuration(Settings.CRASHED_AFTER))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "RUNSTREAM_CRASHED_AFTER_MS must be a duration: a number with a unit (500ms, 10s, 5m,"
                + " 1h, 2d) or ISO-8601 (PT10S); a number alone counts in millis, got 'soon'");
    assertThatThrownBy(
            () -> env("RUNSTREAM_CRASHED_AFTER_MS", "10w").getDuration(Settings.CRASHED_AFTER))
        .hasMessageStartingWith("RUNSTREAM_CRASHED_AFTER_MS must be a duration: ")
        .hasMessageEndingWith(", got '10w'")
        .cause()
        .hasMessageStartingWith("unknown unit 'w'");
    assertThatThrownBy(
            () -> env("RUNSTREAM_CRASHED_AFTER_MS", "PT").getDuration(Settings.CRASHED_AFTER))
        .hasMessageStartingWith("RUNSTREAM_CRASHED_AFTER_MS must be a duration: ")
        .hasMessageEndingWith(", got 'PT'");
    assertThatThrownBy(
            () ->
                env("RUNSTREAM_HEARTBEAT_INTERVAL", "1x").getDuration(Settings.HEARTBEAT_INTERVAL))
        .hasMessageContaining("a number alone counts in seconds, got '1x'");
    assertThatThrownBy(() -> ConfigProperties.parseDuration("soon", null))
        .hasMessage(
            "not a duration: use a number with a unit (500ms, 10s, 5m, 1h, 2d) or ISO-8601"
                + " (PT10S)");
    assertThatThrownBy(() -> ConfigProperties.parseDuration("10", null))
        .hasMessageStartingWith("a duration needs a unit");
    assertThatThrownBy(() -> ConfigProperties.parseDuration("99999999999999d", ChronoUnit.MILLIS))
        .hasMessageStartingWith("too long a duration");
  }

  @Test
  void shouldReadNumbersAndNameTheVariableOfABadOne() {
    Setting rows = Settings.SINK_BATCH_MAX_ROWS;
    assertThat(env(rows.name(), " 42 ").getInt(rows)).contains(42);
    assertThat(ConfigProperties.of(Map.of()).getInt(rows, 7)).isEqualTo(7);
    assertThat(env(rows.name(), "9000000000").getLong(rows)).contains(9_000_000_000L);
    assertThat(ConfigProperties.of(Map.of()).getLong(rows, 3L)).isEqualTo(3L);
    assertThatThrownBy(() -> env(rows.name(), "many").getInt(rows))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("RUNSTREAM_SINK_BATCH_MAX_ROWS must be a whole number, got 'many'");
    assertThatThrownBy(() -> env(rows.name(), "9000000000").getInt(rows))
        .hasMessage("RUNSTREAM_SINK_BATCH_MAX_ROWS must be a whole number, got '9000000000'");
    assertThatThrownBy(() -> env(rows.name(), "1.5").getLong(rows))
        .hasMessage("RUNSTREAM_SINK_BATCH_MAX_ROWS must be a whole number, got '1.5'");

    Setting alpha = Settings.EMA_ALPHA;
    assertThat(env(alpha.name(), "0.25").getDouble(alpha)).contains(0.25);
    assertThat(ConfigProperties.of(Map.of()).getDouble(alpha, 0.1)).isEqualTo(0.1);
    assertThatThrownBy(() -> env(alpha.name(), "half").getDouble(alpha))
        .hasMessage("RUNSTREAM_EMA_ALPHA must be a number, got 'half'");
    assertThatThrownBy(() -> env(alpha.name(), "NaN").getDouble(alpha))
        .hasMessage("RUNSTREAM_EMA_ALPHA must be a number, got 'NaN'");
  }

  @Test
  void shouldReadBooleansEnumsAndPaths() {
    Setting gpu = Settings.GPU_TAG;
    for (String yes : new String[] {"true", "TRUE", "1", "yes", "on"}) {
      assertThat(env(gpu.name(), yes).getBoolean(gpu)).contains(true);
    }
    for (String no : new String[] {"false", "0", "No", "off"}) {
      assertThat(env(gpu.name(), no).getBoolean(gpu)).contains(false);
    }
    assertThat(ConfigProperties.of(Map.of()).getBoolean(gpu, true)).isTrue();
    assertThatThrownBy(() -> env(gpu.name(), "maybe").getBoolean(gpu))
        .hasMessage("RUNSTREAM_GPU_TAG must be true or false, got 'maybe'");
  }

  @Test
  void shouldNameTheConstantsOfAnEnum() {
    assertThat(env("RUNSTREAM_MODE", "Seconds").getEnum(Settings.MODE, TimeUnit.class))
        .contains(TimeUnit.SECONDS);
    assertThatThrownBy(
            () -> env("RUNSTREAM_MODE", "sometimes").getEnum(Settings.MODE, TimeUnit.class))
        .hasMessage(
            "RUNSTREAM_MODE must be one of nanoseconds, microseconds, milliseconds, seconds,"
                + " minutes, hours, days, got 'sometimes'");
    assertThat(env("RUNSTREAM_DIR", "a/b").getPath(Settings.DIR)).contains(Path.of("a/b"));
    assertThatThrownBy(() -> env("RUNSTREAM_DIR", "a\0b").getPath(Settings.DIR))
        .hasMessageStartingWith("RUNSTREAM_DIR must be a path, got 'a\0b'");
  }

  @Test
  void shouldReadListsAndMaps() {
    assertThat(env("RUNSTREAM_TAGS", " a, ,b ,").getList(Settings.TAGS)).containsExactly("a", "b");
    assertThat(ConfigProperties.of(Map.of()).getList(Settings.TAGS)).isEmpty();
    assertThat(
            env("RUNSTREAM_KAFKA_PROPERTIES", "acks = 1, sasl.jaas.config=a=b ,,")
                .getMap(Settings.KAFKA_PROPERTIES))
        .containsExactly(Map.entry("acks", "1"), Map.entry("sasl.jaas.config", "a=b"));
    assertThatThrownBy(
            () ->
                env("RUNSTREAM_KAFKA_PROPERTIES", "sasl.password=secret,acks")
                    .getMap(Settings.KAFKA_PROPERTIES))
        .hasMessage(
            "RUNSTREAM_KAFKA_PROPERTIES must be comma-separated key=value pairs: 'acks' is not one")
        .hasMessageNotContaining("secret");
    assertThatThrownBy(
            () -> env("RUNSTREAM_KAFKA_PROPERTIES", " =1").getMap(Settings.KAFKA_PROPERTIES))
        .hasMessageContaining("'=1' is not one");
  }

  @Test
  void shouldTreatBlankAsUnsetAndNameARequiredSetting() {
    ConfigProperties config = env("CLICKHOUSE_URL", "  ");
    assertThat(config.getString(Settings.CLICKHOUSE_URL)).isEmpty();
    assertThat(config.getString(Settings.CLICKHOUSE_URL, "x")).isEqualTo("x");
    assertThatThrownBy(() -> config.require(Settings.CLICKHOUSE_URL))
        .hasMessage("CLICKHOUSE_URL must be set");
    assertThatThrownBy(() -> config.require(Settings.KAFKA_BOOTSTRAP))
        .hasMessage("RUNSTREAM_KAFKA_BOOTSTRAP (or KAFKA_BOOTSTRAP) must be set");
    assertThat(env("CLICKHOUSE_URL", " http://h:1 ").require(Settings.CLICKHOUSE_URL))
        .isEqualTo("http://h:1");
  }

  @Test
  void shouldRefuseABlankValueWhereUnsetMeansSomethingElse() {
    assertThatThrownBy(() -> env("RUNSTREAM_TEAM", " ").getString(Settings.TEAM))
        .hasMessage("RUNSTREAM_TEAM is set but blank: unset it or give a value");
    assertThat(ConfigProperties.of(Map.of()).getString(Settings.TEAM)).isEmpty();
  }

  @Test
  void shouldReadAnAliasWhenTheNameIsUnsetAndNameTheOneRead() {
    assertThat(env("KAFKA_BOOTSTRAP", "k:1").require(Settings.KAFKA_BOOTSTRAP)).isEqualTo("k:1");
    assertThat(env("KAFKA_BOOTSTRAP", "k:1").nameSet(Settings.KAFKA_BOOTSTRAP))
        .contains("KAFKA_BOOTSTRAP");
    assertThat(ConfigProperties.of(Map.of()).nameSet(Settings.KAFKA_BOOTSTRAP)).isEmpty();
    assertThat(
            ConfigProperties.of(
                    Map.of("KAFKA_BOOTSTRAP", "old:1", "RUNSTREAM_KAFKA_BOOTSTRAP", "new:1"))
                .require(Settings.KAFKA_BOOTSTRAP))
        .isEqualTo("new:1");
    assertThatThrownBy(
            () ->
                env("KAFKA_BOOTSTRAP", "nowhere")
                    .get(
                        Settings.KAFKA_BOOTSTRAP,
                        v -> {
                          throw new IllegalArgumentException("must be host:port");
                        }))
        .hasMessage("KAFKA_BOOTSTRAP: must be host:port, got 'nowhere'");
  }

  @Test
  void shouldRefuseASettingThatIsNotInTheCatalogue() {
    Setting madeUp = Setting.of("RUNSTREAM_MADE_UP", "", "not catalogued");
    assertThatThrownBy(() -> env("RUNSTREAM_MADE_UP", "1").getString(madeUp))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("RUNSTREAM_MADE_UP is not in Settings");
  }
}
