package dev.runstream.processor;

import dev.runstream.processor.internal.Glob;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which {@link DetectorSettings} apply to a metric of a project: the defaults, then every matching
 * override in order, each changing only the keys it sets. Immutable and thread-safe.
 *
 * <p>Read from properties (a file named by {@code RUNSTREAM_DETECTORS_FILE}):
 *
 * <pre>
 * # defaults for every project and metric (these are the built-in values)
 * nonfinite.enabled=true
 * divergence.enabled=true
 * divergence.factor=3.0
 * divergence.spread-factor=0.5
 * divergence.noise-z=4.0
 * divergence.points=5
 * divergence.warmup=50
 * spike.enabled=true
 * spike.z=8.0
 * spike.warmup=30
 * plateau.enabled=true
 * plateau.steps=1000
 * plateau.epsilon=0.01
 *
 * # overrides, applied in the order of their number; globs use * and ?
 * rule.1.project=tinyllm*
 * rule.1.metric=val_*
 * rule.1.divergence.factor=5
 * rule.2.metric=grad_norm
 * rule.2.nonfinite.enabled=false
 * </pre>
 *
 * An override without {@code project} or {@code metric} matches every project or metric. Unknown
 * keys and bad values fail with a message naming the key.
 */
public final class DetectorRules {
  /** The property keys a default or an override may set. */
  public static final Set<String> KEYS =
      Set.of(
          "nonfinite.enabled",
          "divergence.enabled",
          "divergence.factor",
          "divergence.spread-factor",
          "divergence.noise-z",
          "divergence.points",
          "divergence.warmup",
          "spike.enabled",
          "spike.z",
          "spike.warmup",
          "plateau.enabled",
          "plateau.steps",
          "plateau.epsilon");

  private static final Pattern RULE_KEY = Pattern.compile("rule\\.(\\d+)\\.(.+)");

  private final DetectorSettings defaults;
  private final List<Override> overrides;

  private DetectorRules(DetectorSettings defaults, List<Override> overrides) {
    this.defaults = Objects.requireNonNull(defaults, "defaults");
    this.overrides = List.copyOf(overrides);
  }

  /** The built-in defaults for every project and metric. */
  public static DetectorRules defaults() {
    return new DetectorRules(DetectorSettings.defaults(), List.of());
  }

  /** The given settings for every project and metric. */
  public static DetectorRules of(DetectorSettings settings) {
    return new DetectorRules(settings, List.of());
  }

  /**
   * These rules plus an override, applied after the existing ones.
   *
   * @param projectGlob projects it applies to ({@code *} for all)
   * @param metricGlob metric names it applies to ({@code *} for all)
   * @param settings property keys of {@link #KEYS} and their values
   * @throws IllegalArgumentException naming the key that is unknown or whose value is wrong
   */
  public DetectorRules withOverride(
      String projectGlob, String metricGlob, Map<String, String> settings) {
    Override override =
        new Override(
            Glob.pattern(projectGlob),
            Glob.pattern(metricGlob),
            new LinkedHashMap<>(settings),
            "override.");
    override.applyTo(defaults); // validates now rather than on the first matching metric
    List<Override> all = new ArrayList<>(overrides);
    all.add(override);
    return new DetectorRules(defaults, all);
  }

  /**
   * Reads rules from properties as shown in the class comment.
   *
   * @throws IllegalArgumentException naming the key that is unknown or whose value is wrong
   */
  public static DetectorRules fromProperties(Properties properties) {
    Map<String, String> base = new LinkedHashMap<>();
    Map<Integer, Map<String, String>> rules = new TreeMap<>();
    for (String key : new TreeMap<>(toMap(properties)).keySet()) {
      String value = properties.getProperty(key).trim();
      Matcher m = RULE_KEY.matcher(key);
      if (m.matches()) {
        String sub = m.group(2);
        if (!KEYS.contains(sub) && !sub.equals("project") && !sub.equals("metric")) {
          throw new IllegalArgumentException("unknown detector setting " + key);
        }
        rules
            .computeIfAbsent(Integer.parseInt(m.group(1)), i -> new LinkedHashMap<>())
            .put(sub, value);
      } else if (KEYS.contains(key)) {
        base.put(key, value);
      } else {
        throw new IllegalArgumentException(
            "unknown detector setting "
                + key
                + " (known: "
                + new TreeMap<>(toKeyMap()).keySet()
                + ")");
      }
    }
    DetectorSettings defaults = apply(DetectorSettings.defaults(), base, "");
    List<Override> overrides = new ArrayList<>();
    for (var rule : rules.entrySet()) {
      Map<String, String> settings = new LinkedHashMap<>(rule.getValue());
      String project = settings.remove("project");
      String metric = settings.remove("metric");
      Override override =
          new Override(
              Glob.pattern(project == null ? "*" : project),
              Glob.pattern(metric == null ? "*" : metric),
              settings,
              "rule." + rule.getKey() + ".");
      override.applyTo(defaults);
      overrides.add(override);
    }
    return new DetectorRules(defaults, overrides);
  }

