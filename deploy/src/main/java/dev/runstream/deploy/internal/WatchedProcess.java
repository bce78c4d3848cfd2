package dev.runstream.deploy.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server process that cannot outlive the JVM that started it.
 *
 * <p>The command runs under a small bash watchdog whose stdin is a pipe from this JVM. When the
 * pipe reaches end-of-file — because {@link #stop} closed it, or because this JVM died, even by
 * {@code kill -9}, and the kernel closed it — the watchdog sends SIGTERM to the server, and SIGKILL
 * after the grace period. A shutdown hook alone would not cover {@code kill -9}.
 */
public final class WatchedProcess {
  private static final Logger LOG = LoggerFactory.getLogger(WatchedProcess.class);

  /**
   * The watchdog. Arguments: grace seconds, then the command. Only {@code cat} keeps the pipe from
   * the JVM open; the server gets /dev/null as stdin so it cannot hold or consume it.
   */
  static final String SCRIPT =
      String.join(
          "\n",
          "grace=$1; shift",
          // A signal to the watchdog itself (e.g. Ctrl-C on the process group) must not orphan
          // the server: it only interrupts the wait below, which then stops the server.
          "trap ':' TERM INT HUP",
          "exec 3<&0 </dev/null",
          "\"$@\" 3<&- &",
          "child=$!",
          // The watcher: EOF on the pipe means stop (by us) or our JVM died.
          "(",
          "  trap 'kill $p 2>/dev/null; exit 0' TERM",
          "  cat <&3 >/dev/null 3<&- & p=$!; wait $p",
          "  kill -TERM $child 2>/dev/null",
          "  sleep \"$grace\" & p=$!; wait $p",
          "  kill -KILL $child 2>/dev/null",
          ") &",
          "watcher=$!",
          "exec 3<&-",
          // Plain wait on a pid also returns the status of a child that has already exited.
          "wait $child; rc=$?",
          "while kill -0 $child 2>/dev/null; do",
          "  kill -TERM $child 2>/dev/null",
          "  ( trap 'kill $s 2>/dev/null; exit 0' TERM; sleep \"$grace\" & s=$!; wait $s;"
              + " kill -KILL $child 2>/dev/null ) &",
          "  killer=$!",
          "  wait $child; rc=$?",
          "  kill -TERM $killer 2>/dev/null",
          "done",
          "kill -TERM $watcher 2>/dev/null",
          "exit $rc",
          "");

  private final String name;
  private final Process process;

  private WatchedProcess(String name, Process process) {
    this.name = name;
    this.process = process;
  }

  /**
   * Starts a command under the watchdog. Does not wait for anything.
   *
   * @param name short name for logs
   * @param command the server command line
   * @param workDir working directory
   * @param logFile stdout and stderr of the server are appended here
   * @param grace how long the server may take to exit after SIGTERM before it is killed
   * @param extraEnv variables added to the inherited environment
   * @return the running process
   */
  public static WatchedProcess start(
      String name,
      List<String> command,
      Path workDir,
      Path logFile,
      Duration grace,
      Map<String, String> extraEnv) {
    List<String> argv = new ArrayList<>();
    argv.add(bash());
    argv.add("-c");
    argv.add(SCRIPT);
    argv.add("runstream-watchdog-" + name); // $0, shows up in ps
    argv.add(Long.toString(Math.max(1, grace.toSeconds())));
    argv.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(argv).directory(workDir.toFile());
    pb.environment().putAll(extraEnv);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    try {
      IoUtil.mkdirs(logFile.getParent());
      Process p = pb.start();
      LOG.debug("{}: started watchdog pid {} for {}", name, p.pid(), command);
      return new WatchedProcess(name, p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + command, e);
    }
  }

  private static String bash() {
    for (String candidate : List.of("/bin/bash", "/usr/bin/bash")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    return "bash";
  }

  /**
   * Tells whether the watchdog (and so possibly the server) still runs.
   *
   * @return whether it is alive
   */
  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Returns the exit code once the process has ended.
   *
   * @return the exit code, empty while it runs
   */
  public OptionalInt exitCode() {
    return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
  }

  /**
   * Returns the watchdog's pid.
   *
   * @return the pid
   */
  public long pid() {
    return process.pid();
  }

  /**
   * Waits for the process to end by itself.
   *
   * @param timeout how long
   * @return whether it ended
   * @throws InterruptedException if interrupted
   */
  public boolean waitFor(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Stops the server: closes the watchdog's stdin (graceful SIGTERM), waits up to {@code timeout},
   * then kills the whole process tree. Blocks until the processes are gone; idempotent.
   *
   * @param timeout how long to wait for a graceful exit
   */
  public void stop(Duration timeout) {
    // Capture the tree first: once the watchdog is gone its children are reparented.
    List<ProcessHandle> tree = new ArrayList<>();
    process.descendants().forEach(tree::add);
    try {
      process.getOutputStream().close();
    } catch (IOException ignored) {
      // Already closed: a second stop.
    }
    boolean interrupted = false;
    try {
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        tree.forEach(WatchedProcess::awaitGone);
        return;
      }
    } catch (InterruptedException e) {
      interrupted = true;
    }
    LOG.warn("{}: did not stop within {}, killing pid {} and its children", name, timeout, pid());
    process.descendants().forEach(tree::add);
    tree.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      interrupted = true;
    }
    tree.forEach(WatchedProcess::awaitGone);
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitGone(ProcessHandle handle) {
    if (!handle.isAlive()) {
      return;
    }
    try {
      handle.onExit().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      handle.destroyForcibly();
    }
  }
}
