package dev.runstream.sink;

import dev.runstream.query.ClickHouseLogin;
import dev.runstream.query.internal.Sql;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.KafkaClients;
import dev.runstream.schemas.config.Settings;
import dev.runstream.sink.internal.StallWatch;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of a {@link ClickHouseSink}. Build with {@link #builder()} or read from the environment
 * with {@link #fromEnv()}; every setting is validated when it is set or, for the required ones, in
 * {@link Builder#build()}, with a message that names the setting.
 *
 * <p>Immutable and thread-safe.
 */
public final class SinkConfig {
  /** ClickHouse user unless set: {@value}. */
  public static final String DEFAULT_CLICKHOUSE_USER = "default";

  /** ClickHouse password unless set: empty. */
  public static final String DEFAULT_CLICKHOUSE_PASSWORD = "";

  /** ClickHouse database unless set: {@value}. */
  public static final String DEFAULT_DATABASE = "runstream";

  /** Kafka consumer group unless set: {@value}. */
  public static final String DEFAULT_GROUP_ID = "runstream-sink";

  /** Rows per batch unless set: {@value}. */
  public static final int DEFAULT_BATCH_MAX_ROWS = 50_000;

  /** Longest time a record waits in a batch unless set: 1 second. */
  public static final Duration DEFAULT_BATCH_MAX_DELAY = Duration.ofSeconds(1);

  /**
   * Longest time inserted batches wait for one shared rollup refresh before their offsets are
   * committed, unless set: 2 seconds.
   */
  public static final Duration DEFAULT_ROLLUP_INTERVAL = Duration.ofSeconds(2);

  /**
   * Replication factor of topics the sink creates when missing, unless set: the broker's {@code
   * default.replication.factor} ({@value}), so a one-broker development stack and a production
   * cluster both get what they are configured for.
   */
  public static final short DEFAULT_REPLICATION_FACTOR = TopicSetup.BROKER_DEFAULT_REPLICATION;

  /** Attempts of one insert before the batch is held and the consumer paused: {@value}. */
  public static final int DEFAULT_INSERT_ATTEMPTS = 5;

  /**
   * How long a ClickHouse write may go unanswered before the sink warns, unless set: 10 seconds.
   */
  public static final Duration DEFAULT_STALL_WARNING = StallWatch.DEFAULT_THRESHOLD;

  /** Environment variable of {@link Builder#bootstrapServers}. */
  public static final String ENV_KAFKA_BOOTSTRAP = "KAFKA_BOOTSTRAP";

  /** Environment variable of {@link Builder#schemaRegistryUrl}. */
  public static final String ENV_SCHEMA_REGISTRY_URL = "SCHEMA_REGISTRY_URL";

  /** Environment variable of {@link Builder#clickHouseUrl}. */
  public static final String ENV_CLICKHOUSE_URL = "CLICKHOUSE_URL";

  /** Environment variable of the topic prefix ({@link Topics#withPrefix}). */
  public static final String ENV_TOPIC_PREFIX = "RUNSTREAM_TOPIC_PREFIX";

  /** Environment variable of {@link Builder#clickHouseUser} (optional). */
  public static final String ENV_CLICKHOUSE_USER = "CLICKHOUSE_USER";

  /** Environment variable of {@link Builder#clickHousePassword} (optional). */
  public static final String ENV_CLICKHOUSE_PASSWORD = "CLICKHOUSE_PASSWORD";

  /** Environment variable of {@link Builder#database} (optional). */
  public static final String ENV_CLICKHOUSE_DATABASE = "CLICKHOUSE_DATABASE";

  /** Environment variable of {@link Builder#groupId} (optional). */
  public static final String ENV_GROUP_ID = "RUNSTREAM_SINK_GROUP_ID";

  /** Environment variable of {@link Builder#batchMaxRows} (optional). */
  public static final String ENV_BATCH_MAX_ROWS = "RUNSTREAM_SINK_BATCH_MAX_ROWS";

  /** Environment variable of {@link Builder#batchMaxDelay}, in milliseconds (optional). */
  public static final String ENV_BATCH_MAX_DELAY_MS = "RUNSTREAM_SINK_BATCH_MAX_DELAY_MS";

  /** Environment variable of {@link Builder#rollupInterval}, in milliseconds (optional). */
  public static final String ENV_ROLLUP_INTERVAL_MS = "RUNSTREAM_SINK_ROLLUP_INTERVAL_MS";

  /** Environment variable of {@link Builder#stallWarning}, in milliseconds (optional). */
  public static final String ENV_STALL_WARNING_MS = "RUNSTREAM_SINK_STALL_WARNING_MS";

  /** Environment variable of {@link Builder#team} (optional). */
  public static final String ENV_TEAM = "RUNSTREAM_TEAM";

  private final String bootstrapServers;
  private final String schemaRegistryUrl;
  private final String clickHouseUrl;
  private final String clickHouseUser;
  private final String clickHousePassword;
  private final String database;
  private final Topics topics;
  private final String groupId;
  private final int batchMaxRows;
  private final Duration batchMaxDelay;
  private final Duration rollupInterval;
  private final short replicationFactor;
  private final int insertAttempts;
  private final Duration stallWarning;
  private final String team;
  private final Map<String, String> kafkaProperties;

  private SinkConfig(Builder b) {
    this.bootstrapServers = b.bootstrapServers;
    this.schemaRegistryUrl = b.schemaRegistryUrl;
    this.clickHouseUrl = b.clickHouseUrl;
    this.clickHouseUser = b.clickHouseUser;
    this.clickHousePassword = b.clickHousePassword;
    this.database = b.database;
    this.topics = b.topics;
    this.groupId = b.groupId;
    this.batchMaxRows = b.batchMaxRows;
    this.batchMaxDelay = b.batchMaxDelay;
    this.rollupInterval = b.rollupInterval;
    this.replicationFactor = b.replicationFactor;
    this.insertAttempts = b.insertAttempts;
    this.stallWarning = b.stallWarning;
    this.team = b.team;
    this.kafkaProperties = Map.copyOf(b.kafkaProperties);
  }

  /** A builder with every default; the three addresses must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads {@code RUNSTREAM_KAFKA_BOOTSTRAP} or {@value #ENV_KAFKA_BOOTSTRAP}, {@code
   * RUNSTREAM_SCHEMA_REGISTRY_URL} or {@value #ENV_SCHEMA_REGISTRY_URL}, {@value
   * #ENV_CLICKHOUSE_URL} (required) and {@value #ENV_TOPIC_PREFIX}, {@value #ENV_CLICKHOUSE_USER},
   * {@value #ENV_CLICKHOUSE_PASSWORD}, {@value #ENV_CLICKHOUSE_DATABASE}, {@value #ENV_GROUP_ID},
   * {@value #ENV_BATCH_MAX_ROWS}, {@value #ENV_BATCH_MAX_DELAY_MS}, {@value
   * #ENV_ROLLUP_INTERVAL_MS}, {@value #ENV_STALL_WARNING_MS} (durations: {@code 250ms}, {@code 2s},
   * or milliseconds), {@value #ENV_TEAM}, {@code RUNSTREAM_KAFKA_PROPERTIES_FILE} and {@code
   * RUNSTREAM_KAFKA_PROPERTIES} (optional) from the process environment; see {@link Settings}.
   *
   * @throws IllegalArgumentException naming the variable that is missing or invalid
   */
  public static SinkConfig fromEnv() {
    return fromEnv(ConfigProperties.fromEnvironment());
  }

  /** {@link #fromEnv()} over the given variables, for tests and launchers. */
  public static SinkConfig fromEnv(Map<String, String> env) {
    return fromEnv(ConfigProperties.of(env));
  }

  /** {@link #fromEnv()} over configuration already read. */
  public static SinkConfig fromEnv(ConfigProperties env) {
    env.require(Settings.KAFKA_BOOTSTRAP);
    env.require(Settings.SCHEMA_REGISTRY_URL);
    env.require(Settings.CLICKHOUSE_URL);
    Builder b = builder();
    // Each value goes through its setter, so it is checked as an explicit argument would be, and
    // the message names the variable.
    env.set(Settings.KAFKA_BOOTSTRAP, env::getString, b::bootstrapServers);
    env.set(Settings.SCHEMA_REGISTRY_URL, env::getString, b::schemaRegistryUrl);
    env.set(Settings.CLICKHOUSE_URL, env::getString, b::clickHouseUrl);
    return readOptional(env, b).build();
  }

  /**
   * The settings of {@link #fromEnv()} for the given servers, which the server variables of {@code
   * env} do not change: how a launcher that starts the servers itself configures the sink.
   *
   * @throws IllegalArgumentException naming the variable or setting that is wrong
   */
  public static SinkConfig forServers(
      ConfigProperties env,
      String bootstrapServers,
      String schemaRegistryUrl,
      String clickHouseUrl) {
    Builder b =
        builder()
            .bootstrapServers(bootstrapServers)
            .schemaRegistryUrl(schemaRegistryUrl)
            .clickHouseUrl(clickHouseUrl);
    return readOptional(env, b).build();
  }

  private static Builder readOptional(ConfigProperties env, Builder b) {
    env.set(Settings.TOPIC_PREFIX, env::getString, b::topicPrefix);
    env.set(Settings.CLICKHOUSE_USER, env::getString, b::clickHouseUser);
    env.set(Settings.CLICKHOUSE_PASSWORD, env::getString, b::clickHousePassword);
    // A mounted secret wins, so that the writer's password can stay out of the environment.
    env.set(
        Settings.CLICKHOUSE_PASSWORD_FILE,
        env::getPath,
        file -> b.clickHousePassword(ClickHouseLogin.readPasswordFile(file)));
    env.set(Settings.CLICKHOUSE_DATABASE, env::getString, b::database);
    env.set(Settings.SINK_GROUP_ID, env::getString, b::groupId);
    env.set(Settings.SINK_BATCH_MAX_ROWS, env::getInt, b::batchMaxRows);
    env.set(Settings.SINK_BATCH_MAX_DELAY, env::getDuration, b::batchMaxDelay);
    env.set(Settings.SINK_ROLLUP_INTERVAL, env::getDuration, b::rollupInterval);
    env.set(Settings.SINK_STALL_WARNING, env::getDuration, b::stallWarning);
    env.set(Settings.TEAM, env::getString, b::team);
    b.kafkaProperties(KafkaClients.userProperties(env));
    return b;
  }

  /** Kafka bootstrap servers, {@code host:port[,host:port...]}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The schema registry's Confluent-compatible base URL. */
  public String schemaRegistryUrl() {
    return schemaRegistryUrl;
  }

  /** ClickHouse HTTP URL, e.g. {@code http://127.0.0.1:8123}. */
  public String clickHouseUrl() {
    return clickHouseUrl;
  }

  /** ClickHouse user; default {@value #DEFAULT_CLICKHOUSE_USER}. */
  public String clickHouseUser() {
    return clickHouseUser;
  }

  /** ClickHouse password; default empty. Never logged. */
  public String clickHousePassword() {
    return clickHousePassword;
  }

  /** The ClickHouse database the tables live in; default {@value #DEFAULT_DATABASE}. */
  public String database() {
    return database;
  }

  /** The topics to read and dead-letter to; default {@link Topics#defaults()}. */
  public Topics topics() {
    return topics;
  }

  /** Kafka consumer group; default {@value #DEFAULT_GROUP_ID}. */
  public String groupId() {
    return groupId;
  }

  /**
   * Rows that make a batch full; default {@value #DEFAULT_BATCH_MAX_ROWS}. The sink holds at most
   * about twice this many rows (one batch being written, one being filled).
   */
  public int batchMaxRows() {
    return batchMaxRows;
  }

  /** Longest time a record waits before its batch is written; default 1 s. */
  public Duration batchMaxDelay() {
    return batchMaxDelay;
  }

  /**
   * How long inserted batches may wait for one shared refresh of the downsampled curves before
   * their offsets are committed; default 2 s. Longer means fewer refreshes (higher ingest rate),
   * curves that lag by up to this long, and more records read again after a crash.
   */
  public Duration rollupInterval() {
    return rollupInterval;
  }

  /**
   * Replication factor of topics created at start-up; default {@value #DEFAULT_REPLICATION_FACTOR},
   * the broker's default.
   */
  public short replicationFactor() {
    return replicationFactor;
  }

  /**
   * Attempts of one insert before the consumer pauses; default {@value #DEFAULT_INSERT_ATTEMPTS}.
   */
  public int insertAttempts() {
    return insertAttempts;
  }

  /**
   * How long a ClickHouse write may go unanswered (frozen, overloaded or down server) before the
   * sink logs one warning naming the server, the table and the wait; it logs the end of the stall
   * at INFO. Default 10 s.
   */
  public Duration stallWarning() {
    return stallWarning;
  }

  /**
   * The team that owns the topics this sink reads, if set: every row is stored under this team,
   * whatever team (W&B's entity) a record names, and a record that names another team goes to the
   * dead-letter topic instead. Unset (the default, for a cluster that one team uses), rows take the
   * team their records name.
   */
  public Optional<String> team() {
    return Optional.ofNullable(team);
  }

  /**
   * The user's Kafka client properties (SASL, TLS), over the sink's own in each of its clients;
   * default none.
   */
  public Map<String, String> kafkaProperties() {
    return kafkaProperties;
  }

  /** The sink's Kafka clients: the servers and the user's properties. */
  public KafkaClients kafkaClients() {
    return KafkaClients.of(bootstrapServers, kafkaProperties);
  }

  @Override
  public String toString() {
    // No password here: this string goes to logs.
    return "SinkConfig{bootstrapServers="
        + bootstrapServers
        + ", schemaRegistryUrl="
        + schemaRegistryUrl
        + ", clickHouseUrl="
        + clickHouseUrl
        + ", clickHouseUser="
        + clickHouseUser
        + ", database="
        + database
        + ", topicPrefix="
        + topics.prefix()
        + ", groupId="
        + groupId
        + ", batchMaxRows="
        + batchMaxRows
        + ", batchMaxDelay="
        + batchMaxDelay
        + ", rollupInterval="
        + rollupInterval
        + ", stallWarning="
        + stallWarning
        + ", team="
        + (team == null ? "(from each record)" : team)
        + "}";
  }

  /** Builds a {@link SinkConfig}. Not thread-safe. */
  public static final class Builder {
    private String bootstrapServers;
    private String schemaRegistryUrl;
    private String clickHouseUrl;
    private String clickHouseUser = DEFAULT_CLICKHOUSE_USER;
    private String clickHousePassword = DEFAULT_CLICKHOUSE_PASSWORD;
    private String database = DEFAULT_DATABASE;
    private Topics topics = Topics.defaults();
    private String groupId = DEFAULT_GROUP_ID;
    private int batchMaxRows = DEFAULT_BATCH_MAX_ROWS;
    private Duration batchMaxDelay = DEFAULT_BATCH_MAX_DELAY;
    private Duration rollupInterval = DEFAULT_ROLLUP_INTERVAL;
    private short replicationFactor = DEFAULT_REPLICATION_FACTOR;
    private int insertAttempts = DEFAULT_INSERT_ATTEMPTS;
    private Duration stallWarning = DEFAULT_STALL_WARNING;
    private String team;
    private Map<String, String> kafkaProperties = Map.of();

    private Builder() {}

    /** Required. Kafka bootstrap servers, {@code host:port[,host:port...]}. */
    public Builder bootstrapServers(String bootstrapServers) {
      Objects.requireNonNull(bootstrapServers, "bootstrapServers");
      for (String server : bootstrapServers.split(",")) {
        String s = server.strip();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1 || !s.substring(colon + 1).matches("\\d+")) {
          throw new IllegalArgumentException(
              "bootstrapServers must be host:port[,host:port...], got '" + bootstrapServers + "'");
        }
      }
      this.bootstrapServers = bootstrapServers.strip();
      return this;
    }

    /** Required. The registry's Confluent-compatible base URL (http or https). */
    public Builder schemaRegistryUrl(String schemaRegistryUrl) {
      this.schemaRegistryUrl = httpUrl("schemaRegistryUrl", schemaRegistryUrl);
      return this;
    }

    /** Required. ClickHouse's HTTP URL (http or https), e.g. {@code http://127.0.0.1:8123}. */
    public Builder clickHouseUrl(String clickHouseUrl) {
      this.clickHouseUrl = httpUrl("clickHouseUrl", clickHouseUrl);
      return this;
    }

    /** Default {@value #DEFAULT_CLICKHOUSE_USER}. */
    public Builder clickHouseUser(String user) {
      Objects.requireNonNull(user, "clickHouseUser");
      if (user.isBlank()) {
        throw new IllegalArgumentException("clickHouseUser must not be blank");
      }
      this.clickHouseUser = user;
      return this;
    }

    /** Default empty. */
    public Builder clickHousePassword(String password) {
      this.clickHousePassword = Objects.requireNonNull(password, "clickHousePassword");
      return this;
    }

    /** Default {@value #DEFAULT_DATABASE}; letters, digits and '_'. */
    public Builder database(String database) {
      this.database = Sql.requireIdentifier(database, "database");
      return this;
    }

    /** Default {@link Topics#defaults()}. */
    public Builder topics(Topics topics) {
      this.topics = Objects.requireNonNull(topics, "topics");
      return this;
    }

    /** Shorthand for {@code topics(Topics.withPrefix(prefix))}. */
    public Builder topicPrefix(String prefix) {
      try {
        return topics(Topics.withPrefix(prefix));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("topicPrefix: " + e.getMessage(), e);
      }
    }

    /** Default {@value #DEFAULT_GROUP_ID}. */
    public Builder groupId(String groupId) {
      Objects.requireNonNull(groupId, "groupId");
      if (groupId.isBlank()) {
        throw new IllegalArgumentException("groupId must not be blank");
      }
      this.groupId = groupId;
      return this;
    }

    /** Default {@value #DEFAULT_BATCH_MAX_ROWS}; at least 1. */
    public Builder batchMaxRows(int batchMaxRows) {
      if (batchMaxRows < 1) {
        throw new IllegalArgumentException("batchMaxRows must be at least 1: " + batchMaxRows);
      }
      this.batchMaxRows = batchMaxRows;
      return this;
    }

    /** Default 1 s; positive. */
    public Builder batchMaxDelay(Duration batchMaxDelay) {
      Objects.requireNonNull(batchMaxDelay, "batchMaxDelay");
      if (batchMaxDelay.isNegative() || batchMaxDelay.isZero()) {
        throw new IllegalArgumentException("batchMaxDelay must be positive: " + batchMaxDelay);
      }
      this.batchMaxDelay = batchMaxDelay;
      return this;
    }

    /** {@link #batchMaxDelay(Duration)} in milliseconds. */
    public Builder batchMaxDelayMillis(long millis) {
      return batchMaxDelay(Duration.ofMillis(millis));
    }

    /** Default 10 s; positive. */
    public Builder stallWarning(Duration stallWarning) {
      Objects.requireNonNull(stallWarning, "stallWarning");
      if (stallWarning.isNegative() || stallWarning.isZero()) {
        throw new IllegalArgumentException("stallWarning must be positive: " + stallWarning);
      }
      this.stallWarning = stallWarning;
      return this;
    }

    /** Default 2 s; zero refreshes after every batch; not negative. */
    public Builder rollupInterval(Duration rollupInterval) {
      Objects.requireNonNull(rollupInterval, "rollupInterval");
      if (rollupInterval.isNegative()) {
        throw new IllegalArgumentException(
            "rollupInterval must not be negative: " + rollupInterval);
      }
      this.rollupInterval = rollupInterval;
      return this;
    }

    /**
     * Default {@value #DEFAULT_REPLICATION_FACTOR} (the broker's default); otherwise at least 1.
     */
    public Builder replicationFactor(int replicationFactor) {
      if ((replicationFactor < 1 && replicationFactor != TopicSetup.BROKER_DEFAULT_REPLICATION)
          || replicationFactor > Short.MAX_VALUE) {
        throw new IllegalArgumentException(
            "replicationFactor must be at least 1, or -1 for the broker's default: "
                + replicationFactor);
      }
      this.replicationFactor = (short) replicationFactor;
      return this;
    }

    /** Default {@value #DEFAULT_INSERT_ATTEMPTS}; at least 1. */
    public Builder insertAttempts(int insertAttempts) {
      if (insertAttempts < 1) {
        throw new IllegalArgumentException("insertAttempts must be at least 1: " + insertAttempts);
      }
      this.insertAttempts = insertAttempts;
      return this;
    }

    /**
     * Binds the sink to one team's topics (see {@link SinkConfig#team()}): letters, digits, '.',
     * '_' and '-'. Default: unset.
     */
    public Builder team(String team) {
      this.team = Topics.requireTeam(team);
      return this;
    }

    /**
     * Kafka client properties (SASL, TLS) over the sink's own; the servers, deserializers, group
     * and commits stay the sink's. Default none.
     */
    public Builder kafkaProperties(Map<String, String> properties) {
      this.kafkaProperties = Map.copyOf(Objects.requireNonNull(properties, "kafkaProperties"));
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the first required setting that is missing
     */
    public SinkConfig build() {
      if (bootstrapServers == null) {
        throw new IllegalArgumentException("bootstrapServers must be set");
      }
      if (schemaRegistryUrl == null) {
        throw new IllegalArgumentException("schemaRegistryUrl must be set");
      }
      if (clickHouseUrl == null) {
        throw new IllegalArgumentException("clickHouseUrl must be set");
      }
      return new SinkConfig(this);
    }

    private static String httpUrl(String setting, String url) {
      Objects.requireNonNull(url, setting);
      try {
        URI uri = new URI(url.strip());
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
            || uri.getHost() == null) {
          throw new IllegalArgumentException(
              setting + " must be an http(s) URL with a host, got '" + url + "'");
        }
        return uri.toString();
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(setting + " is not a URL: '" + url + "'", e);
      }
    }
  }
}
