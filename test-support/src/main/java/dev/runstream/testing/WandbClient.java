package dev.runstream.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real {@code wandb} Python client ({@value #VERSION}) in a virtual environment of its own, for
 * tests that check runstream's W&amp;B compatibility against what users run.
 *
 * <p>{@link #install(Path)} builds the environment once under a build directory with {@code python3
 * -m venv} and the machine's {@code pip} (its configured package index). Where the index has every
 * dependency, {@code pip install wandb==0.30.0} does it all. Where it lacks some (some indexes lack
 * {@code opentelemetry-semantic-conventions}, which wandb's telemetry exporters import), wandb is
 * installed without dependencies, each of its requirements is then installed on its own (with its
 * dependencies if it can be, else alone), and, if {@code opentelemetry.semconv} still cannot be
 * imported, a stand-in module (this artifact's {@code wandb_semconv_standin.py}) answers its names
 * with inert values. The environment counts as built once {@code import wandb} gives the version,
 * and a marker file records it.
 *
 * <p>Idempotent and safe when several test JVMs build the same directory at once (a file lock
 * serialises them; the second finds the marker). Never skips: if Python, venv or the package cannot
 * be had, {@link #install} throws {@link IllegalStateException} saying what failed and what pip
 * said.
 */
public final class WandbClient {
  /** The wandb version installed. */
  public static final String VERSION = "0.30.0";

  private static final String MARKER = ".runstream-wandb-" + VERSION;
  private static final Duration PIP_TIMEOUT = Duration.ofMinutes(10);
  private static final Map<Path, Object> IN_JVM = new ConcurrentHashMap<>();

  private final Path venv;

  private WandbClient(Path venv) {
    this.venv = venv;
  }

  /**
   * Returns the client in {@code buildDir/wandb-venv}, building it first if it is not there yet.
   * Blocks while building (about a minute) or while another JVM builds it.
   *
   * @param buildDir the module's build directory, e.g. {@code target}
   * @throws IllegalStateException if the client cannot be installed, with pip's output
   */
  @SuppressWarnings("try") // the lock is held for the block's duration, never referenced
  public static WandbClient install(Path buildDir) {
    Path venv = buildDir.toAbsolutePath().normalize().resolve("wandb-venv");
    // A JVM may not take the same file lock twice, so threads of one JVM queue here first.
    synchronized (IN_JVM.computeIfAbsent(venv, v -> new Object())) {
      try {
        Files.createDirectories(buildDir);
        Path lockFile = buildDir.resolve("wandb-venv.lock");
        try (FileChannel channel =
                FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.lock()) {
          if (!Files.exists(venv.resolve(MARKER))) {
            build(venv);
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot build the wandb client in " + venv + ": " + e, e);
      }
    }
    return new WandbClient(venv);
  }

  /** The environment's Python interpreter. */
  public Path python() {
    return venv.resolve("bin").resolve("python");
  }

  /** The environment's {@code wandb} command (for {@code wandb sync}). */
  public Path wandbCommand() {
    return venv.resolve("bin").resolve("wandb");
  }

  /**
   * Runs {@code python script args...} in {@code workDir} with this environment's interpreter, the
   * calling process's environment without any {@code WANDB_*} variable, plus {@code env}; waits at
   * most {@code timeout}.
   *
   * @return the exit code and the merged standard output and error
   * @throws IllegalStateException if the script does not end within {@code timeout} (it is killed)
   */
  public Result runScript(
      Path script, Path workDir, Map<String, String> env, Duration timeout, String... args) {
    List<String> command = new ArrayList<>();
    command.add(python().toString());
    command.add(script.toAbsolutePath().toString());
    command.addAll(List.of(args));
    return run(command, workDir, env, timeout);
  }

  /** Runs {@code command} as {@link #runScript} does, for the {@code wandb} command line. */
  public Result run(List<String> command, Path workDir, Map<String, String> env, Duration timeout) {
    Objects.requireNonNull(env, "env");
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    pb.redirectErrorStream(true);
    Map<String, String> childEnv = pb.environment();
    childEnv.keySet().removeIf(k -> k.startsWith("WANDB_"));
    childEnv.putAll(env);
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      // Read on another thread so that a chatty child never blocks on a full pipe.
      StringBuilder out = new StringBuilder();
      Thread reader =
          new Thread(
              () -> {
                try (InputStream in = p.getInputStream()) {
                  String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                  synchronized (out) {
                    out.append(text);
                  }
                } catch (IOException ignored) {
                  // the process went away; what was read is kept
                }
              },
              "wandb-client-output");
      reader.setDaemon(true);
      reader.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        reader.join(5_000);
        synchronized (out) {
          throw new IllegalStateException(
              "wandb client " + command + " did not end within " + timeout + ":\n" + out);
        }
      }
      reader.join(10_000);
      synchronized (out) {
        return new Result(p.exitValue(), out.toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    }
  }

  /** What a client process did. */
  public record Result(int exitCode, String output) {}

  private static void build(Path venv) throws IOException {
    deleteRecursively(venv);
    exec(List.of("python3", "-m", "venv", venv.toString()), "create a Python virtual environment");
    Path python = venv.resolve("bin").resolve("python");
    String pip = python.toString();
    Result full = tryExec(pipInstall(pip, "wandb==" + VERSION));
    if (full.exitCode() != 0) {
      // The index lacks some dependency: wandb alone, then each requirement as far as it goes.
      exec(pipInstall(pip, "--no-deps", "wandb==" + VERSION), "install wandb " + VERSION);
      Path lister = venv.resolve("wandb_requirements.py");
      copyResource("wandb_requirements.py", lister);
      List<String> missing = new ArrayList<>();
      for (String requirement :
          exec(List.of(pip, lister.toString()), "list wandb's requirements").lines().toList()) {
        if (requirement.isBlank()) {
          continue;
        }
        if (tryExec(pipInstall(pip, requirement)).exitCode() != 0
            && tryExec(pipInstall(pip, "--no-deps", requirement)).exitCode() != 0) {
          missing.add(requirement);
        }
      }
      if (tryExec(List.of(pip, "-c", "import opentelemetry.semconv")).exitCode() != 0) {
        String site =
            exec(
                    List.of(pip, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"),
                    "find site-packages")
                .strip();
        copyResource("wandb_semconv_standin.py", Path.of(site, "wandb_semconv_standin.py"));
        Files.writeString(
            Path.of(site, "wandb_semconv_standin.pth"),
            "import wandb_semconv_standin\n",
            StandardCharsets.UTF_8);
      }
      String version =
          tryExec(List.of(pip, "-c", "import wandb; print(wandb.__version__)")).output().strip();
      if (!version.endsWith(VERSION)) {
        throw new IllegalStateException(
            "wandb "
                + VERSION
                + " does not import in "
                + venv
                + " (requirements pip could not install: "
                + missing
                + "); pip said first:\n"
                + full.output()
                + "\nimport said:\n"
                + version);
      }
    }
    Files.writeString(venv.resolve(MARKER), VERSION + "\n", StandardCharsets.UTF_8);
  }

  private static List<String> pipInstall(String python, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                python,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                // An index that cannot be reached answers at once; waiting on retries would only
                // slow a build that then uses the indexes that can.
                "--retries",
                "1"));
    command.addAll(List.of(args));
    return command;
  }

  private static String exec(List<String> command, String what) {
    Result r = tryExec(command);
    if (r.exitCode() != 0) {
      throw new IllegalStateException(
          "cannot "
              + what
              + " for the wandb client ("
              + String.join(" ", command)
              + " exited with "
              + r.exitCode()
              + "); needs python3 with venv and pip reaching a package index:\n"
              + r.output());
    }
    return r.output();
  }

  private static Result tryExec(List<String> command) {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(PIP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "timed out after " + PIP_TIMEOUT);
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new Result(-1, String.join(" ", command) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building the wandb client", e);
    }
  }

  private static void copyResource(String name, Path to) throws IOException {
    try (InputStream in = WandbClient.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(
            "resource " + name + " missing from runstream-test-support");
      }
      Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
