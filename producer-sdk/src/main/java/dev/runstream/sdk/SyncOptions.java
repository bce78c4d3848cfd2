package dev.runstream.sdk;

import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.KafkaClients;
import dev.runstream.schemas.config.Settings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How {@link Runstream#sync} uploads a run directory. Kafka and registry settings default to the
 * same environment variables as {@link RunOptions} ({@code RUNSTREAM_KAFKA_BOOTSTRAP} or {@code
 * KAFKA_BOOTSTRAP}, {@code RUNSTREAM_SCHEMA_REGISTRY_URL} or {@code SCHEMA_REGISTRY_URL}, Kafka
 * client properties from {@code RUNSTREAM_KAFKA_PROPERTIES_FILE} and {@code
 * RUNSTREAM_KAFKA_PROPERTIES}); the topic prefix, entity and project default to those the run was
 * started with (its {@code run.json}).
 *
 * <p>Immutable and thread-safe.
 */
public final class SyncOptions {
  /** How long a sync may take unless configured: 5 minutes. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  private final String kafkaBootstrap;
  private final String schemaRegistryUrl;
  private final String topicPrefix;
  private final boolean resendAll;
  private final Duration timeout;
  private final Consumer<SyncProgress> progress;
  private final Map<String, Object> kafkaProperties;

  private SyncOptions(Builder b) {
    this.kafkaBootstrap = b.kafkaBootstrap;
    this.schemaRegistryUrl = b.schemaRegistryUrl;
    this.topicPrefix = b.topicPrefix;
    this.resendAll = b.resendAll;
    this.timeout = b.timeout;
    this.progress = b.progress;
    this.kafkaProperties = Map.copyOf(b.kafkaProperties);
  }

  /** Defaults from the process environment. */
  public static Builder builder() {
    return new Builder(System.getenv());
  }

  /** Defaults from {@code environment} instead of the process environment. */
  public static Builder builder(Map<String, String> environment) {
    return new Builder(Objects.requireNonNull(environment, "environment"));
  }

  /** Everything from the environment. */
  public static SyncOptions defaults() {
    return builder().build();
  }

  public String kafkaBootstrap() {
    return kafkaBootstrap;
  }

  public String schemaRegistryUrl() {
    return schemaRegistryUrl;
  }

  /** The topic prefix, or null for the run's own. */
  public String topicPrefix() {
    return topicPrefix;
  }

  /** Whether records Kafka already acknowledged are sent again. */
  public boolean resendAll() {
    return resendAll;
  }

  public Duration timeout() {
    return timeout;
  }

  public Consumer<SyncProgress> progress() {
    return progress;
  }

  public Map<String, Object> kafkaProperties() {
    return kafkaProperties;
  }

  /** Builds {@link SyncOptions}. Not thread-safe. */
  public static final class Builder {
    private String kafkaBootstrap;
    private String schemaRegistryUrl;
    private String topicPrefix;
    private boolean resendAll;
    private Duration timeout = DEFAULT_TIMEOUT;
    private Consumer<SyncProgress> progress = p -> {};
    private final Map<String, Object> kafkaProperties = new LinkedHashMap<>();

    private Builder(Map<String, String> environment) {
      ConfigProperties env = ConfigProperties.of(environment);
      this.kafkaBootstrap =
          env.getString(Settings.KAFKA_BOOTSTRAP, RunOptions.DEFAULT_KAFKA_BOOTSTRAP);
      this.schemaRegistryUrl =
          env.getString(Settings.SCHEMA_REGISTRY_URL, RunOptions.DEFAULT_SCHEMA_REGISTRY_URL);
      this.kafkaProperties.putAll(KafkaClients.userProperties(env));
    }

    public Builder kafkaBootstrap(String kafkaBootstrap) {
      this.kafkaBootstrap = Objects.requireNonNull(kafkaBootstrap, "kafkaBootstrap");
      return this;
    }

    public Builder schemaRegistryUrl(String schemaRegistryUrl) {
      this.schemaRegistryUrl = Objects.requireNonNull(schemaRegistryUrl, "schemaRegistryUrl");
      return this;
    }

    /** Sends to another team's topics than the run was started with. */
    public Builder topicPrefix(String topicPrefix) {
      this.topicPrefix = Objects.requireNonNull(topicPrefix, "topicPrefix");
      return this;
    }

    /**
     * Sends every record, also those Kafka acknowledged before; default false. Harmless downstream
     * (each record keeps its identity), useful after a topic was lost.
     */
    public Builder resendAll(boolean resendAll) {
      this.resendAll = resendAll;
      return this;
    }

    /** Default {@link SyncOptions#DEFAULT_TIMEOUT}. */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Called on the syncing thread after every 1,000 records and once at the end; must not block
     * for long. Default: nothing.
     */
    public Builder progress(Consumer<SyncProgress> progress) {
      this.progress = Objects.requireNonNull(progress, "progress");
      return this;
    }

    /** Sets a Kafka producer property over runstream's defaults. */
    public Builder kafkaProperty(String key, Object value) {
      this.kafkaProperties.put(
          Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, key));
      return this;
    }

    public SyncOptions build() {
      return new SyncOptions(this);
    }
  }
}
