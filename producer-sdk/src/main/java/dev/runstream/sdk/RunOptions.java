package dev.runstream.sdk;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link Runstream#init(RunOptions)} needs to know about a run and where to send it. Build one
 * with {@link #builder(String)}; the project is the only required setting.
 *
 * <p>Settings not given explicitly come from the environment: {@code RUNSTREAM_ENTITY}, {@code
 * KAFKA_BOOTSTRAP} and {@code SCHEMA_REGISTRY_URL}, {@code RUNSTREAM_TOPIC_PREFIX}. Immutable and
 * thread-safe.
 */
public final class RunOptions {
  /** The team a run belongs to when none is given: {@value}. */
  public static final String DEFAULT_ENTITY = "default";

  /** The Kafka address used when neither the builder nor the environment names one: {@value}. */
  public static final String DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:9092";

  /** The registry used when neither the builder nor the environment names one: {@value}. */
  public static final String DEFAULT_SCHEMA_REGISTRY_URL = "http://127.0.0.1:8081/apis/ccompat/v7";

  /** How often a live run says it is alive: 30 seconds. */
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(30);

  /** How many {@code log()} calls may wait for the background sender: {@value}. */
  public static final int DEFAULT_QUEUE_CAPACITY = 65_536;

  /** How long {@code finish()} waits for everything logged to reach Kafka: 30 seconds. */
  public static final Duration DEFAULT_FINISH_TIMEOUT = Duration.ofSeconds(30);

  private final String project;
  private final String entity;
  private final String name;
  private final String runId;
  private final String notes;
  private final List<String> tags;
  private final Map<String, Object> config;
  private final String group;
  private final String jobType;
  private final String kafkaBootstrap;
  private final String schemaRegistryUrl;
  private final String topicPrefix;
  private final Duration heartbeatInterval;
  private final int queueCapacity;
  private final Duration finishTimeout;
  private final Map<String, Object> kafkaProperties;

  private RunOptions(Builder b) {
    this.project = b.project;
    this.entity = b.entity;
    this.name = b.name;
    this.runId = b.runId;
    this.notes = b.notes;
    this.tags = List.copyOf(b.tags);
    this.config = Collections.unmodifiableMap(new LinkedHashMap<>(b.config));
    this.group = b.group;
    this.jobType = b.jobType;
    this.kafkaBootstrap = b.kafkaBootstrap;
    this.schemaRegistryUrl = b.schemaRegistryUrl;
    this.topicPrefix = b.topicPrefix;
    this.heartbeatInterval = b.heartbeatInterval;
    this.queueCapacity = b.queueCapacity;
    this.finishTimeout = b.finishTimeout;
    this.kafkaProperties = Map.copyOf(b.kafkaProperties);
  }

  /** Starts options for a run of {@code project}. */
  public static Builder builder(String project) {
    return new Builder(project, System.getenv());
  }

  /**
   * Starts options for a run of {@code project} whose defaults come from {@code environment}
   * instead of the process's environment variables.
   */
  public static Builder builder(String project, Map<String, String> environment) {
    return new Builder(project, environment);
  }

  public String project() {
    return project;
  }

  public String entity() {
    return entity;
  }

  /** The run's display name, or null to have one generated. */
  public String name() {
    return name;
  }

  /** The run's id, or null to have one generated. */
  public String runId() {
    return runId;
  }

  public String notes() {
    return notes;
  }

  public List<String> tags() {
    return tags;
  }

  /** The hyperparameters, in the order given; values may be nested maps and lists. */
  public Map<String, Object> config() {
    return config;
  }

  public String group() {
    return group;
  }

  public String jobType() {
    return jobType;
  }

  public String kafkaBootstrap() {
    return kafkaBootstrap;
  }

  public String schemaRegistryUrl() {
    return schemaRegistryUrl;
  }

  public String topicPrefix() {
    return topicPrefix;
  }

  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  public int queueCapacity() {
    return queueCapacity;
  }

  public Duration finishTimeout() {
    return finishTimeout;
  }

  /** Extra Kafka producer properties, applied over runstream's own. */
  public Map<String, Object> kafkaProperties() {
    return kafkaProperties;
  }

  /** Builds {@link RunOptions}; each setter validates its argument. Not thread-safe. */
  public static final class Builder {
    private final String project;
    private String entity;
    private String name;
    private String runId;
    private String notes;
    private final List<String> tags = new ArrayList<>();
    private final Map<String, Object> config = new LinkedHashMap<>();
    private String group;
    private String jobType;
    private String kafkaBootstrap;
    private String schemaRegistryUrl;
    private String topicPrefix;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
    private Duration finishTimeout = DEFAULT_FINISH_TIMEOUT;
    private final Map<String, Object> kafkaProperties = new LinkedHashMap<>();

    private Builder(String project, Map<String, String> environment) {
      this.project = requireText(project, "project");
      this.entity = environment.getOrDefault("RUNSTREAM_ENTITY", DEFAULT_ENTITY);
      this.kafkaBootstrap = environment.getOrDefault("KAFKA_BOOTSTRAP", DEFAULT_KAFKA_BOOTSTRAP);
      this.schemaRegistryUrl =
          environment.getOrDefault("SCHEMA_REGISTRY_URL", DEFAULT_SCHEMA_REGISTRY_URL);
      this.topicPrefix = environment.getOrDefault("RUNSTREAM_TOPIC_PREFIX", "runstream.");
    }

    /** The team (W&B's entity) that owns the run; default {@value #DEFAULT_ENTITY}. */
    public Builder entity(String entity) {
      this.entity = requireText(entity, "entity");
      return this;
    }

    /** A display name; default a generated one such as {@code brisk-river-42}. */
    public Builder name(String name) {
      this.name = requireText(name, "name");
      return this;
    }

    /** The run id; default a random 8-character id. */
    public Builder runId(String runId) {
      this.runId = requireText(runId, "runId");
      if (!runId.matches("[A-Za-z0-9._-]{1,128}")) {
        throw new IllegalArgumentException(
            "runId may hold only letters, digits, '.', '_' and '-' (at most 128): " + runId);
      }
      return this;
    }

    public Builder notes(String notes) {
      this.notes = Objects.requireNonNull(notes, "notes");
      return this;
    }

    /** Adds tags; blank ones are refused, duplicates kept once. */
    public Builder tags(String... tags) {
      return tags(List.of(tags));
    }

    public Builder tags(Collection<String> tags) {
      for (String tag : Objects.requireNonNull(tags, "tags")) {
        requireText(tag, "tag");
        if (!this.tags.contains(tag)) {
          this.tags.add(tag);
        }
      }
      return this;
    }

    /** Adds hyperparameters; values may be numbers, strings, booleans, lists and nested maps. */
    public Builder config(Map<String, ?> config) {
      Objects.requireNonNull(config, "config")
          .forEach((k, v) -> this.config.put(requireText(k, "config key"), v));
      return this;
    }

    public Builder config(String key, Object value) {
      this.config.put(requireText(key, "config key"), value);
      return this;
    }

    public Builder group(String group) {
      this.group = requireText(group, "group");
      return this;
    }

    public Builder jobType(String jobType) {
      this.jobType = requireText(jobType, "jobType");
      return this;
    }

    /**
     * Kafka bootstrap servers; default {@code KAFKA_BOOTSTRAP} or {@value
     * #DEFAULT_KAFKA_BOOTSTRAP}.
     */
    public Builder kafkaBootstrap(String kafkaBootstrap) {
      this.kafkaBootstrap = requireText(kafkaBootstrap, "kafkaBootstrap");
      return this;
    }

    /** The schema registry's Confluent-compatible base URL; default {@code SCHEMA_REGISTRY_URL}. */
    public Builder schemaRegistryUrl(String schemaRegistryUrl) {
      this.schemaRegistryUrl = requireText(schemaRegistryUrl, "schemaRegistryUrl");
      return this;
    }

    /** The team's topic prefix; default {@code RUNSTREAM_TOPIC_PREFIX} or {@code runstream.}. */
    public Builder topicPrefix(String topicPrefix) {
      this.topicPrefix = Objects.requireNonNull(topicPrefix, "topicPrefix");
      return this;
    }

    public Builder heartbeatInterval(Duration interval) {
      this.heartbeatInterval = requirePositive(interval, "heartbeatInterval");
      return this;
    }

    public Builder queueCapacity(int capacity) {
      if (capacity < 1) {
        throw new IllegalArgumentException("queueCapacity must be positive: " + capacity);
      }
      this.queueCapacity = capacity;
      return this;
    }

    public Builder finishTimeout(Duration timeout) {
      this.finishTimeout = requirePositive(timeout, "finishTimeout");
      return this;
    }

    /** Sets a Kafka producer property over runstream's defaults. */
    public Builder kafkaProperty(String key, Object value) {
      this.kafkaProperties.put(
          requireText(key, "kafka property"), Objects.requireNonNull(value, key));
      return this;
    }

    public RunOptions build() {
      return new RunOptions(this);
    }

    private static String requireText(String value, String what) {
      Objects.requireNonNull(value, what);
      if (value.isBlank()) {
        throw new IllegalArgumentException(what + " must not be blank");
      }
      return value;
    }

    private static Duration requirePositive(Duration value, String what) {
      Objects.requireNonNull(value, what);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(what + " must be positive: " + value);
      }
      return value;
    }
  }
}
