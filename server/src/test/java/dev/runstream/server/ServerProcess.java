package dev.runstream.server;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@link ServerMain} in a JVM of its own, configured by environment variables as {@code runstream
 * server} is, so that a test can kill it with SIGKILL as the kernel would: no shutdown hook, no
 * detach, no flush. (The CLI's tests have a fuller {@code ChildJvm}; this is the little the
 * server's tests need.)
 */
final class ServerProcess implements AutoCloseable {
  private final Process process;
  private final Path log;

  private ServerProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts the server with {@code env} over this JVM's environment and waits until it listens on
   * {@code port} of 127.0.0.1, which {@code env} must name.
   *
   * @param log where its output goes (appended, so that a restart keeps the first run's lines)
   */
  static ServerProcess start(Map<String, String> env, int port, Path log) throws IOException {
    List<String> command =
        List.of(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            "-Dorg.slf4j.simpleLogger.log.org.apache.kafka=warn",
            "-Dorg.slf4j.simpleLogger.log.dev.runstream=info",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            ServerMain.class.getName());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Files.createDirectories(log.toAbsolutePath().getParent());
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    ServerProcess server = new ServerProcess(pb.start(), log);
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> server.requireAlive() && listening(port));
    } catch (RuntimeException | Error e) {
      server.close();
      throw e;
    }
    return server;
  }

  Path log() {
    return log;
  }

  /** SIGKILL, then waits until it is gone. */
  void kill() throws InterruptedException {
    // Process.destroyForcibly is SIGKILL on Linux: no shutdown hook runs.
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the server survived SIGKILL for 30 s; see " + log);
    }
  }

  private boolean requireAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException(
          "the server exited with status " + process.exitValue() + "; see " + log);
    }
    return true;
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    try {
      kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while killing the server", e);
    }
  }

  /** A port free now, for a server that must come back on the same one. */
  static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
