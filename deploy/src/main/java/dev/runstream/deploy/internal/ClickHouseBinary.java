package dev.runstream.deploy.internal;

import dev.runstream.deploy.LocalStackException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds the {@code clickhouse-server} executable, installing the Debian package as root. */
public final class ClickHouseBinary {
  private static final Logger LOG = LoggerFactory.getLogger(ClickHouseBinary.class);
  private static final String EXECUTABLE = "clickhouse-server";

  /** What a user should do when the server is missing and cannot be installed here. */
  public static final String HOW_TO_GET_IT =
      "install it with `sudo apt-get install -y clickhouse-server clickhouse-client`"
          + " (Debian/Ubuntu), or set CLICKHOUSE_URL=http://<host>:8123 to use a running server";

  private ClickHouseBinary() {}

  /**
   * Returns the directories searched: PATH, then /usr/bin, /usr/sbin, /usr/local/bin (the Debian
   * package puts the server in /usr/sbin, which is not on a normal user's PATH).
   *
   * @param pathVariable the PATH value, may be {@code null}
   * @return the directories in search order
   */
  public static List<Path> searchPath(String pathVariable) {
    Set<Path> dirs = new LinkedHashSet<>();
    if (pathVariable != null) {
      for (String entry : pathVariable.split(":")) {
        if (!entry.isBlank()) {
          dirs.add(Path.of(entry));
        }
      }
    }
    dirs.add(Path.of("/usr/bin"));
    dirs.add(Path.of("/usr/sbin"));
    dirs.add(Path.of("/usr/local/bin"));
    return new ArrayList<>(dirs);
  }

  /**
   * Looks for the executable in the given directories.
   *
   * @param dirs where to look
   * @return the executable, if found
   */
  public static Optional<Path> find(List<Path> dirs) {
    return dirs.stream().map(d -> d.resolve(EXECUTABLE)).filter(Files::isExecutable).findFirst();
  }

  /**
   * Finds the executable, or installs the Debian package when running as root, or fails.
   * Serialised: two stacks starting at once install once.
   *
   * @param logFile where the installer's output goes
   * @return the executable
   * @throws LocalStackException if it is missing and cannot be installed, saying how to get it
   * @throws InterruptedException if interrupted
   */
  public static synchronized Path findOrInstall(Path logFile) throws InterruptedException {
    List<Path> dirs = searchPath(System.getenv("PATH"));
    Optional<Path> found = find(dirs);
    if (found.isPresent()) {
      return found.get();
    }
    if (!isRoot()) {
      throw new LocalStackException(
          "clickhouse: "
              + EXECUTABLE
              + " not found in "
              + dirs
              + " and not running as root, so it cannot be installed here; "
              + HOW_TO_GET_IT);
    }
    LOG.info(
        "clickhouse: {} not found, installing the Debian package (log {})", EXECUTABLE, logFile);
    run(List.of("apt-get", "update"), logFile);
    run(List.of("apt-get", "install", "-y", "clickhouse-server", "clickhouse-client"), logFile);
    return find(dirs)
        .orElseThrow(
            () ->
                new LocalStackException(
                    "clickhouse: apt-get installed clickhouse-server but "
                        + EXECUTABLE
                        + " is still not in "
                        + dirs
                        + "; see "
                        + logFile));
  }

  private static void run(List<String> command, Path logFile) throws InterruptedException {
    IoUtil.mkdirs(logFile.getParent());
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    try {
      Process p = pb.start();
      if (!p.waitFor(15, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new LocalStackException(
            "clickhouse: `" + String.join(" ", command) + "` did not finish in 15 minutes");
      }
      if (p.exitValue() != 0) {
        throw new LocalStackException(
            "clickhouse: `"
                + String.join(" ", command)
                + "` failed with exit code "
                + p.exitValue()
                + "; "
                + HOW_TO_GET_IT
                + "\n--- last lines of "
                + logFile
                + " ---\n"
                + IoUtil.tail(logFile, 30));
      }
    } catch (IOException e) {
      throw new LocalStackException(
          "clickhouse: cannot run `" + String.join(" ", command) + "`: " + e + "; " + HOW_TO_GET_IT,
          e);
    }
  }

  /**
   * Tells whether this process runs as root, by asking {@code id -u}.
   *
   * @return whether the uid is 0
   */
  static boolean isRoot() {
    try {
      Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      p.waitFor(5, TimeUnit.SECONDS);
      return "0".equals(out);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
