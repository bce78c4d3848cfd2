package dev.runstream.processor;

import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Severity;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Settings of the stream processor. Build with {@link #of(String, String, Path)} and the {@code
 * with*} methods, or read from the environment with {@link #fromEnv(Map)}. Immutable and
 * thread-safe.
 *
 * @param kafkaBootstrap Kafka bootstrap servers
 * @param schemaRegistryUrl the registry's Confluent-compatible base URL
 * @param applicationId the Kafka Streams application id (consumer group, state prefix)
 * @param topics the team's topics
 * @param stateDir where state stores live
 * @param monitor liveness timeouts, retention, smoothing and detectors
 * @param notifier the webhooks alerts are posted to; none by default
 */
public record ProcessorConfig(
    String kafkaBootstrap,
    String schemaRegistryUrl,
    String applicationId,
    Topics topics,
    Path stateDir,
    MonitorSettings monitor,
    NotifierConfig notifier) {

  private static final Pattern HOST_PORT =
      Pattern.compile("[^\\s:,]+:[0-9]{1,5}|\\[[0-9a-fA-F:.]+\\]:[0-9]{1,5}");

  /** The application id unless configured: {@value}. */
  public static final String DEFAULT_APPLICATION_ID = "runstream-processor";

  /**
   * Validates every value.
   *
   * @throws IllegalArgumentException naming the environment variable of {@link #fromEnv} whose
   *     value is missing or wrong
   */
  public ProcessorConfig {
    requireText(kafkaBootstrap, "KAFKA_BOOTSTRAP");
    for (String server : kafkaBootstrap.split(",")) {
      if (!HOST_PORT.matcher(server.trim()).matches()) {
        throw new IllegalArgumentException(
            "KAFKA_BOOTSTRAP must be comma-separated host:port pairs: " + kafkaBootstrap);
      }
    }
    requireText(schemaRegistryUrl, "SCHEMA_REGISTRY_URL");
    try {
      requireHttp(URI.create(schemaRegistryUrl.trim()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "SCHEMA_REGISTRY_URL must be an http(s) URL: " + schemaRegistryUrl, e);
    }
    requireText(applicationId, "RUNSTREAM_PROCESSOR_APPLICATION_ID");
    if (!applicationId.matches("[a-zA-Z0-9._-]+")) {
      // It prefixes the internal topics' names, so it is held to Kafka's topic name characters.
      throw new IllegalArgumentException(
          "RUNSTREAM_PROCESSOR_APPLICATION_ID may hold only letters, digits, '.', '_' and '-': "
              + applicationId);
    }
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(monitor, "monitor");
    Objects.requireNonNull(notifier, "notifier");
  }

  /** Settings with defaults for everything but the servers. */
  public static ProcessorConfig of(String kafkaBootstrap, String schemaRegistryUrl, Path stateDir) {
    return new ProcessorConfig(
        kafkaBootstrap,
        schemaRegistryUrl,
        DEFAULT_APPLICATION_ID,
        Topics.defaults(),
        stateDir,
        MonitorSettings.defaults(),
        NotifierConfig.none());
  }

  /** These settings with another application id. */
  public ProcessorConfig withApplicationId(String id) {
    return new ProcessorConfig(
        kafkaBootstrap, schemaRegistryUrl, id, topics, stateDir, monitor, notifier);
  }

  /** These settings with other topics. */
  public ProcessorConfig withTopics(Topics t) {
    return new ProcessorConfig(
        kafkaBootstrap, schemaRegistryUrl, applicationId, t, stateDir, monitor, notifier);
  }

  /** These settings with other monitoring. */
  public ProcessorConfig withMonitor(MonitorSettings m) {
    return new ProcessorConfig(
        kafkaBootstrap, schemaRegistryUrl, applicationId, topics, stateDir, m, notifier);
  }

  /** These settings with other webhooks. */
  public ProcessorConfig withNotifier(NotifierConfig n) {
    return new ProcessorConfig(
        kafkaBootstrap, schemaRegistryUrl, applicationId, topics, stateDir, monitor, n);
  }

  /** How often changed summaries are published. */
  public Duration publishInterval() {
    return monitor.publishInterval();
  }

  /**
   * Reads the settings from environment variables; every one but the first two is optional:
   *
   * <ul>
   *   <li>{@code KAFKA_BOOTSTRAP}, {@code SCHEMA_REGISTRY_URL}: the servers (required)
   *   <li>{@code RUNSTREAM_TOPIC_PREFIX} (default {@code runstream.}), {@code
   *       RUNSTREAM_PROCESSOR_APPLICATION_ID} (default {@value #DEFAULT_APPLICATION_ID}), {@code
   *       RUNSTREAM_STATE_DIR} (default {@code $TMPDIR/runstream-streams})
   *   <li>{@code RUNSTREAM_SUMMARY_INTERVAL_MS} (1000), {@code RUNSTREAM_LIVENESS_CHECK_MS} (5000),
   *       {@code RUNSTREAM_UNRESPONSIVE_AFTER_MS} (120000), {@code RUNSTREAM_STALLED_AFTER_MS}
   *       (600000), {@code RUNSTREAM_CRASHED_AFTER_MS} (600000), {@code
   *       RUNSTREAM_STATE_RETENTION_MS} (7 days): milliseconds, or ISO-8601 such as {@code PT2M}
   *   <li>{@code RUNSTREAM_EMA_ALPHA} (0.1)
   *   <li>{@code RUNSTREAM_TEAM}: the team that owns the topics ({@link MonitorSettings#team()})
   *   <li>{@code RUNSTREAM_DETECTORS_FILE}: a properties file of {@link DetectorRules}
   *   <li>{@code RUNSTREAM_WEBHOOK_URLS}, {@code RUNSTREAM_SLACK_WEBHOOK_URLS} (comma-separated),
   *       {@code RUNSTREAM_WEBHOOK_MIN_SEVERITY} (INFO), {@code RUNSTREAM_WEBHOOK_ATTEMPTS} (5),
   *       {@code RUNSTREAM_WEBHOOK_BACKOFF_MS} (500)
   * </ul>
   *
   * @throws IllegalArgumentException naming the variable that is missing or wrong
   */
  public static ProcessorConfig fromEnv(Map<String, String> env) {
    MonitorSettings.Builder monitor = MonitorSettings.builder();
    duration(env, "RUNSTREAM_SUMMARY_INTERVAL_MS").ifPresent(monitor::publishInterval);
    duration(env, "RUNSTREAM_LIVENESS_CHECK_MS").ifPresent(monitor::livenessCheckInterval);
    duration(env, "RUNSTREAM_UNRESPONSIVE_AFTER_MS").ifPresent(monitor::unresponsiveAfter);
    duration(env, "RUNSTREAM_STALLED_AFTER_MS").ifPresent(monitor::stalledAfter);
    duration(env, "RUNSTREAM_CRASHED_AFTER_MS").ifPresent(monitor::crashedAfter);
    duration(env, "RUNSTREAM_STATE_RETENTION_MS").ifPresent(monitor::stateRetention);
    String alpha = env.get("RUNSTREAM_EMA_ALPHA");
    if (alpha != null && !alpha.isBlank()) {
      try {
        monitor.emaAlpha(Double.parseDouble(alpha.trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("RUNSTREAM_EMA_ALPHA must be a number: " + alpha, e);
      }
    }
    String team = env.get("RUNSTREAM_TEAM");
    if (team != null) {
      monitor.team(team);
    }
    String detectorsFile = env.get("RUNSTREAM_DETECTORS_FILE");
    if (detectorsFile != null && !detectorsFile.isBlank()) {
      monitor.detectors(readDetectors(Path.of(detectorsFile.trim())));
    }
    NotifierConfig notifier =
        new NotifierConfig(
            urls(env, "RUNSTREAM_WEBHOOK_URLS"),
            urls(env, "RUNSTREAM_SLACK_WEBHOOK_URLS"),
            severity(env.getOrDefault("RUNSTREAM_WEBHOOK_MIN_SEVERITY", "INFO")),
            (int) number(env, "RUNSTREAM_WEBHOOK_ATTEMPTS", NotifierConfig.DEFAULT_MAX_ATTEMPTS),
            duration(env, "RUNSTREAM_WEBHOOK_BACKOFF_MS")
                .orElse(NotifierConfig.DEFAULT_INITIAL_BACKOFF),
            NotifierConfig.DEFAULT_MAX_BACKOFF,
            NotifierConfig.DEFAULT_REQUEST_TIMEOUT);
    Topics topics;
    try {
      topics = Topics.withPrefix(env.getOrDefault("RUNSTREAM_TOPIC_PREFIX", Topics.DEFAULT_PREFIX));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("RUNSTREAM_TOPIC_PREFIX: " + e.getMessage(), e);
    }
    Path stateDir;
    try {
      stateDir =
          Path.of(
              env.getOrDefault(
                  "RUNSTREAM_STATE_DIR",
                  System.getProperty("java.io.tmpdir") + "/runstream-streams"));
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("RUNSTREAM_STATE_DIR is not a path: " + e.getMessage(), e);
    }
    return new ProcessorConfig(
        env.get("KAFKA_BOOTSTRAP"),
        env.get("SCHEMA_REGISTRY_URL"),
        env.getOrDefault("RUNSTREAM_PROCESSOR_APPLICATION_ID", DEFAULT_APPLICATION_ID),
        topics,
        stateDir,
        monitor.build(),
        notifier);
  }

  private static DetectorRules readDetectors(Path file) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "RUNSTREAM_DETECTORS_FILE cannot be read: " + file + " (" + e + ")", e);
    }
    try {
      return DetectorRules.fromProperties(properties);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "RUNSTREAM_DETECTORS_FILE " + file + ": " + e.getMessage(), e);
    }
  }

  private static Optional<Duration> duration(Map<String, String> env, String name) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    String v = value.trim();
    try {
      return Optional.of(Duration.ofMillis(Long.parseLong(v)));
    } catch (NumberFormatException e) {
      try {
        return Optional.of(Duration.parse(v));
      } catch (DateTimeParseException e2) {
        throw new IllegalArgumentException(
            name + " must be milliseconds or an ISO-8601 duration such as PT2M: " + value, e2);
      }
    }
  }

  private static long number(Map<String, String> env, String name, long def) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return def;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number: " + value, e);
    }
  }

  private static List<URI> urls(Map<String, String> env, String name) {
    String value = env.get(name);
    List<URI> uris = new ArrayList<>();
    if (value == null || value.isBlank()) {
      return uris;
    }
    for (String part : value.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      try {
        URI uri = URI.create(part.trim());
        if (uri.getScheme() == null
            || !uri.getScheme().toLowerCase(Locale.ROOT).startsWith("http")
            || uri.getHost() == null) {
          throw new IllegalArgumentException("not an http(s) URL");
        }
        uris.add(uri);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            name + " must be comma-separated http(s) URLs: " + part.trim(), e);
      }
    }
    return uris;
  }

  private static void requireHttp(URI uri) {
    String scheme = uri.getScheme();
    if (scheme == null
        || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
        || uri.getHost() == null) {
      throw new IllegalArgumentException("not an http(s) URL: " + uri);
    }
  }

  private static Severity severity(String value) {
    try {
      return Severity.valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "RUNSTREAM_WEBHOOK_MIN_SEVERITY must be INFO, WARNING or CRITICAL: " + value, e);
    }
  }

  private static void requireText(String value, String setting) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(setting + " must be set");
    }
  }
}
