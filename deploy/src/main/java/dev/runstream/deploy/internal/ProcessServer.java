package dev.runstream.deploy.internal;

import dev.runstream.deploy.LocalStackException;
import dev.runstream.deploy.ManagedServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server this launcher runs as a child process under a {@link WatchedProcess}, on fixed ports and
 * a fixed directory, so that it can be stopped and started again with its data.
 */
public abstract class ProcessServer implements ManagedServer {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessServer.class);
  private static final int LOG_TAIL_LINES = 40;
  private static final long POLL_MILLIS = 200;

  private final String name;
  private final Path dir;
  private final Timeouts timeouts;
  private WatchedProcess process;
  private boolean prepared;

  /**
   * The timeouts a server works with.
   *
   * @param startup how long start may take until the server answers
   * @param shutdown how long a graceful stop may take before the server is killed
   */
  public record Timeouts(Duration startup, Duration shutdown) {}

  /**
   * Creates a server that has not started.
   *
   * @param name short name
   * @param dir its own directory (config, data, log)
   * @param timeouts startup and shutdown timeouts
   */
  protected ProcessServer(String name, Path dir, Timeouts timeouts) {
    this.name = name;
    this.dir = dir;
    this.timeouts = timeouts;
  }

  @Override
  public final String name() {
    return name;
  }

  /**
   * Returns the server's own directory.
   *
   * @return the directory
   */
  protected final Path dir() {
    return dir;
  }

  /**
   * Returns the timeouts.
   *
   * @return the timeouts
   */
  protected final Timeouts timeouts() {
    return timeouts;
  }

  @Override
  public final boolean isExternal() {
    return false;
  }

  @Override
  public final Optional<Path> logFile() {
    return Optional.of(dir.resolve(name + ".log"));
  }

  /**
   * Writes configuration and does one-time preparation (formatting storage). Called before the
   * first start only, while holding the lock.
   *
   * @throws InterruptedException if interrupted
   */
  protected abstract void prepare() throws InterruptedException;

  /**
   * Returns the server command line.
   *
   * @return the command
   */
  protected abstract List<String> command();

  /**
   * Returns variables to add to the server's environment.
   *
   * @return extra environment, empty by default
   */
  protected Map<String, String> environment() {
    return Map.of();
  }

  /**
   * Checks once whether the server answers.
   *
   * @throws Exception if it does not (yet)
   */
  protected abstract void probe() throws Exception;

  /** Releases what {@link #probe()} keeps open; called once ready and after every stop. */
  protected void releaseProbe() {}

  @Override
  public final synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  @Override
  public final synchronized void start() {
    if (isRunning()) {
      return;
    }
    long began = System.nanoTime();
    try {
      if (!prepared) {
        IoUtil.mkdirs(dir);
        prepare();
        prepared = true;
      }
      LOG.info("{}: starting on {}", name, address());
      process =
          WatchedProcess.start(
              name, command(), dir, logFile().orElseThrow(), timeouts.shutdown(), environment());
      awaitReady();
      releaseProbe();
      LOG.info(
          "{}: ready on {} after {} ms (watchdog pid {}, log {})",
          name,
          address(),
          (System.nanoTime() - began) / 1_000_000,
          process.pid(),
          logFile().orElseThrow());
    } catch (InterruptedException e) {
      stopQuietly();
      Thread.currentThread().interrupt();
      throw new LocalStackException(name + ": start on " + address() + " was interrupted", e);
    } catch (LocalStackException e) {
      stopQuietly();
      throw e;
    } catch (RuntimeException e) {
      stopQuietly();
      throw failure("failed to start: " + e, e);
    }
  }

  private void awaitReady() throws InterruptedException {
    long deadline = System.nanoTime() + timeouts.startup().toNanos();
    Exception last = null;
    while (true) {
      if (!process.isAlive()) {
        throw failure(
            "exited with code " + process.exitCode().orElse(-1) + " while starting", null);
      }
      try {
        probe();
        return;
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        last = e;
      }
      if (System.nanoTime() - deadline > 0) {
        throw failure(
            "did not answer within "
                + timeouts.startup().toSeconds()
                + " s (last probe: "
                + last
                + ")",
            last);
      }
      Thread.sleep(POLL_MILLIS);
    }
  }

  /**
   * Builds an exception naming this server, its address and the tail of its log.
   *
   * @param what what went wrong
   * @param cause the cause, or {@code null}
   * @return the exception
   */
  protected final LocalStackException failure(String what, Throwable cause) {
    Path log = logFile().orElseThrow();
    return new LocalStackException(
        name
            + " on "
            + address()
            + " "
            + what
            + "\n--- last lines of "
            + log
            + " ---\n"
            + IoUtil.tail(log, LOG_TAIL_LINES),
        cause);
  }

  @Override
  public final synchronized void stop() {
    if (process == null) {
      return;
    }
    if (process.isAlive()) {
      LOG.info("{}: stopping", name);
    }
    process.stop(timeouts.shutdown().plusSeconds(5));
    process = null;
    releaseProbe();
  }

  private void stopQuietly() {
    try {
      stop();
    } catch (RuntimeException e) {
      LOG.warn("{}: cleanup after a failed start failed", name, e);
    }
  }

  @Override
  public final synchronized String describe() {
    String state =
        isRunning()
            ? "started here (watchdog pid " + process.pid() + ")"
            : "started here, now stopped";
    return String.format("%-15s %-40s %s, log %s", name, address(), state, logFile().orElseThrow());
  }

  @Override
  public String toString() {
    return name + "@" + address();
  }
}
