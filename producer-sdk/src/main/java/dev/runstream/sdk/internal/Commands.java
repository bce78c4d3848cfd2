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
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) || process.exitValue() != 0) {
        return Optional.empty();
      }
      byte[] out;
      try (InputStream in = process.getInputStream()) {
        out = in.readNBytes(1 << 20);
      }
      return Optional.of(new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } finally {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }
}