  /** The settings for {@code metric} of {@code project}. */
  public DetectorSettings resolve(String project, String metric) {
    DetectorSettings settings = defaults;
    for (Override override : overrides) {
      if (override.project.matcher(project).matches()
          && override.metric.matcher(metric).matches()) {
        settings = override.applyTo(settings);
      }
    }
    return settings;
  }

  /** The settings for metrics no override matches. */
  public DetectorSettings defaultSettings() {
    return defaults;
  }

  /** How many overrides there are. */
  public int overrideCount() {
    return overrides.size();
  }

  private record Override(
      Pattern project, Pattern metric, Map<String, String> settings, String keyPrefix) {
    DetectorSettings applyTo(DetectorSettings base) {
      return apply(base, settings, keyPrefix);
    }
  }

  private static DetectorSettings apply(
      DetectorSettings s, Map<String, String> settings, String keyPrefix) {
    for (var e : settings.entrySet()) {
      String key = keyPrefix + e.getKey();
      String v = e.getValue();
      try {
        s =
            switch (e.getKey()) {
              case "nonfinite.enabled" -> s.withNonFinite(bool(key, v));
              case "divergence.enabled" ->
                  s.withDivergence(
                      bool(key, v),
                      s.divergenceFactor(),
                      s.divergenceSpreadFactor(),
                      s.divergencePoints(),
                      s.divergenceWarmup());
              case "divergence.factor" ->
                  s.withDivergence(
                      s.divergenceEnabled(),
                      num(key, v),
                      s.divergenceSpreadFactor(),
                      s.divergencePoints(),
                      s.divergenceWarmup());
              case "divergence.spread-factor" ->
                  s.withDivergence(
                      s.divergenceEnabled(),
                      s.divergenceFactor(),
                      num(key, v),
                      s.divergencePoints(),
                      s.divergenceWarmup());
              case "divergence.noise-z" ->
                  new DetectorSettings(
                      s.nonFiniteEnabled(),
                      s.divergenceEnabled(),
                      s.divergenceFactor(),
                      s.divergenceSpreadFactor(),
                      num(key, v),
                      s.divergencePoints(),
                      s.divergenceWarmup(),
                      s.spikeEnabled(),
                      s.spikeZ(),
                      s.spikeWarmup(),
                      s.plateauEnabled(),
                      s.plateauSteps(),
                      s.plateauEpsilon());
              case "divergence.points" ->
                  s.withDivergence(
                      s.divergenceEnabled(),
                      s.divergenceFactor(),
                      s.divergenceSpreadFactor(),
                      (int) integer(key, v),
                      s.divergenceWarmup());
              case "divergence.warmup" ->
                  s.withDivergence(
                      s.divergenceEnabled(),
                      s.divergenceFactor(),
                      s.divergenceSpreadFactor(),
                      s.divergencePoints(),
                      (int) integer(key, v));
              case "spike.enabled" -> s.withSpike(bool(key, v), s.spikeZ(), s.spikeWarmup());
              case "spike.z" -> s.withSpike(s.spikeEnabled(), num(key, v), s.spikeWarmup());
              case "spike.warmup" ->
                  s.withSpike(s.spikeEnabled(), s.spikeZ(), (int) integer(key, v));
              case "plateau.enabled" ->
                  s.withPlateau(bool(key, v), s.plateauSteps(), s.plateauEpsilon());
              case "plateau.steps" ->
                  s.withPlateau(s.plateauEnabled(), integer(key, v), s.plateauEpsilon());
              case "plateau.epsilon" ->
                  s.withPlateau(s.plateauEnabled(), s.plateauSteps(), num(key, v));
              default -> throw new IllegalArgumentException("unknown detector setting " + key);
            };
      } catch (IllegalArgumentException ex) {
        if (ex.getMessage() != null && ex.getMessage().contains(key)) {
          throw ex;
        }
        // The record names the bare key; say which line of the configuration it came from.
        throw new IllegalArgumentException(key + ": " + ex.getMessage(), ex);
      }
    }
    return s;
  }

  private static boolean bool(String key, String v) {
    if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(v);
    }
    throw new IllegalArgumentException("detector setting " + key + " must be true or false: " + v);
  }

  private static double num(String key, String v) {
    try {
      double d = Double.parseDouble(v);
      if (Double.isFinite(d)) {
        return d;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("detector setting " + key + " must be a number: " + v);
  }

  private static long integer(String key, String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "detector setting " + key + " must be a whole number: " + v, e);
    }
  }

  private static Map<String, String> toMap(Properties properties) {
    Map<String, String> map = new LinkedHashMap<>();
    for (String key : properties.stringPropertyNames()) {
      map.put(key, properties.getProperty(key));
    }
    return map;
  }

  private static Map<String, Boolean> toKeyMap() {
    Map<String, Boolean> map = new TreeMap<>();
    for (String key : KEYS) {
      map.put(key, true);
    }
    return Collections.unmodifiableMap(map);
  }
}
