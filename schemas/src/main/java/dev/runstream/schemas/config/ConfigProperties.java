package dev.runstream.schemas.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one reader of configuration, after OpenTelemetry's {@code DefaultConfigProperties}: typed
 * getters over environment variables, each taking a {@link Setting} of {@link Settings}. A blank
 * value counts as unset, unless the setting refuses it ({@link Setting#blankIsError()}). Every
 * error is an {@link IllegalArgumentException} whose message names the variable and quotes the
 * value ({@code NAME must be a whole number, got 'x'}, {@code NAME: <what the setter said>, got
 * 'x'}), so a configuration mistake stops start-up with a message a person can act on.
 *
 * <p>Durations: a number and a unit, {@code ms}, {@code s}, {@code m}, {@code h} or {@code d}
 * ({@code 500ms}, {@code 1.5s}, {@code 2d}), or ISO-8601 ({@code PT2M}); a number without a unit
 * counts in the setting's {@link Setting#bareNumberUnit()}. Lists are comma-separated; maps are
 * comma-separated {@code key=value} pairs.
 *
 * <p>Immutable and thread-safe.
 */
public final class ConfigProperties {
  private static final Pattern NUMBER_AND_UNIT =
      Pattern.compile("([+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+))\\s*([a-zA-Z]*)");

  private final Map<String, String> values;

  private ConfigProperties(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /** Configuration read from {@code env} (for tests and launchers; usually the environment). */
  public static ConfigProperties of(Map<String, String> env) {
    Map<String, String> copy = new LinkedHashMap<>();
    Objects.requireNonNull(env, "env")
        .forEach(
            (k, v) -> {
              if (k != null && v != null) {
                copy.put(k, v);
              }
            });
    return new ConfigProperties(copy);
  }

  /** Configuration read from the process's environment variables. */
  public static ConfigProperties fromEnvironment() {
    return of(System.getenv());
  }

  /** The raw value, stripped, of the first of the setting's names that is set and not blank. */
  public Optional<String> getString(Setting setting) {
    return raw(setting).map(Raw::value);
  }

  /**
   * The name under which the setting is set (its own or an alias), for messages that say where a
   * value came from; empty when it is unset.
   */
  public Optional<String> nameSet(Setting setting) {
    return raw(setting).map(Raw::name);
  }

  /** {@link #getString(Setting)}, or {@code defaultValue}. */
  public String getString(Setting setting, String defaultValue) {
    return getString(setting).orElse(defaultValue);
  }

  /**
   * The value of a required setting.
   *
   * @throws IllegalArgumentException "NAME must be set" when it is unset or blank
   */
  public String require(Setting setting) {
    return getString(setting)
        .orElseThrow(() -> new IllegalArgumentException(setting.label() + " must be set"));
  }

  /** A whole number that fits an {@code int}. */
  public Optional<Integer> getInt(Setting setting) {
    return get(setting, v -> Integer.parseInt(v), "a whole number");
  }

  /** {@link #getInt(Setting)}, or {@code defaultValue}. */
  public int getInt(Setting setting, int defaultValue) {
    return getInt(setting).orElse(defaultValue);
  }

  /** A whole number that fits a {@code long}. */
  public Optional<Long> getLong(Setting setting) {
    return get(setting, v -> Long.parseLong(v), "a whole number");
  }

  /** {@link #getLong(Setting)}, or {@code defaultValue}. */
  public long getLong(Setting setting, long defaultValue) {
    return getLong(setting).orElse(defaultValue);
  }

  /** A finite decimal number. */
  public Optional<Double> getDouble(Setting setting) {
    return get(
        setting,
        v -> {
          double d = Double.parseDouble(v);
          if (!Double.isFinite(d)) {
            throw new NumberFormatException(v);
          }
          return d;
        },
        "a number");
  }

  /** {@link #getDouble(Setting)}, or {@code defaultValue}. */
  public double getDouble(Setting setting, double defaultValue) {
    return getDouble(setting).orElse(defaultValue);
  }

  /** {@code true}, {@code yes}, {@code on}, {@code 1}, or their opposites, in any case. */
  public Optional<Boolean> getBoolean(Setting setting) {
    return get(
        setting,
        v ->
            switch (v.toLowerCase(Locale.ROOT)) {
              case "true", "1", "yes", "on" -> true;
              case "false", "0", "no", "off" -> false;
              default -> throw new IllegalArgumentException();
            },
        "true or false");
  }

  /** {@link #getBoolean(Setting)}, or {@code defaultValue}. */
  public boolean getBoolean(Setting setting, boolean defaultValue) {
    return getBoolean(setting).orElse(defaultValue);
  }

  /** A duration; see the class comment. May be zero or negative: callers check the range. */
  public Optional<Duration> getDuration(Setting setting) {
    ChronoUnit unit = setting.bareNumberUnit();
    return get(setting, v -> parseDuration(v, unit), "a duration: " + accepted(unit));
  }

  /** {@link #getDuration(Setting)}, or {@code defaultValue}. */
  public Duration getDuration(Setting setting, Duration defaultValue) {
    return getDuration(setting).orElse(defaultValue);
  }

  /** The stripped, non-blank items of a comma-separated list; empty when unset. */
  public List<String> getList(Setting setting) {
    List<String> items = new ArrayList<>();
    getString(setting)
        .ifPresent(
            v -> {
              for (String item : v.split(",")) {
                if (!item.isBlank()) {
                  items.add(item.strip());
                }
              }
            });
    return List.copyOf(items);
  }

  /**
   * Comma-separated {@code key=value} pairs, in their order; keys and values stripped, a value may
   * hold {@code =}. Empty when unset.
   *
   * @throws IllegalArgumentException when a pair has no {@code =} or an empty key
   */
  public Map<String, String> getMap(Setting setting) {
    Map<String, String> map = new LinkedHashMap<>();
    raw(setting)
        .ifPresent(
            r -> {
              for (String pair : r.value().split(",")) {
                if (pair.isBlank()) {
                  continue;
                }
                int eq = pair.indexOf('=');
                if (eq <= 0 || pair.substring(0, eq).isBlank()) {
                  // Not the whole value: other pairs may hold secrets (sasl.jaas.config).
                  throw new IllegalArgumentException(
                      r.name()
                          + " must be comma-separated key=value pairs: '"
                          + pair.strip()
                          + "' is not one");
                }
                map.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
              }
            });
    return map;
  }

  /** One of {@code type}'s constants, in any case. */
  public <E extends Enum<E>> Optional<E> getEnum(Setting setting, Class<E> type) {
    List<String> names = new ArrayList<>();
    for (E constant : type.getEnumConstants()) {
      names.add(constant.name().toLowerCase(Locale.ROOT));
    }
    return get(
        setting,
        v -> Enum.valueOf(type, v.toUpperCase(Locale.ROOT)),
        "one of " + String.join(", ", names));
  }

  /** A file system path. */
  public Optional<Path> getPath(Setting setting) {
    return get(setting, Path::of, "a path");
  }

  /**
   * The value given to {@code parse}, which validates it as a typed setter does; an {@link
   * IllegalArgumentException} it throws comes out with the variable and value in front of its
   * message.
   */
  public <T> Optional<T> get(Setting setting, Function<String, ? extends T> parse) {
    return raw(setting).map(r -> r.parse(parse));
  }

  /**
   * Gives the value a typed getter reads (e.g. {@code this::getInt}), if set, to a setter that
   * validates it, as a builder's does: {@code env.set(Settings.SINK_BATCH_MAX_ROWS, env::getInt,
   * builder::batchMaxRows)}. An {@link IllegalArgumentException} the setter throws comes out with
   * the variable and value in it.
   */
  public <T> void set(
      Setting setting, Function<Setting, Optional<T>> getter, Consumer<? super T> setter) {
    getter
        .apply(setting)
        .ifPresent(
            value ->
                get(
                    setting,
                    raw -> {
                      setter.accept(value);
                      return value;
                    }));
  }

  private <T> Optional<T> get(Setting setting, Function<String, ? extends T> parse, String what) {
    return raw(setting)
        .map(
            r -> {
              try {
                return parse.apply(r.value());
              } catch (IllegalArgumentException e) {
                throw r.invalid(what, e);
              }
            });
  }

  private Optional<Raw> raw(Setting setting) {
    Objects.requireNonNull(setting, "setting");
    if (!Settings.isCatalogued(setting)) {
      // One place names every variable; a setting made up elsewhere would not be documented.
      throw new IllegalStateException(setting.name() + " is not in Settings");
    }
    List<String> names = new ArrayList<>();
    names.add(setting.name());
    names.addAll(setting.aliases());
    for (String name : names) {
      String value = values.get(name);
      if (value != null && !value.isBlank()) {
        return Optional.of(new Raw(name, value.strip()));
      }
      if (value != null && setting.blankIsError()) {
        throw new IllegalArgumentException(name + " is set but blank: unset it or give a value");
      }
    }
    return Optional.empty();
  }

  /**
   * Parses a duration as {@link #getDuration} does.
   *
   * @param bareNumberUnit the unit of a number without one; null when a unit is required
   * @throws IllegalArgumentException saying what is accepted
   */
  public static Duration parseDuration(String value, ChronoUnit bareNumberUnit) {
    String v = Objects.requireNonNull(value, "value").strip();
    String accepted = accepted(bareNumberUnit);
    if (v.startsWith("P") || v.startsWith("p") || v.startsWith("-P") || v.startsWith("-p")) {
      try {
        return Duration.parse(v);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("not a duration: use " + accepted, e);
      }
    }
    Matcher m = NUMBER_AND_UNIT.matcher(v);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration: use " + accepted);
    }
    String unitText = m.group(2).toLowerCase(Locale.ROOT);
    ChronoUnit unit =
        switch (unitText) {
          case "" -> bareNumberUnit;
          case "ms" -> ChronoUnit.MILLIS;
          case "s" -> ChronoUnit.SECONDS;
          case "m" -> ChronoUnit.MINUTES;
          case "h" -> ChronoUnit.HOURS;
          case "d" -> ChronoUnit.DAYS;
          default ->
              throw new IllegalArgumentException(
                  "unknown unit '" + m.group(2) + "': use " + accepted);
        };
    if (unit == null) {
      throw new IllegalArgumentException("a duration needs a unit: use " + accepted);
    }
    double nanos = Double.parseDouble(m.group(1)) * unit.getDuration().toNanos();
    if (Math.abs(nanos) >= Long.MAX_VALUE) {
      throw new IllegalArgumentException("too long a duration: " + v);
    }
    return Duration.ofNanos(Math.round(nanos));
  }

  private static String accepted(ChronoUnit bareNumberUnit) {
    return "a number with a unit (500ms, 10s, 5m, 1h, 2d) or ISO-8601 (PT10S)"
        + (bareNumberUnit == null
            ? ""
            : "; a number alone counts in " + bareNumberUnit.toString().toLowerCase(Locale.ROOT));
  }

  /** A value as found: the name it was found under (an alias, perhaps) and the stripped text. */
  private record Raw(String name, String value) {
    <T> T parse(Function<String, ? extends T> parse) {
      try {
        return parse.apply(value);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(name + ": " + e.getMessage() + got(), e);
      }
    }

    IllegalArgumentException invalid(String expected, Exception cause) {
      return new IllegalArgumentException(name + " must be " + expected + got(), cause);
    }

    private String got() {
      // A secret stays out of messages, which end up in logs.
      return name.contains("PASSWORD") ? "" : ", got '" + value + "'";
    }
  }
}
