package dev.runstream.deploy;

import java.nio.file.Path;
import java.util.Optional;

/**
 * One server of a {@link LocalStack}: either a child process this launcher started (and can stop
 * and start again on the same port and data), or an external server named by an environment
 * variable, which the launcher only waits for.
 *
 * <p>Implementations are thread-safe; {@link #start()} and {@link #stop()} are serialised.
 */
public interface ManagedServer {

  /**
   * Returns the short name: {@code kafka}, {@code schema-registry} or {@code clickhouse}.
   *
   * @return the name used in logs and messages
   */
  String name();

  /**
   * Returns where clients connect: {@code host:port} for Kafka, a base URL for the others. It does
   * not change across {@link #stop()} and {@link #start()}.
   *
   * @return the address
   */
  String address();

  /**
   * Tells whether the server was given through an environment variable rather than started here.
   *
   * @return {@code true} for an external server
   */
  boolean isExternal();

  /**
   * Tells whether the server process is alive (for an external server: always {@code true}, it is
   * not checked).
   *
   * @return whether it runs
   */
  boolean isRunning();

  /**
   * Starts the server again on the same port and data directory and blocks until it answers, or
   * does nothing if it is running.
   *
   * @throws LocalStackException if it does not answer within the startup timeout (the server is
   *     then stopped again)
   * @throws UnsupportedOperationException for an external server
   */
  void start();

  /**
   * Stops the server gracefully (SIGTERM), forcibly after the shutdown timeout, and blocks until
   * its processes are gone. Does nothing if it is not running. Its data is kept for {@link
   * #start()}.
   *
   * @throws UnsupportedOperationException for an external server
   */
  void stop();

  /**
   * Returns the server's log file, if this launcher started it.
   *
   * @return the log file, empty for an external server
   */
  Optional<Path> logFile();

  /**
   * Describes the server in one line for humans: name, address, started or reused, pid.
   *
   * @return the description
   */
  String describe();
}
