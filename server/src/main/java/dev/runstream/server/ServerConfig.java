package dev.runstream.server;

import dev.runstream.query.ClickHouseLogin;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The settings of a {@link WandbServer}: where it listens, which API keys it accepts (each naming
 * the team it logs for), where it keeps its runs, and the Kafka and registry the runs go to.
 *
 * <p>Immutable and thread-safe; built with {@link #builder(String, String)} or read from the
 * environment with {@link #fromEnv(ConfigProperties)}.
 */
public final class ServerConfig {
  /** The default port, {@value}. */
  public static final int DEFAULT_PORT = 8080;

  /** The default bind address, {@value}. */
  public static final String DEFAULT_HOST = "0.0.0.0";

  /** The default data directory. */
  public static final Path DEFAULT_DATA_DIR = Path.of("runstream-server");

  /** The default largest request body, 64 MiB. */
  public static final long DEFAULT_MAX_BODY_BYTES = 64L * 1024 * 1024;

  /** Default of {@link #runIdleTimeout()}: 10 minutes. */
  public static final Duration DEFAULT_RUN_IDLE_TIMEOUT = Duration.ofMinutes(10);

  /** The default topic prefix, as the SDK's. */
  public static final String DEFAULT_TOPIC_PREFIX = "runstream.";

  private final String kafkaBootstrap;
  private final String schemaRegistryUrl;
  private final String topicPrefix;
  private final String host;
  private final int port;
  private final Path dataDir;
  private final long maxBodyBytes;
  private final Duration runIdleTimeout;
  private final Map<String, String> apiKeys;
  private final ClickHouse clickHouse;
  private final Peers peers;

  /**
   * The ClickHouse the web page reads runs from (the sink's tables).
   *
   * @param url the HTTP interface, e.g. {@code http://127.0.0.1:8123}
   * @param user e.g. {@code default}
   * @param password empty for none; never logged
   * @param database the database of the sink's tables, e.g. {@code runstream}
   */
  public record ClickHouse(String url, String user, String password, String database) {
    /** Checks the values. */
    public ClickHouse {
      Builder.requireText(url, "clickHouseUrl");
      Builder.requireText(user, "clickHouseUser");
      Objects.requireNonNull(password, "clickHousePassword");
      Builder.requireText(database, "clickHouseDatabase");
    }

    @Override
    public String toString() {
      // Never the password.
      return url + "/" + database + " as " + user;
    }
  }

  private ServerConfig(Builder b) {
    this.kafkaBootstrap = b.kafkaBootstrap;
    this.schemaRegistryUrl = b.schemaRegistryUrl;
    this.topicPrefix = b.topicPrefix;
    this.host = b.host;
    this.port = b.port;
    this.dataDir = b.dataDir;
    this.maxBodyBytes = b.maxBodyBytes;
    this.runIdleTimeout = b.runIdleTimeout;
    this.apiKeys = Map.copyOf(b.apiKeys);
    this.clickHouse = b.clickHouse;
    this.peers = b.peers;
  }

  /**
   * A builder with the two servers every run goes to.
   *
   * @param kafkaBootstrap Kafka's bootstrap servers
   * @param schemaRegistryUrl the registry's Confluent-compatible base URL
   */
  public static Builder builder(String kafkaBootstrap, String schemaRegistryUrl) {
    return new Builder(kafkaBootstrap, schemaRegistryUrl);
  }

  /**
   * Reads the server's variables: {@code RUNSTREAM_KAFKA_BOOTSTRAP}, {@code
   * RUNSTREAM_SCHEMA_REGISTRY_URL} (both required), {@code RUNSTREAM_SERVER_API_KEYS_FILE}
   * (required), {@code RUNSTREAM_SERVER_PORT}, {@code RUNSTREAM_SERVER_HOST}, {@code
   * RUNSTREAM_SERVER_DATA_DIR}, {@code RUNSTREAM_SERVER_MAX_BODY_BYTES}, {@code
   * RUNSTREAM_SERVER_RUN_IDLE_TIMEOUT}, {@code RUNSTREAM_TOPIC_PREFIX}, and for the web page {@code
   * CLICKHOUSE_URL} (optional: without it {@code /web} and {@code /api} answer 503) with {@code
   * CLICKHOUSE_USER}, {@code CLICKHOUSE_PASSWORD_FILE} or {@code CLICKHOUSE_PASSWORD} and {@code
   * CLICKHOUSE_DATABASE}, as the sink reads them, and for several servers behind one load balancer
   * {@code RUNSTREAM_SERVER_PEERS} with {@code RUNSTREAM_SERVER_ADVERTISED_URL} ({@link
   * Peers#fromEnv}).
   *
   * @throws IllegalArgumentException naming the variable that is missing or wrong
   */
  public static ServerConfig fromEnv(ConfigProperties env) {
    Builder b =
        builder(env.require(Settings.KAFKA_BOOTSTRAP), env.require(Settings.SCHEMA_REGISTRY_URL));
    Path keys =
        env.getPath(Settings.SERVER_API_KEYS_FILE)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        Settings.SERVER_API_KEYS_FILE.name()
                            + " must name a file of key=team lines: the server accepts no client"
                            + " without a key"));
    b.apiKeys(ApiKeys.read(keys));
    env.set(Settings.SERVER_PORT, env::getInt, b::port);
    env.set(Settings.SERVER_HOST, env::getString, b::host);
    env.set(Settings.SERVER_DATA_DIR, env::getPath, b::dataDir);
    env.set(Settings.SERVER_MAX_BODY_BYTES, env::getLong, b::maxBodyBytes);
    env.set(Settings.SERVER_RUN_IDLE_TIMEOUT, env::getDuration, b::runIdleTimeout);
    env.set(Settings.TOPIC_PREFIX, env::getString, b::topicPrefix);
    if (env.getString(Settings.CLICKHOUSE_URL).isPresent()) {
      // The same login the sink and the CLI read, CLICKHOUSE_PASSWORD_FILE included.
      ClickHouseLogin login = ClickHouseLogin.fromConfig(env);
      b.clickHouse(new ClickHouse(login.url(), login.user(), login.password(), login.database()));
    }
    Peers.fromEnv(env).ifPresent(p -> b.peers(p.self(), p.all()));
    return b.build();
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

  public String host() {
    return host;
  }

  /** The port; 0 picks a free one ({@link WandbServer#port()} tells which). */
  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  /**
   * How long a run may go without a request before the server detaches it (default {@link
   * #DEFAULT_RUN_IDLE_TIMEOUT}): its heartbeats stop, so the processor marks a run whose client
   * died crashed; a later request of the run resumes it.
   */
  public Duration runIdleTimeout() {
    return runIdleTimeout;
  }

  public long maxBodyBytes() {
    return maxBodyBytes;
  }

  /** API key to team. */
  public Map<String, String> apiKeys() {
    return apiKeys;
  }

  /** The ClickHouse the web page reads; empty when the server serves no web page. */
  public Optional<ClickHouse> clickHouse() {
    return Optional.ofNullable(clickHouse);
  }

  /**
   * The servers that share the work, this one included, in {@link Peers#url} form; empty (the
   * default) when this server works alone.
   */
  public List<URI> peers() {
    return peers == null ? List.of() : peers.all();
  }

  /** This server's URL among {@link #peers()}; empty when it works alone. */
  public Optional<URI> advertisedUrl() {
    return peers == null ? Optional.empty() : Optional.of(peers.self());
  }

  @Override
  public String toString() {
    // Never the keys themselves.
    return "ServerConfig{host="
        + host
        + ", port="
        + port
        + ", dataDir="
        + dataDir
        + ", kafka="
        + kafkaBootstrap
        + ", registry="
        + schemaRegistryUrl
        + ", topicPrefix="
        + topicPrefix
        + ", apiKeys="
        + apiKeys.size()
        + ", clickHouse="
        + (clickHouse == null ? "none" : clickHouse)
        + (peers == null ? "" : ", " + peers)
        + "}";
  }

  /** Builds a {@link ServerConfig}; not thread-safe. */
  public static final class Builder {
    private final String kafkaBootstrap;
    private final String schemaRegistryUrl;
    private String topicPrefix = DEFAULT_TOPIC_PREFIX;
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private Path dataDir = DEFAULT_DATA_DIR;
    private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private Duration runIdleTimeout = DEFAULT_RUN_IDLE_TIMEOUT;
    private final Map<String, String> apiKeys = new LinkedHashMap<>();
    private ClickHouse clickHouse;
    private Peers peers;

    private Builder(String kafkaBootstrap, String schemaRegistryUrl) {
      this.kafkaBootstrap = requireText(kafkaBootstrap, "kafkaBootstrap");
      this.schemaRegistryUrl = requireText(schemaRegistryUrl, "schemaRegistryUrl");
    }

    /** The port, 0 to 65535 (0: any free port); default {@value #DEFAULT_PORT}. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0 to 65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /** The bind address; default {@value #DEFAULT_HOST}. */
    public Builder host(String host) {
      this.host = requireText(host, "host");
      return this;
    }

    /** Where run journals and uploaded files go; default {@code ./runstream-server}. */
    public Builder dataDir(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
      return this;
    }

    /**
     * Default {@link ServerConfig#DEFAULT_RUN_IDLE_TIMEOUT}; see {@link
     * ServerConfig#runIdleTimeout()}.
     */
    public Builder runIdleTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("runIdleTimeout must be positive, was " + timeout);
      }
      this.runIdleTimeout = timeout;
      return this;
    }

    /** The largest request body read, at least 1 KiB; default 64 MiB. */
    public Builder maxBodyBytes(long maxBodyBytes) {
      if (maxBodyBytes < 1024) {
        throw new IllegalArgumentException(
            "maxBodyBytes must be at least 1024, was " + maxBodyBytes);
      }
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /** The topic prefix runs are written under; default {@value #DEFAULT_TOPIC_PREFIX}. */
    public Builder topicPrefix(String topicPrefix) {
      this.topicPrefix = requireText(topicPrefix, "topicPrefix");
      return this;
    }

    /** Accepts {@code key}, logging for {@code team}. */
    public Builder apiKey(String key, String team) {
      apiKeys.put(requireText(key, "key"), requireText(team, "team"));
      return this;
    }

    /** Accepts every key of {@code keys} (key to team). */
    public Builder apiKeys(Map<String, String> keys) {
      keys.forEach(this::apiKey);
      return this;
    }

    /** Serves the web page over the runs of {@code clickHouse}; default none (503). */
    public Builder clickHouse(ClickHouse clickHouse) {
      this.clickHouse = Objects.requireNonNull(clickHouse, "clickHouse");
      return this;
    }

    /**
     * Shares the work with the other servers behind one load balancer; default: this server alone.
     *
     * @param self this server's base URL, one of {@code peers}
     * @param peers every server's base URL, this one's included, the same list on each server
     * @throws IllegalArgumentException as {@link Peers#Peers} does
     */
    public Builder peers(URI self, List<URI> peers) {
      this.peers = new Peers(self, peers);
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @throws IllegalStateException if no API key was given
     */
    public ServerConfig build() {
      if (apiKeys.isEmpty()) {
        throw new IllegalStateException(
            "at least one API key is needed: the server refuses clients without one");
      }
      return new ServerConfig(this);
    }

    private static String requireText(String value, String what) {
      Objects.requireNonNull(value, what);
      if (value.isBlank()) {
        throw new IllegalArgumentException(what + " must not be blank");
      }
      return value;
    }
  }
}
