package dev.runstream.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A program of the test classpath (the stream processor, the sink, a simulated training job) run in
 * a JVM of its own, so that a test can kill it with SIGKILL as an operator or the kernel would: no
 * shutdown hook, no flush, no commit.
 */
final class ChildJvm implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;

  private ChildJvm(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code mainClass} with the test classpath and {@code env} over this JVM's environment.
   *
   * @param heap the {@code -Xmx} value, e.g. {@code 256m}
   * @param log where stderr goes (appended), and stdout too unless {@code pipeStdout}
   * @param pipeStdout whether stdout stays a pipe the test reads ({@link #stdout()})
   */
  static ChildJvm start(
      String name,
      Class<?> mainClass,
      String heap,
      Map<String, String> env,
      Path log,
      boolean pipeStdout,
      String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + heap);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("-Dorg.slf4j.simpleLogger.log.org.apache.kafka=warn");
    command.add("-Dorg.slf4j.simpleLogger.log.dev.runstream=info");
    command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    command.add(mainClass.getName());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    Files.createDirectories(log.toAbsolutePath().getParent());
    pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    if (!pipeStdout) {
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    }
    return new ChildJvm(name, pb.start(), log);
  }

  /** The child's stdout, when started with {@code pipeStdout}. */
  InputStream stdout() {
    return process.getInputStream();
  }

  Process process() {
    return process;
  }

  String name() {
    return name;
  }

  Path log() {
    return log;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Fails when the child exited on its own, naming its log. */
  void requireAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException(
          name + " exited on its own with status " + process.exitValue() + "; see " + log);
    }
  }

  /**
   * SIGKILL, then waits until it is gone. Sent with {@code kill -KILL} rather than {@link
   * Process#destroyForcibly}, which closes the pipes at once: what the child wrote on stdout before
   * it died stays readable.
   */
  void kill() throws IOException, InterruptedException {
    signal("KILL");
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " survived SIGKILL for 30 s");
    }
  }

  /** Sends {@code signal} (STOP, CONT, TERM...) with the {@code kill} command; none when dead. */
  void signal(String signal) throws IOException, InterruptedException {
    signal(process, signal);
  }

  /**
   * Sends {@code signal} (STOP, CONT, TERM...) to {@code process} with the {@code kill} command.
   */
  static void signal(Process process, String signal) throws IOException, InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    Process kill =
        new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
            .redirectErrorStream(true)
            .start();
    String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + process.pid() + ": " + output);
    }
  }

  /** Kills it (SIGCONT first, in case a test froze it): a test's cleanup. */
  @Override
  public void close() throws IOException, InterruptedException {
    signal("CONT");
    kill();
  }
}
