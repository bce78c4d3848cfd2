package dev.runstream.sdk.internal;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Runs small external commands (git, nvidia-smi) with a deadline, never throwing. */
final class Commands {
  private Commands() {}

  /** The executable {@code name} on the PATH, if any. */
  static Optional<Path> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** The standard output of {@code command} if it exits 0 within {@code timeout}. */
  static Optional<String> run(List<String> command, File workingDir, Duration timeout) {
    Result result = execute(command, workingDir, timeout);
    return result.outcome() == Outcome.OK ? Optional.of(result.output()) : Optional.empty();
  }

  /** How a command ended. */
  enum Outcome {
    /** It exited 0; its standard output is in {@link Result#output()}. */
    OK,
    /** It exited with another code. */
    FAILED,
    /** It did not end within its deadline and was killed. */
    TIMED_OUT,
    /** The calling thread was interrupted while waiting (its run is shutting down). */
    INTERRUPTED,
    /** It could not be started. */
    NOT_STARTED
  }

  /**
   * How one command ended.
   *
   * @param output its standard output when {@link Outcome#OK}, else empty
   * @param exitCode its exit code when it exited, else -1
   */
  record Result(Outcome outcome, String output, int exitCode) {
    static Result of(Outcome outcome) {
      return new Result(outcome, "", -1);
    }

    static Result ok(String output) {
      return new Result(Outcome.OK, output, 0);
    }

    /** Why it failed, for a log message: "exited with 9", "timed out after 5 s". */
    String describe(Duration timeout) {
      return switch (outcome) {
        case OK -> "succeeded";
        case FAILED -> exitCode >= 0 ? "exited with " + exitCode : "failed";
        case TIMED_OUT -> "timed out after " + timeout.toMillis() + " ms";
        case INTERRUPTED -> "was interrupted";
        case NOT_STARTED -> "could not be started";
      };
    }
  }

  /**
   * Runs {@code command} and waits at most {@code timeout} for it. An interrupt while waiting kills
   * the command and returns {@link Outcome#INTERRUPTED} with the thread's interrupt flag set again.
   */
  static Result execute(List<String> command, File workingDir, Duration timeout) {
    Process process = null;
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(false);
      builder.redirectError(ProcessBuilder.Redirect.DISCARD);
      if (workingDir != null) {
        builder.directory(workingDir);
      }
      process = builder.start();
      process.getOutputStream().close();
      // Wait first, so a hung command cannot hold us past the deadline; the outputs read here
      // (a few lines) fit in the pipe's buffer.
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return Result.of(Outcome.TIMED_OUT);
      }
      if (process.exitValue() != 0) {
        return new Result(Outcome.FAILED, "", process.exitValue());
      }
      byte[] out;
      try (InputStream in = process.getInputStream()) {
        out = in.readNBytes(1 << 20);
      }
      return Result.ok(new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Result.of(process == null ? Outcome.NOT_STARTED : Outcome.FAILED);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Result.of(Outcome.INTERRUPTED);
    } finally {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }
}
