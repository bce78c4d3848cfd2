package dev.runstream.cli;

import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.Settings;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * What {@code runstream up} is running, written to a file so {@code down} and the other commands
 * can find it: the owning process, the servers' addresses and where they keep their data. The file
 * lives in {@code $RUNSTREAM_HOME} (default {@code ~/.runstream}).
 *
 * @param pid the process of {@code runstream up}
 * @param endpoints where its servers listen
 * @param log where the detached process writes its output, or empty
 * @param dataDir the stack's data directory, or empty when not known
 * @param serverUrl where its W&amp;B-compatible server listens, or empty when it runs none
 */
public record StackState(
    long pid, Endpoints endpoints, String log, String dataDir, String serverUrl) {
  private static final String FILE = "up.properties";

  /** Names the data directory of {@code runstream up} instead of the default. */
  public static final String ENV_DATA_DIR = Settings.DATA_DIR.name();

  /** The state of a stack whose data directory is not known. */
  public StackState(long pid, Endpoints endpoints, String log) {
    this(pid, endpoints, log, "");
  }

  /** The state of a stack without a W&amp;B-compatible server. */
  public StackState(long pid, Endpoints endpoints, String log, String dataDir) {
    this(pid, endpoints, log, dataDir, "");
  }

  /** The port of its W&amp;B-compatible server, if it runs one. */
  public Optional<Integer> serverPort() {
    if (serverUrl.isEmpty()) {
      return Optional.empty();
    }
    int port = URI.create(serverUrl).getPort();
    return port < 0 ? Optional.empty() : Optional.of(port);
  }

  /**
   * The data directory of {@code runstream up}: {@code option} when given, else {@code
   * $RUNSTREAM_DATA_DIR}, else {@code data} in {@link #home}.
   */
  public static Path dataDir(Map<String, String> env, Path option) {
    if (option != null) {
      return option.toAbsolutePath();
    }
    return ConfigProperties.of(env)
        .getPath(Settings.DATA_DIR)
        .map(Path::toAbsolutePath)
        .orElseGet(() -> home(env).resolve("data"));
  }

  /** The directory of runstream's own files for this user. */
  public static Path home(Map<String, String> env) {
    return ConfigProperties.of(env)
        .getPath(Settings.HOME)
        .orElseGet(() -> Path.of(System.getProperty("user.home"), ".runstream"));
  }

  static Path file(Map<String, String> env) {
    return home(env).resolve(FILE);
  }

  /** Writes the state atomically, so a reader never sees half a file. */
  void write(Map<String, String> env) throws IOException {
    Path file = file(env);
    Files.createDirectories(file.getParent());
    Properties props = new Properties();
    props.setProperty("pid", Long.toString(pid));
    props.setProperty("kafka", endpoints.kafkaBootstrap());
    props.setProperty("registry", endpoints.schemaRegistryUrl());
    props.setProperty("clickhouse", endpoints.clickhouseUrl());
    props.setProperty("log", log);
    props.setProperty("data", dataDir);
    props.setProperty("server", serverUrl);
    Path tmp = file.resolveSibling(FILE + ".tmp");
    try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      props.store(out, "runstream up");
    }
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The state of a live {@code runstream up}; a file left by a process that died is ignored. */
  static Optional<StackState> readLive(Map<String, String> env) {
    Path file = file(env);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    Properties props = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      props.load(in);
      long pid = Long.parseLong(props.getProperty("pid", "-1"));
      if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        return Optional.of(
            new StackState(
                pid,
                new Endpoints(
                    props.getProperty("kafka"),
                    props.getProperty("registry"),
                    props.getProperty("clickhouse")),
                props.getProperty("log", ""),
                props.getProperty("data", ""),
                props.getProperty("server", "")));
      }
    } catch (IOException | NumberFormatException e) {
      // An unreadable file is as good as none: the stack it described is not reachable.
    }
    return Optional.empty();
  }

  /** Removes the file if it still describes {@code pid}'s stack. */
  static void delete(Map<String, String> env, long pid) {
    Optional<StackState> current = readLive(env);
    if (current.isEmpty() || current.get().pid() == pid) {
      try {
        Files.deleteIfExists(file(env));
      } catch (IOException e) {
        // Stale files are ignored by readers, so failing to delete one is harmless.
      }
    }
  }
}
