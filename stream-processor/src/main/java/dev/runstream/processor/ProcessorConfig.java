package dev.runstream.processor;

import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Severity;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.KafkaClients;
import dev.runstream.schemas.config.Setting;
import dev.runstream.schemas.config.Settings;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
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
 * @param kafkaProperties the user's Kafka client properties (SASL, TLS), over runstream's own in
 *     every client the processor makes ({@link KafkaClients}); none by default
 */
public record ProcessorConfig(
    String kafkaBootstrap,
    String schemaRegistryUrl,
    String applicationId,
    Topics topics,
    Path stateDir,
    MonitorSettings monitor,
    NotifierConfig notifier,
    Map<String, String> kafkaProperties) {

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
    kafkaProperties = Map.copyOf(Objects.requireNonNull(kafkaProperties, "kafkaProperties"));
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
        NotifierConfig.none(),
        Map.of());
  }

  /** These settings with another application id. */
  public ProcessorConfig withApplicationId(String id) {
    return new ProcessorConfig(
        kafkaBootstrap,
        schemaRegistryUrl,
        id,
        topics,
        stateDir,
        monitor,
        notifier,
        kafkaProperties);
  }

  /** These settings with other topics. */
  public ProcessorConfig withTopics(Topics t) {
    return new ProcessorConfig(
        kafkaBootstrap,
        schemaRegistryUrl,
        applicationId,
        t,
        stateDir,
        monitor,
        notifier,
        kafkaProperties);
  }

  /** These settings with other monitoring. */
  public ProcessorConfig withMonitor(MonitorSettings m) {
    return new ProcessorConfig(
        kafkaBootstrap,
        schemaRegistryUrl,
        applicationId,
        topics,
        stateDir,
        m,
        notifier,
        kafkaProperties);
  }

  /** These settings with other webhooks. */
  public ProcessorConfig withNotifier(NotifierConfig n) {
    return new ProcessorConfig(
        kafkaBootstrap,
        schemaRegistryUrl,
        applicationId,
        topics,
        stateDir,
        monitor,
        n,
        kafkaProperties);
  }

  /** These settings with other Kafka client properties (see {@link KafkaClients}). */
  public ProcessorConfig withKafkaProperties(Map<String, String> properties) {
    return new ProcessorConfig(
        kafkaBootstrap,
        schemaRegistryUrl,
        applicationId,
        topics,
        stateDir,
        monitor,
        notifier,
        properties);
  }

  /** How often changed summaries are published. */
  public Duration publishInterval() {
    return monitor.publishInterval();
  }

  /**
   * Reads the settings from environment variables ({@link Settings}); every one but the servers is
   * optional:
   *
   * <ul>
   *   <li>{@code RUNSTREAM_KAFKA_BOOTSTRAP} or {@code KAFKA_BOOTSTRAP}, {@code
   *       RUNSTREAM_SCHEMA_REGISTRY_URL} or {@code SCHEMA_REGISTRY_URL}: the servers (required)
   *   <li>{@code RUNSTREAM_KAFKA_PROPERTIES_FILE}, {@code RUNSTREAM_KAFKA_PROPERTIES}: Kafka client
   *       properties (SASL, TLS) for every client the processor makes
   *   <li>{@code RUNSTREAM_TOPIC_PREFIX} (default {@code runstream.}), {@code
   *       RUNSTREAM_PROCESSOR_APPLICATION_ID} (default {@value #DEFAULT_APPLICATION_ID}), {@code
   *       RUNSTREAM_STATE_DIR} (default {@code $TMPDIR/runstream-streams})
   *   <li>{@code RUNSTREAM_SUMMARY_INTERVAL_MS} (1s), {@code RUNSTREAM_LIVENESS_CHECK_MS} (5s),
   *       {@code RUNSTREAM_UNRESPONSIVE_AFTER_MS} (2m), {@code RUNSTREAM_STALLED_AFTER_MS} (10m),
   *       {@code RUNSTREAM_CRASHED_AFTER_MS} (10m), {@code RUNSTREAM_STATE_RETENTION_MS} (7d):
   *       durations with a unit ({@code 90s}), ISO-8601 ({@code PT2M}) or milliseconds
   *   <li>{@code RUNSTREAM_EMA_ALPHA} (0.1)
   *   <li>{@code RUNSTREAM_TEAM}: the team that owns the topics ({@link MonitorSettings#team()})
   *   <li>{@code RUNSTREAM_DETECTORS_FILE}: a properties file of {@link DetectorRules}
   *   <li>{@code RUNSTREAM_WEBHOOK_URLS}, {@code RUNSTREAM_SLACK_WEBHOOK_URLS} (comma-separated),
   *       {@code RUNSTREAM_WEBHOOK_MIN_SEVERITY} (INFO), {@code RUNSTREAM_WEBHOOK_ATTEMPTS} (5),
   *       {@code RUNSTREAM_WEBHOOK_BACKOFF_MS} (500ms)
   * </ul>
   *
   * @throws IllegalArgumentException naming the variable that is missing or wrong
   */
  public static ProcessorConfig fromEnv(Map<String, String> env) {
    return fromEnv(ConfigProperties.of(env));
  }

  /** {@link #fromEnv(Map)} over configuration already read. */
  public static ProcessorConfig fromEnv(ConfigProperties env) {
    return read(
        env,
        env.getString(Settings.KAFKA_BOOTSTRAP).orElse(null),
        env.getString(Settings.SCHEMA_REGISTRY_URL).orElse(null),
        Path.of(System.getProperty("java.io.tmpdir"), "runstream-streams"));
  }

  /**
   * The settings of {@link #fromEnv(Map)} for the given servers, which the server variables of
   * {@code env} do not change: how a launcher that starts the servers itself configures the
   * processor.
   *
   * @param defaultStateDir the state directory unless {@code RUNSTREAM_STATE_DIR} names one
   * @throws IllegalArgumentException naming the variable that is wrong
   */
  public static ProcessorConfig forServers(
      ConfigProperties env, String kafkaBootstrap, String schemaRegistryUrl, Path defaultStateDir) {
    return read(
        env,
        kafkaBootstrap,
        schemaRegistryUrl,
        Objects.requireNonNull(defaultStateDir, "defaultStateDir"));
  }

  private static ProcessorConfig read(
      ConfigProperties env, String kafkaBootstrap, String schemaRegistryUrl, Path defaultStateDir) {
    MonitorSettings.Builder monitor = MonitorSettings.builder();
    env.getDuration(Settings.SUMMARY_INTERVAL).ifPresent(monitor::publishInterval);
    env.getDuration(Settings.LIVENESS_CHECK).ifPresent(monitor::livenessCheckInterval);
    env.getDuration(Settings.UNRESPONSIVE_AFTER).ifPresent(monitor::unresponsiveAfter);
    env.getDuration(Settings.STALLED_AFTER).ifPresent(monitor::stalledAfter);
    env.getDuration(Settings.CRASHED_AFTER).ifPresent(monitor::crashedAfter);
    env.getDuration(Settings.STATE_RETENTION).ifPresent(monitor::stateRetention);
    env.getDouble(Settings.EMA_ALPHA).ifPresent(monitor::emaAlpha);
    env.getString(Settings.TEAM).ifPresent(monitor::team);
    env.getPath(Settings.DETECTORS_FILE).ifPresent(file -> monitor.detectors(readDetectors(file)));
    NotifierConfig notifier =
        new NotifierConfig(
            urls(env, Settings.WEBHOOK_URLS),
            urls(env, Settings.SLACK_WEBHOOK_URLS),
            env.getEnum(Settings.WEBHOOK_MIN_SEVERITY, Severity.class).orElse(Severity.INFO),
            env.getInt(Settings.WEBHOOK_ATTEMPTS, NotifierConfig.DEFAULT_MAX_ATTEMPTS),
            env.getDuration(Settings.WEBHOOK_BACKOFF, NotifierConfig.DEFAULT_INITIAL_BACKOFF),
            NotifierConfig.DEFAULT_MAX_BACKOFF,
            NotifierConfig.DEFAULT_REQUEST_TIMEOUT);
    Topics topics = env.get(Settings.TOPIC_PREFIX, Topics::withPrefix).orElseGet(Topics::defaults);
    Path stateDir = env.getPath(Settings.STATE_DIR).orElse(defaultStateDir);
    return new ProcessorConfig(
        kafkaBootstrap,
        schemaRegistryUrl,
        env.getString(Settings.PROCESSOR_APPLICATION_ID, DEFAULT_APPLICATION_ID),
        topics,
        stateDir,
        monitor.build(),
        notifier,
        KafkaClients.userProperties(env));
  }

  /** The Kafka clients of these settings: the servers and the user's client properties. */
  public KafkaClients kafkaClients() {
    return KafkaClients.of(kafkaBootstrap, kafkaProperties);
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

  private static List<URI> urls(ConfigProperties env, Setting setting) {
    List<URI> uris = new ArrayList<>();
    for (String part : env.getList(setting)) {
      try {
        URI uri = URI.create(part);
        if (uri.getScheme() == null
            || !uri.getScheme().toLowerCase(Locale.ROOT).startsWith("http")
            || uri.getHost() == null) {
          throw new IllegalArgumentException("not an http(s) URL");
        }
        uris.add(uri);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            setting.name() + " must be comma-separated http(s) URLs: " + part, e);
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

  private static void requireText(String value, String setting) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(setting + " must be set");
    }
  }
}
