package dev.runstream.schemas.config;

import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * One configuration variable: its name, the older names still read after it, the default that
 * applies when it is unset, and what it does. Every setting runstream reads is a constant of {@link
 * Settings}.
 *
 * @param name the environment variable, e.g. {@code RUNSTREAM_TEAM}
 * @param aliases older names read when {@code name} is unset, first one first
 * @param defaultValue the default as a reader would write it ({@code 10s}, {@code runstream.}), or
 *     empty when unset means "none" or the value is required
 * @param description what the setting does, one sentence
 * @param bareNumberUnit for a duration, the unit of a number given without one ({@code 500} means
 *     500 ms or 500 s as this says); null for other settings, and for durations that need a unit
 * @param blankIsError whether a blank value is a mistake rather than "unset", for a setting whose
 *     absence changes what a program does (an unbound team reads every team's records)
 */
public record Setting(
    String name,
    List<String> aliases,
    String defaultValue,
    String description,
    ChronoUnit bareNumberUnit,
    boolean blankIsError) {

  /** Validates the name and copies the aliases. */
  public Setting {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[A-Z][A-Z0-9_]*")) {
      throw new IllegalArgumentException("a setting is an upper-case variable name: " + name);
    }
    aliases = List.copyOf(aliases);
    Objects.requireNonNull(defaultValue, "defaultValue");
    Objects.requireNonNull(description, "description");
  }

  /** A setting that is not a duration. */
  public static Setting of(String name, String defaultValue, String description) {
    return new Setting(name, List.of(), defaultValue, description, null, false);
  }

  /** A duration; a number without a unit counts in {@code bareNumberUnit}. */
  public static Setting duration(
      String name, ChronoUnit bareNumberUnit, String defaultValue, String description) {
    return new Setting(
        name,
        List.of(),
        defaultValue,
        description,
        Objects.requireNonNull(bareNumberUnit, "bareNumberUnit"),
        false);
  }

  /** This setting, also read from {@code alias} when {@code name} is unset. */
  public Setting alsoRead(String alias) {
    List<String> all = new java.util.ArrayList<>(aliases);
    all.add(alias);
    return new Setting(name, all, defaultValue, description, bareNumberUnit, blankIsError);
  }

  /** This setting, with a blank value refused instead of read as unset. */
  public Setting refusingBlank() {
    return new Setting(name, aliases, defaultValue, description, bareNumberUnit, true);
  }

  /** {@code NAME}, or {@code NAME (or ALIAS)}: how messages refer to the setting. */
  public String label() {
    return aliases.isEmpty() ? name : name + " (or " + String.join(", ", aliases) + ")";
  }
}
