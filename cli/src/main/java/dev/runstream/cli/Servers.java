package dev.runstream.cli;

import com.clickhouse.client.api.ClickHouseException;
import com.clickhouse.client.api.ServerException;
import dev.runstream.deploy.ClickHouseTeams;
import dev.runstream.query.ClickHouseLogin;
import dev.runstream.query.FoundRun;
import dev.runstream.query.RunFinder;
import dev.runstream.query.RunNotFoundException;
import dev.runstream.query.RunQueries;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.KafkaClients;
import dev.runstream.schemas.config.Setting;
import dev.runstream.schemas.config.Settings;
import dev.runstream.sink.SinkConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The servers a command talks to: {@code KAFKA_BOOTSTRAP}, {@code SCHEMA_REGISTRY_URL} and {@code
 * CLICKHOUSE_URL} when set, else those of the running {@code runstream up}. Each is checked when a
 * command first needs it, so that an error names the server that did not answer, its address, where
 * that address came from, and what to do.
 *
 * <p>With a team ({@code --team}), ClickHouse is read as that team's user: the one {@code
 * CLICKHOUSE_USER} and {@code CLICKHOUSE_PASSWORD_FILE} (or {@code CLICKHOUSE_PASSWORD}) name when
 * {@code CLICKHOUSE_USER} is set (database {@code CLICKHOUSE_DATABASE}, else the team's {@link
 * ClickHouseTeams#databaseOf}), else the team's login in the {@link ClickHouseTeams#FILE_NAME} of
 * the running {@code runstream up}; queries are limited to the team's runs as well.
 *
 * <p>Not thread-safe; one per command.
 */
final class Servers {
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

  // For the schema registry's probe; HTTP/1.1 only, as some registries refuse the h2c upgrade.
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(PROBE_TIMEOUT)
          .build();

  private final ConfigProperties config;
  private final Optional<StackState> up;
  // Null: read as the configured user, every team's runs.
  private final String team;
  private ClickHouseLogin login;
  private boolean clickHouseChecked;

  private Servers(Map<String, String> env, Optional<StackState> up, String team) {
    this.config = ConfigProperties.of(env);
    this.up = up;
    this.team = team;
  }

  /** The servers named by {@code env}, or of a live {@code runstream up}. Checks nothing yet. */
  static Servers locate(Map<String, String> env) {
    return locate(env, null);
  }

  /**
   * Like {@link #locate(Map)}, reading ClickHouse as {@code team}'s user when {@code team} is not
   * null. Checks nothing yet.
   */
  static Servers locate(Map<String, String> env, String team) {
    return new Servers(env, StackState.readLive(env), team);
  }

  /**
   * Who reads ClickHouse and where the password came from: the configuration, or with a team and no
   * {@code CLICKHOUSE_USER}, the team's login from the stack's logins file.
   */
  ClickHouseLogin clickhouseLogin() {
    if (login != null) {
      return login;
    }
    ClickHouseLogin configured;
    try {
      configured = ClickHouseLogin.fromConfig(config).withUrl(clickhouseUrl());
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage(), e);
    }
    if (team == null) {
      login = configured;
      return login;
    }
    if (config.getString(Settings.CLICKHOUSE_USER).isPresent()) {
      // A team's user may read only the team's database: default to it, not to runstream.
      login =
          config.getString(Settings.CLICKHOUSE_DATABASE).isPresent()
              ? configured
              : new ClickHouseLogin(
                  configured.url(),
                  configured.user(),
                  configured.password(),
                  ClickHouseTeams.databaseOf(team),
                  configured.passwordSource());
      return login;
    }
    Optional<Path> file =
        up.map(StackState::dataDir)
            .filter(d -> !d.isBlank())
            .map(d -> Path.of(d, ClickHouseTeams.FILE_NAME))
            .filter(Files::isRegularFile);
    Optional<ClickHouseTeams.Login> teamLogin;
    try {
      teamLogin = file.map(ClickHouseTeams::read).flatMap(t -> t.team(team));
    } catch (RuntimeException e) {
      throw new CliException("cannot read " + file.get() + ": " + e.getMessage(), e);
    }
    if (teamLogin.isEmpty()) {
      throw new CliException(
          "no ClickHouse user for team "
              + team
              + ": "
              + (file.isPresent()
                  ? file.get() + " has no login for it"
                  : "the running stack keeps no team logins")
              + ". Set "
              + Settings.CLICKHOUSE_USER.name()
              + " and "
              + Settings.CLICKHOUSE_PASSWORD_FILE.name()
              + " (and "
              + Settings.CLICKHOUSE_DATABASE.name()
              + ") to the team's ClickHouse login.");
    }
    ClickHouseTeams.Login l = teamLogin.get();
    login =
        new ClickHouseLogin(
            clickhouseUrl(),
            l.user(),
            l.password(),
            config.getString(Settings.CLICKHOUSE_DATABASE, l.database()),
            "the stack's logins file " + file.get());
    return login;
  }

  /** ClickHouse's HTTP URL, without trailing slash. */
  String clickhouseUrl() {
    return address(
        Settings.CLICKHOUSE_URL, "ClickHouse", up.map(s -> s.endpoints().clickhouseUrl()));
  }

  /** Kafka's bootstrap servers. */
  String kafkaBootstrap() {
    return address(Settings.KAFKA_BOOTSTRAP, "Kafka", up.map(s -> s.endpoints().kafkaBootstrap()));
  }

  /**
   * Kafka's clients: {@link #kafkaBootstrap()} and the user's client properties ({@code
   * RUNSTREAM_KAFKA_PROPERTIES_FILE}, {@code RUNSTREAM_KAFKA_PROPERTIES}).
   */
  KafkaClients kafkaClients() {
    try {
      return KafkaClients.of(kafkaBootstrap(), KafkaClients.userProperties(config));
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage(), e);
    }
  }

  /** The schema registry's Confluent-compatible base URL. */
  String schemaRegistryUrl() {
    return address(
        Settings.SCHEMA_REGISTRY_URL,
        "the schema registry",
        up.map(s -> s.endpoints().schemaRegistryUrl()));
  }

  /**
   * The ClickHouse database the sink writes to ({@code CLICKHOUSE_DATABASE}, default runstream).
   */
  String database() {
    return team == null
        ? config.getString(Settings.CLICKHOUSE_DATABASE, SinkConfig.DEFAULT_DATABASE)
        : clickhouseLogin().database();
  }

  String clickhouseUser() {
    return clickhouseLogin().user();
  }

  String clickhousePassword() {
    return clickhouseLogin().password();
  }

  /** The team's topics ({@code RUNSTREAM_TOPIC_PREFIX}, default {@code runstream.}). */
  Topics topics() {
    try {
      return config.get(Settings.TOPIC_PREFIX, Topics::withPrefix).orElseGet(Topics::defaults);
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage(), e);
    }
  }

  /** Queries over ClickHouse, after checking that it answers. The caller closes them. */
  RunQueries queries() {
    requireClickHouse();
    return connect();
  }

  /**
   * The run each of {@code refs} names ({@link RunFinder#resolve}), as a command's error when one
   * names no run or several.
   */
  List<FoundRun> resolve(RunFinder finder, List<String> refs, String project) {
    try {
      return finder.resolve(refs, project);
    } catch (RunNotFoundException e) {
      if (e.ambiguous()) {
        throw new CliException(e.getMessage(), e);
      }
      throw new CliException(
          e.getMessage()
              + " (ClickHouse at "
              + clickhouseUrl()
              + "); `runstream runs list --project P` shows the runs of a project",
          e);
    }
  }

  /** Checks that ClickHouse answers and holds the sink's tables. */
  void requireClickHouse() {
    if (clickHouseChecked) {
      return;
    }
    String url = clickhouseUrl();
    boolean hasTables;
    try (RunQueries probe = connect()) {
      hasTables = probe.hasTables();
    } catch (ServerException e) {
      if (ClickHouseLogin.isRefusedLogin(e)) {
        throw new CliException(clickhouseLogin().refusedMessage() + ".", e);
      }
      throw notAnswering(
          "ClickHouse",
          url,
          Settings.CLICKHOUSE_URL,
          "code " + e.getCode() + ": " + firstLine(e.getMessage()));
    } catch (CliException e) {
      throw e;
    } catch (RuntimeException e) {
      if (ClickHouseLogin.isRefusedLogin(e)) {
        throw new CliException(clickhouseLogin().refusedMessage() + ".", e);
      }
      throw notAnswering("ClickHouse", url, Settings.CLICKHOUSE_URL, describe(rootCause(e)));
    }
    if (!hasTables) {
      throw new CliException(
          "ClickHouse at "
              + url
              + " has no runstream tables in database "
              + database()
              + " yet: the sink creates them when it starts (`runstream up` runs one)");
    }
    clickHouseChecked = true;
  }

  private RunQueries connect() {
    try {
      ClickHouseLogin l = clickhouseLogin();
      return team == null ? RunQueries.connect(l) : RunQueries.connect(l, team);
    } catch (IllegalArgumentException e) {
      throw new CliException(
          Settings.CLICKHOUSE_URL
              + " or "
              + SinkConfig.ENV_CLICKHOUSE_DATABASE
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private static Throwable rootCause(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause;
  }

  /**
   * The error for a ClickHouse failure after {@link #requireClickHouse()} passed: the server
   * refused a query, or stopped answering in the middle of the command.
   */
  CliException clickHouseFailed(ClickHouseException e) {
    String url = clickhouseUrl();
    if (ClickHouseLogin.isRefusedLogin(e)) {
      return new CliException(clickhouseLogin().refusedMessage() + ".", e);
    }
    if (e instanceof ServerException refused) {
      return new CliException(
          "ClickHouse at "
              + url
              + " refused a query (code "
              + refused.getCode()
              + "): "
              + firstLine(refused.getMessage())
              + ". If its runstream tables are older than this CLI, start the sink of this"
              + " version (`runstream up`) so it migrates them; otherwise run again with"
              + " RUNSTREAM_DEBUG=1 and report the stack trace.",
          e);
    }
    return notAnswering(
        "ClickHouse",
        url,
        Settings.CLICKHOUSE_URL,
        "it stopped answering during the command (" + describe(e) + ")");
  }

  /** Checks that one of Kafka's bootstrap servers accepts a connection. */
  void requireKafka() {
    String bootstrap = kafkaBootstrap();
    String last = "no address in it";
    for (String server : bootstrap.split(",")) {
      String hostPort = server.trim();
      int colon = hostPort.lastIndexOf(':');
      if (colon <= 0) {
        last = "'" + hostPort + "' is not host:port";
        continue;
      }
      try (Socket socket = new Socket()) {
        socket.connect(
            new InetSocketAddress(
                hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))),
            (int) PROBE_TIMEOUT.toMillis());
        return;
      } catch (IOException | IllegalArgumentException e) {
        last = describe(e);
      }
    }
    throw notAnswering("Kafka", bootstrap, Settings.KAFKA_BOOTSTRAP, last);
  }

  /** Checks that the schema registry lists its subjects. */
  void requireSchemaRegistry() {
    String url = schemaRegistryUrl();
    try {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(url + "/subjects"))
              .timeout(PROBE_TIMEOUT)
              .GET()
              .build();
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw notAnswering(
            "the schema registry",
            url,
            Settings.SCHEMA_REGISTRY_URL,
            "HTTP " + response.statusCode() + " for /subjects: " + firstLine(response.body()));
      }
    } catch (IOException | IllegalArgumentException e) {
      throw notAnswering("the schema registry", url, Settings.SCHEMA_REGISTRY_URL, describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted while checking the schema registry at " + url, e);
    }
  }

  private String address(Setting setting, String server, Optional<String> fromUp) {
    Optional<String> configured = config.getString(setting);
    if (configured.isPresent()) {
      return stripSlash(configured.get());
    }
    if (fromUp.isPresent() && fromUp.get() != null && !fromUp.get().isBlank()) {
      return stripSlash(fromUp.get());
    }
    throw new CliException(
        "no "
            + server
            + " to talk to: no runstream stack is running and "
            + setting.label()
            + " is not set. Start the local stack with `runstream up --detach`, or set "
            + setting.name()
            + " to your server.");
  }

  private CliException notAnswering(String server, String address, Setting setting, String why) {
    String source;
    String todo;
    Optional<String> variable = config.nameSet(setting);
    if (variable.isPresent()) {
      source = "from " + variable.get();
      todo = "Start that server, or point " + variable.get() + " at one that runs.";
    } else {
      StackState state = up.orElseThrow();
      source = "from `runstream up`, pid " + state.pid();
      todo =
          "The stack of `runstream up` is not healthy"
              + (state.log().isBlank() ? "" : " (its log: " + state.log() + ")")
              + "; restart it with `runstream down && runstream up --detach`.";
    }
    return new CliException(
        server + " did not answer at " + address + " (" + source + "): " + why + ". " + todo);
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  static String describe(Throwable e) {
    String message = e.getMessage();
    if (e instanceof java.net.ConnectException
        || e instanceof java.net.http.HttpConnectTimeoutException) {
      return message == null || message.isBlank() ? "connection refused" : message;
    }
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  private static String firstLine(String body) {
    String line = body == null ? "" : body.strip().lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }
}
