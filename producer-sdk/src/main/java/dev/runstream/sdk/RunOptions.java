package dev.runstream.sdk;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.KafkaClients;
import dev.runstream.schemas.config.Settings;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What {@link Runstream#init(RunOptions)} needs to know about a run and where to send it. Build one
 * with {@link #builder(String)}; the project is the only required setting.
 *
 * <p>Every setting not given to the builder comes from the environment, and explicit arguments win:
 *
 * <table>
 *   <caption>Environment variables</caption>
 *   <tr><td>{@code RUNSTREAM_PROJECT}</td><td>project (for {@link #builder()})</td></tr>
 *   <tr><td>{@code RUNSTREAM_ENTITY}</td><td>entity (team)</td></tr>
 *   <tr><td>{@code RUNSTREAM_NAME}, {@code RUNSTREAM_NOTES}</td><td>display name, notes</td></tr>
 *   <tr><td>{@code RUNSTREAM_TAGS}</td><td>comma-separated tags</td></tr>
 *   <tr><td>{@code RUNSTREAM_RUN_GROUP}, {@code RUNSTREAM_JOB_TYPE}</td><td>group, job type</td></tr>
 *   <tr><td>{@code RUNSTREAM_RUN_ID}, {@code RUNSTREAM_RESUME}</td><td>run id; never, allow or
 *       must</td></tr>
 *   <tr><td>{@code RUNSTREAM_RESUME_LOOKUP_TIMEOUT}</td><td>how long {@code init} may read Kafka
 *       to find a run it resumes (a duration; {@code 0} turns the lookup off)</td></tr>
 *   <tr><td>{@code RUNSTREAM_MODE}</td><td>online, offline or disabled</td></tr>
 *   <tr><td>{@code RUNSTREAM_DIR}</td><td>the directory of run directories</td></tr>
 *   <tr><td>{@code RUNSTREAM_CONFIG_FILE}</td><td>a JSON or {@code .properties} config file</td></tr>
 *   <tr><td>{@code RUNSTREAM_KAFKA_BOOTSTRAP} or {@code KAFKA_BOOTSTRAP}</td><td>Kafka</td></tr>
 *   <tr><td>{@code RUNSTREAM_SCHEMA_REGISTRY_URL} or {@code SCHEMA_REGISTRY_URL}</td>
 *       <td>registry</td></tr>
 *   <tr><td>{@code RUNSTREAM_TOPIC_PREFIX}</td><td>the team's topic prefix</td></tr>
 *   <tr><td>{@code RUNSTREAM_HEARTBEAT_INTERVAL}, {@code RUNSTREAM_SYSTEM_METRICS_INTERVAL},
 *       {@code RUNSTREAM_FSYNC_INTERVAL}, {@code RUNSTREAM_FINISH_TIMEOUT}</td><td>durations:
 *       with a unit ({@code 500ms}, {@code 10s}, {@code 5m}), seconds ({@code 10}, {@code 0.5})
 *       or ISO-8601 ({@code PT10S})</td></tr>
 *   <tr><td>{@code RUNSTREAM_QUEUE_CAPACITY}</td><td>queue capacity</td></tr>
 *   <tr><td>{@code RUNSTREAM_GPU_TAG}</td><td>{@code true} to tag the run with its GPU model</td></tr>
 *   <tr><td>{@code RUNSTREAM_KAFKA_PROPERTIES_FILE}</td><td>a properties file of Kafka client
 *       properties (SASL, TLS) over runstream's own</td></tr>
 *   <tr><td>{@code RUNSTREAM_KAFKA_PROPERTIES}</td><td>Kafka client properties over runstream's
 *       own and the file's, as {@code key=value,key=value}</td></tr>
 * </table>
 *
 * <p>Every variable runstream reads is listed, with its default, in {@link Settings}.
 *
 * <p>A variable that is set but invalid makes {@link #builder(String)} throw an {@link
 * IllegalArgumentException} naming the variable; a blank variable counts as unset.
 *
 * <p>Immutable and thread-safe.
 */
public final class RunOptions {
  /** The team a run belongs to when none is given: {@value}. */
  public static final String DEFAULT_ENTITY = "default";

  /** The Kafka address used when neither the builder nor the environment names one: {@value}. */
  public static final String DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:9092";

  /** The registry used when neither the builder nor the environment names one: {@value}. */
  public static final String DEFAULT_SCHEMA_REGISTRY_URL = "http://127.0.0.1:8081/apis/ccompat/v7";

  /** The topic prefix used when neither the builder nor the environment names one: {@value}. */
  public static final String DEFAULT_TOPIC_PREFIX = "runstream.";

  /** Where run directories are made unless configured: {@code ./runstream}. */
  public static final Path DEFAULT_DIRECTORY = Path.of("runstream");

  /** How often a live run says it is alive: 30 seconds. */
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(30);

  /** How often system metrics are sampled: 10 seconds ({@link Duration#ZERO} turns them off). */
  public static final Duration DEFAULT_SYSTEM_METRICS_INTERVAL = Duration.ofSeconds(10);

  /**
   * How often the run directory is forced to the storage device: 1 second. Records reach the
   * operating system (and so survive the death of the JVM) within milliseconds regardless; this
   * bounds what a power cut or kernel crash can take.
   */
  public static final Duration DEFAULT_FSYNC_INTERVAL = Duration.ofSeconds(1);

  /** How many records may wait for the background writer: {@value}. */
  public static final int DEFAULT_QUEUE_CAPACITY = 65_536;

  /** How long {@code finish()} waits for everything logged to reach Kafka: 30 seconds. */
  public static final Duration DEFAULT_FINISH_TIMEOUT = Duration.ofSeconds(30);

  /**
   * How long {@code init} may spend asking Kafka about a run id it was given, online: 10 seconds.
   * Within it, {@link Resume#ALLOW} and {@link Resume#MUST} find the run's last step, highest
   * sequence and name, and {@link Resume#NEVER} checks that the id is new.
   */
  public static final Duration DEFAULT_RESUME_LOOKUP_TIMEOUT = Duration.ofSeconds(10);

  private static final ObjectMapper JSON = new ObjectMapper();

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
  private final boolean finishOnExit;
  private final Map<String, Object> kafkaProperties;
  private final Mode mode;
  private final Resume resume;
  private final Path directory;
  private final Duration systemMetricsInterval;
  private final Duration fsyncInterval;
  private final boolean gpuTag;
  private final Duration resumeLookupTimeout;

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
    this.finishOnExit = b.finishOnExit;
    this.kafkaProperties = Collections.unmodifiableMap(new LinkedHashMap<>(b.kafkaProperties));
    this.mode = b.mode;
    this.resume = b.resume;
    this.directory = b.directory;
    this.systemMetricsInterval = b.systemMetricsInterval;
    this.fsyncInterval = b.fsyncInterval;
    this.gpuTag = b.gpuTag;
    this.resumeLookupTimeout = b.resumeLookupTimeout;
  }

  /** Starts options for a run of {@code project}, with defaults from the process environment. */
  public static Builder builder(String project) {
    return new Builder(project, System.getenv());
  }

  /**
   * Starts options whose project comes from {@code RUNSTREAM_PROJECT}.
   *
   * @throws IllegalArgumentException when {@code RUNSTREAM_PROJECT} is not set
   */
  public static Builder builder() {
    Map<String, String> env = System.getenv();
    String project =
        ConfigProperties.of(env)
            .getString(Settings.PROJECT)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "RUNSTREAM_PROJECT is not set; use builder(project)"));
    return new Builder(project, env);
  }

  /**
   * Starts options for a run of {@code project} whose defaults come from {@code environment}
   * instead of the process's environment variables (for tests and launchers).
   */
  public static Builder builder(String project, Map<String, String> environment) {
    return new Builder(project, Objects.requireNonNull(environment, "environment"));
  }

  public String project() {
    return project;
  }

  /** The team (W&B's entity); default {@value #DEFAULT_ENTITY}. */
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

  /** Notes, or null. */
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

  /** The group, or null. */
  public String group() {
    return group;
  }

  /** The job type, or null. */
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

  /**
   * No longer used: {@code log()} journals each record itself, without a queue. Kept so that
   * programs that set it still compile.
   */
  public int queueCapacity() {
    return queueCapacity;
  }

  public Duration finishTimeout() {
    return finishTimeout;
  }

  /**
   * Whether the JVM's exit finishes the run when the program did not (default {@code true}); when
   * {@code false}, the exit {@linkplain Run#detach() detaches} it instead.
   */
  public boolean finishOnExit() {
    return finishOnExit;
  }

  /** Extra Kafka producer properties, applied over runstream's own. */
  public Map<String, Object> kafkaProperties() {
    return kafkaProperties;
  }

  /** Online, offline or disabled; default {@link Mode#ONLINE}. */
  public Mode mode() {
    return mode;
  }

  /** What to do when the run id exists; default {@link Resume#NEVER}. */
  public Resume resume() {
    return resume;
  }

  /** The directory holding run directories; default {@link #DEFAULT_DIRECTORY}. */
  public Path directory() {
    return directory;
  }

  /** How often system metrics are sampled; zero when they are off. */
  public Duration systemMetricsInterval() {
    return systemMetricsInterval;
  }

  /** How often the run directory is forced to the storage device. */
  public Duration fsyncInterval() {
    return fsyncInterval;
  }

  /** Whether the GPU model is added as a tag at init. */
  public boolean gpuTag() {
    return gpuTag;
  }

  /**
   * How long {@code init} may read Kafka to find a run id it was given (online only); {@link
   * Duration#ZERO} when it only looks at the local run directory. Default {@link
   * #DEFAULT_RESUME_LOOKUP_TIMEOUT}.
   */
  public Duration resumeLookupTimeout() {
    return resumeLookupTimeout;
  }

  /** Builds {@link RunOptions}; each setter validates its argument. Not thread-safe. */
  public static final class Builder {
    private final String project;
    private String entity;
    private String name;
    private String runId;
    private String notes;
    private final List<String> tags = new ArrayList<>();
    private boolean tagsFromEnvironment;
    private final Map<String, Object> config = new LinkedHashMap<>();
    private String group;
    private String jobType;
    private String kafkaBootstrap;
    private String schemaRegistryUrl;
    private String topicPrefix;
    private Duration heartbeatInterval;
    private int queueCapacity;
    private Duration finishTimeout;
    private boolean finishOnExit = true;
    private final Map<String, Object> kafkaProperties = new LinkedHashMap<>();
    private Mode mode;
    private Resume resume;
    private Path directory;
    private Duration systemMetricsInterval;
    private Duration fsyncInterval;
    private boolean gpuTag;
    private Duration resumeLookupTimeout;

    private Builder(String project, Map<String, String> environment) {
      this.project = requireText(project, "project");
      this.entity = DEFAULT_ENTITY;
      this.resume = Resume.NEVER;
      this.mode = Mode.ONLINE;
      this.directory = DEFAULT_DIRECTORY;
      ConfigProperties env = ConfigProperties.of(environment);
      this.kafkaBootstrap = env.getString(Settings.KAFKA_BOOTSTRAP, DEFAULT_KAFKA_BOOTSTRAP);
      this.schemaRegistryUrl =
          env.getString(Settings.SCHEMA_REGISTRY_URL, DEFAULT_SCHEMA_REGISTRY_URL);
      this.topicPrefix = DEFAULT_TOPIC_PREFIX;
      this.heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
      this.systemMetricsInterval = DEFAULT_SYSTEM_METRICS_INTERVAL;
      this.fsyncInterval = DEFAULT_FSYNC_INTERVAL;
      this.finishTimeout = DEFAULT_FINISH_TIMEOUT;
      this.queueCapacity = DEFAULT_QUEUE_CAPACITY;
      this.resumeLookupTimeout = DEFAULT_RESUME_LOOKUP_TIMEOUT;
      // Each variable goes through its setter, so it is checked like an explicit argument and a
      // mistake stops start-up with a message naming the variable.
      env.set(Settings.ENTITY, env::getString, this::entity);
      env.set(Settings.NAME, env::getString, this::name);
      env.set(Settings.NOTES, env::getString, this::notes);
      List<String> envTags = env.getList(Settings.TAGS);
      if (!envTags.isEmpty()) {
        for (String tag : envTags) {
          if (!tags.contains(tag)) {
            tags.add(tag);
          }
        }
        tagsFromEnvironment = true;
      }
      env.set(Settings.RUN_GROUP, env::getString, this::group);
      env.set(Settings.JOB_TYPE, env::getString, this::jobType);
      env.set(Settings.RUN_ID, env::getString, this::runId);
      env.set(Settings.RESUME, s -> env.getEnum(s, Resume.class), this::resume);
      env.set(Settings.RESUME_LOOKUP_TIMEOUT, env::getDuration, this::resumeLookupTimeout);
      env.set(Settings.MODE, s -> env.getEnum(s, Mode.class), this::mode);
      env.set(Settings.DIR, env::getPath, this::directory);
      env.set(Settings.TOPIC_PREFIX, env::getString, this::topicPrefix);
      env.set(Settings.HEARTBEAT_INTERVAL, env::getDuration, this::heartbeatInterval);
      env.set(Settings.SYSTEM_METRICS_INTERVAL, env::getDuration, this::systemMetricsInterval);
      env.set(Settings.FSYNC_INTERVAL, env::getDuration, this::fsyncInterval);
      env.set(Settings.FINISH_TIMEOUT, env::getDuration, this::finishTimeout);
      env.set(Settings.QUEUE_CAPACITY, env::getInt, this::queueCapacity);
      env.set(Settings.GPU_TAG, env::getBoolean, this::gpuTag);
      KafkaClients.userProperties(env).forEach(this::kafkaProperty);
      env.set(
          Settings.CONFIG_FILE,
          env::getPath,
          file -> {
            try {
              configFile(file);
            } catch (UncheckedIOException e) {
              throw new IllegalArgumentException(e.getMessage(), e);
            }
          });
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

    /** The run id; default a random 8-character id. Needed to resume a run. */
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

    /**
     * Adds tags; blank ones are refused, duplicates kept once. The first explicit call replaces
     * tags from {@code RUNSTREAM_TAGS}.
     */
    public Builder tags(String... tags) {
      return tags(List.of(tags));
    }

    /** See {@link #tags(String...)}. */
    public Builder tags(Collection<String> tags) {
      Objects.requireNonNull(tags, "tags");
      if (tagsFromEnvironment) {
        this.tags.clear();
        tagsFromEnvironment = false;
      }
      for (String tag : tags) {
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

    /** Adds one hyperparameter. */
    public Builder config(String key, Object value) {
      this.config.put(requireText(key, "config key"), value);
      return this;
    }

    /**
     * Adds the properties of a record or bean (through Jackson, so nested records become nested
     * maps), e.g. {@code config(new Hyperparameters(0.02, 10))}.
     */
    public Builder config(Object configObject) {
      Objects.requireNonNull(configObject, "configObject");
      Map<String, Object> map;
      try {
        map =
            JSON.convertValue(configObject, new TypeReference<LinkedHashMap<String, Object>>() {});
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "config object " + configObject.getClass().getName() + " is not a map of properties",
            e);
      }
      return config(map);
    }

    /**
     * Adds hyperparameters from a JSON object file, or a {@code .properties} file (keys in sorted
     * order, values as strings).
     *
     * @throws UncheckedIOException if the file cannot be read
     * @throws IllegalArgumentException if it is not a JSON object
     */
    public Builder configFile(Path file) {
      Objects.requireNonNull(file, "file");
      try {
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".properties")) {
          Properties props = new Properties();
          try (Reader in = Files.newBufferedReader(file)) {
            props.load(in);
          }
          Map<String, Object> sorted = new TreeMap<>();
          props.forEach((k, v) -> sorted.put(k.toString(), v.toString()));
          return config(sorted);
        }
        Map<String, Object> map =
            JSON.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, Object>>() {});
        return config(map);
      } catch (com.fasterxml.jackson.core.JacksonException e) {
        throw new IllegalArgumentException(
            "config file " + file + " is not a JSON object: " + e.getOriginalMessage(), e);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read config file " + file, e);
      }
    }

    public Builder group(String group) {
      this.group = requireText(group, "group");
      return this;
    }

    public Builder jobType(String jobType) {
      this.jobType = requireText(jobType, "jobType");
      return this;
    }

    /** Online (default), offline or disabled. */
    public Builder mode(Mode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** What to do when the run id exists; default {@link Resume#NEVER}. */
    public Builder resume(Resume resume) {
      this.resume = Objects.requireNonNull(resume, "resume");
      return this;
    }

    /**
     * How long {@code init} may read Kafka, online, to find what it holds of the run id given with
     * {@link #runId}: its last step, highest sequence and name for {@link Resume#ALLOW} and {@link
     * Resume#MUST}, whether it exists at all for {@link Resume#NEVER}. {@code init} blocks for at
     * most this long, plus up to a second to close the consumer and 2 s once if the schema registry
     * does not answer. Default {@link #DEFAULT_RESUME_LOOKUP_TIMEOUT}; {@link Duration#ZERO} turns
     * the lookup off, so that only the local run directory counts, as in offline mode.
     */
    public Builder resumeLookupTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "resumeLookupTimeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("resumeLookupTimeout must not be negative: " + timeout);
      }
      this.resumeLookupTimeout = timeout;
      return this;
    }

    /**
     * The directory in which the run's own directory {@code run-<id>} is made; default {@code
     * ./runstream}.
     */
    public Builder directory(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * Kafka bootstrap servers; default {@code RUNSTREAM_KAFKA_BOOTSTRAP}, {@code KAFKA_BOOTSTRAP}
     * or {@value #DEFAULT_KAFKA_BOOTSTRAP}.
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

    /** Default {@link #DEFAULT_HEARTBEAT_INTERVAL}. */
    public Builder heartbeatInterval(Duration interval) {
      this.heartbeatInterval = requirePositive(interval, "heartbeatInterval");
      return this;
    }

    /** Default {@link #DEFAULT_SYSTEM_METRICS_INTERVAL}; {@link Duration#ZERO} turns them off. */
    public Builder systemMetricsInterval(Duration interval) {
      Objects.requireNonNull(interval, "systemMetricsInterval");
      if (interval.isNegative()) {
        throw new IllegalArgumentException("systemMetricsInterval must not be negative");
      }
      this.systemMetricsInterval = interval;
      return this;
    }

    /** Default {@link #DEFAULT_FSYNC_INTERVAL}. */
    public Builder fsyncInterval(Duration interval) {
      this.fsyncInterval = requirePositive(interval, "fsyncInterval");
      return this;
    }

    /**
     * No longer used (default {@value #DEFAULT_QUEUE_CAPACITY}): {@code log()} journals each record
     * itself, without a queue. Still validated, so that a program that sets it keeps working.
     */
    public Builder queueCapacity(int capacity) {
      if (capacity < 1) {
        throw new IllegalArgumentException("queueCapacity must be positive: " + capacity);
      }
      this.queueCapacity = capacity;
      return this;
    }

    /** Default {@link #DEFAULT_FINISH_TIMEOUT}. */
    public Builder finishTimeout(Duration timeout) {
      this.finishTimeout = requirePositive(timeout, "finishTimeout");
      return this;
    }

    /**
     * Whether the JVM's exit finishes the run (exit code 0, or 1 when the thread that called init
     * died) when the program did not; default {@code true}. With {@code false} the exit {@linkplain
     * Run#detach() detaches} the run instead, leaving it open: for servers that hold other clients'
     * runs, which a server stopping has not ended.
     */
    public Builder finishOnExit(boolean finishOnExit) {
      this.finishOnExit = finishOnExit;
      return this;
    }

    /** Adds the GPU model (e.g. {@code gpu:NVIDIA-A100}) to the tags at init; default off. */
    public Builder gpuTag(boolean gpuTag) {
      this.gpuTag = gpuTag;
      return this;
    }

    /** Sets a Kafka producer property over runstream's defaults. */
    public Builder kafkaProperty(String key, Object value) {
      this.kafkaProperties.put(
          requireText(key, "kafka property"), Objects.requireNonNull(value, key));
      return this;
    }

    /**
     * Checks the settings together.
     *
     * @throws IllegalArgumentException when {@link Resume#MUST} has no run id, or a config value
     *     cannot be written as JSON
     */
    public RunOptions build() {
      if (resume == Resume.MUST && runId == null) {
        throw new IllegalArgumentException("resume MUST needs a runId");
      }
      try {
        // The config travels as JSON: find a value that cannot be written now, not at init.
        JSON.writeValueAsString(config);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalArgumentException(
            "config cannot be written as JSON: " + e.getOriginalMessage(), e);
      }
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
