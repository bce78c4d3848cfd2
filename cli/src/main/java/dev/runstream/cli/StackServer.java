package dev.runstream.cli;

import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.Settings;
import dev.runstream.sdk.RunOptions;
import dev.runstream.server.ServerConfig;
import dev.runstream.server.WandbServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The W&amp;B-compatible server that {@code runstream up} and {@code runstream demo} run beside the
 * processor and the sink, against the stack's Kafka and registry.
 *
 * <p>Its settings are the server's own ({@code RUNSTREAM_SERVER_*}, read by {@link
 * ServerConfig#fromEnv}) with a local stack's defaults: it binds 127.0.0.1 like the stack's other
 * servers, keeps its runs in the stack's data directory and, unless {@code
 * RUNSTREAM_SERVER_API_KEYS_FILE} names the keys, accepts one key for the team {@value
 * RunOptions#DEFAULT_ENTITY}, generated once and kept in the data directory ({@value #KEY_FILE}) so
 * that it outlives {@code runstream down}.
 *
 * <p>Register it with {@code LocalStack.closeFirst} after the pipeline, so that it stops first.
 */
final class StackServer implements AutoCloseable {
  /** The generated keys file in the stack's data directory. */
  static final String KEY_FILE = "server-api-keys";

  // The wandb client accepts keys of 40 or more characters; W&B's own have 40 hex digits.
  private static final int KEY_BYTES = 20;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final WandbServer server;
  private final String url;
  private final String note;

  private StackServer(WandbServer server, String url, String note) {
    this.server = server;
    this.url = url;
    this.note = note;
  }

  /**
   * Starts the server; blocks until it listens.
   *
   * @param clickhouseUrl the stack's ClickHouse, which the web page reads
   * @param dataDir the stack's data directory: the generated key and the server's runs go there
   * @param anyPortIfBusy when the port is the default one and taken, take any free port instead of
   *     failing (the demo's throwaway stack); {@code runstream up} keeps its port stable instead
   * @throws CliException naming the setting that is wrong, or the port that is taken
   */
  static StackServer start(
      Map<String, String> env,
      String kafkaBootstrap,
      String schemaRegistryUrl,
      String clickhouseUrl,
      Path dataDir,
      boolean anyPortIfBusy) {
    ConfigProperties given = ConfigProperties.of(env);
    Map<String, String> settings = new HashMap<>(env);
    settings.put(Settings.KAFKA_BOOTSTRAP.name(), kafkaBootstrap);
    settings.put(Settings.SCHEMA_REGISTRY_URL.name(), schemaRegistryUrl);
    // The stack's ClickHouse, so the server also serves the web page over what the sink stored.
    settings.put(Settings.CLICKHOUSE_URL.name(), clickhouseUrl);
    if (given.getString(Settings.SERVER_HOST).isEmpty()) {
      settings.put(Settings.SERVER_HOST.name(), "127.0.0.1");
    }
    if (given.getString(Settings.SERVER_DATA_DIR).isEmpty()) {
      settings.put(Settings.SERVER_DATA_DIR.name(), dataDir.resolve("server").toString());
    }
    if (given.getString(Settings.SERVER_API_KEYS_FILE).isEmpty()) {
      settings.put(Settings.SERVER_API_KEYS_FILE.name(), ensureKey(dataDir).toString());
    }
    ServerConfig config = config(settings);
    boolean portGiven = given.getString(Settings.SERVER_PORT).isPresent();
    if (anyPortIfBusy && !portGiven && !canBind(config)) {
      // Asked before Jetty tries, which would log a failure to start that is no failure here.
      return startOnAnyPort(settings, config.port());
    }
    try {
      WandbServer server = WandbServer.start(config);
      return new StackServer(server, url(config, server), "");
    } catch (RuntimeException e) {
      if (!isBindFailure(e)) {
        throw e;
      }
      if (!anyPortIfBusy || portGiven) {
        throw portTaken(config.port(), portGiven);
      }
      return startOnAnyPort(settings, config.port());
    }
  }

  private static StackServer startOnAnyPort(Map<String, String> settings, int taken) {
    settings.put(Settings.SERVER_PORT.name(), "0");
    ServerConfig anyPort = config(settings);
    WandbServer server = WandbServer.start(anyPort);
    return new StackServer(
        server,
        url(anyPort, server),
        "(port "
            + taken
            + " is taken, so it took a free one; "
            + Settings.SERVER_PORT.name()
            + " chooses)");
  }

  private static boolean canBind(ServerConfig config) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(config.host(), config.port()));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Where clients reach it, e.g. {@code http://127.0.0.1:8080}. */
  String url() {
    return url;
  }

  /** Why the server is not where the settings said, or empty. */
  String note() {
    return note;
  }

  /** Stops it; open runs stay resumable from their journals. Idempotent. */
  @Override
  public void close() {
    server.close();
  }

  /**
   * What a user pastes to log into the server at {@code url} with the wandb client: the two
   * variables, the key being the generated one of {@code dataDir} unless {@code env} names a keys
   * file.
   */
  static List<String> wandbExports(Map<String, String> env, String url, Path dataDir) {
    Optional<Path> keysFile = ConfigProperties.of(env).getPath(Settings.SERVER_API_KEYS_FILE);
    String key =
        keysFile.isPresent()
            ? "<a key of " + keysFile.get() + ">"
            : generatedKey(dataDir).orElse("<a key of " + dataDir.resolve(KEY_FILE) + ">");
    return List.of("export WANDB_BASE_URL=" + url, "export WANDB_API_KEY=" + key);
  }

  /** The URL a client on this machine uses for a server with {@code config}. */
  static String url(ServerConfig config, WandbServer server) {
    String host = config.host();
    if (host.equals("0.0.0.0") || host.equals("::")) {
      host = "127.0.0.1"; // listening on every interface, this one included
    } else if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + server.port();
  }

  /** Whether {@code e}, from {@link WandbServer#start}, says that the port is taken. */
  static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof BindException
          || t.getClass().getSimpleName().equals("JavalinBindException")) {
        return true;
      }
    }
    return false;
  }

  /** The error for a port that another program holds. */
  static CliException portTaken(int port, boolean portGiven) {
    return new CliException(
        "port "
            + port
            + " of the W&B-compatible server is taken by another program ("
            + Settings.SERVER_PORT.name()
            + (portGiven ? "" : " is not set, so the default " + ServerConfig.DEFAULT_PORT)
            + "): stop that program, or set "
            + Settings.SERVER_PORT.name()
            + " to a free port");
  }

  private static ServerConfig config(Map<String, String> settings) {
    try {
      return ServerConfig.fromEnv(ConfigProperties.of(settings));
    } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
      throw new CliException("cannot start the W&B-compatible server: " + e.getMessage(), e);
    }
  }

  /** The generated key of {@code dataDir}, if one was made there. */
  static Optional<String> generatedKey(Path dataDir) {
    Path file = dataDir.resolve(KEY_FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
          .map(String::strip)
          .filter(l -> !l.isEmpty() && !l.startsWith("#") && l.indexOf('=') > 0)
          .map(l -> l.substring(0, l.indexOf('=')).strip())
          .findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The generated keys file of {@code dataDir}, made with a new random key if there is none. */
  private static Path ensureKey(Path dataDir) {
    Path file = dataDir.resolve(KEY_FILE);
    if (generatedKey(dataDir).isPresent()) {
      return file;
    }
    byte[] bytes = new byte[KEY_BYTES];
    RANDOM.nextBytes(bytes);
    String content =
        "# The API key of runstream's W&B-compatible server, made by `runstream up` for the team "
            + RunOptions.DEFAULT_ENTITY
            + ".\n# Kept with the stack's data; RUNSTREAM_SERVER_API_KEYS_FILE names other keys.\n"
            + HexFormat.of().formatHex(bytes)
            + "="
            + RunOptions.DEFAULT_ENTITY
            + "\n";
    try {
      Files.createDirectories(dataDir);
      Path tmp = Files.createTempFile(dataDir, KEY_FILE, ".tmp");
      try {
        // A key is a password: only its owner reads it, where the file system can say so.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system: the data directory's own permissions protect it.
      }
      Files.writeString(tmp, content, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      return file;
    } catch (IOException e) {
      throw new CliException(
          "cannot keep the W&B-compatible server's API key in "
              + file
              + ": "
              + e.getMessage()
              + "; or set "
              + Settings.SERVER_API_KEYS_FILE.name()
              + " to a file of key=team lines",
          e);
    }
  }
}
