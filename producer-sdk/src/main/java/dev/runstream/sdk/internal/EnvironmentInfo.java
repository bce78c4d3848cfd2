package dev.runstream.sdk.internal;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Facts about the machine and process a run starts on, captured once at init: host, OS, JVM, CPU
 * count, memory, command line, working directory, git commit, branch and dirty flag, GPU names and
 * count. Each fact that cannot be found is left out; nothing here fails a run.
 */
final class EnvironmentInfo {
  private static final Logger log = LoggerFactory.getLogger(EnvironmentInfo.class);
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(3);

  private EnvironmentInfo() {}

  private static volatile Map<String, String> cached;

  /**
   * {@link #capture()}, once per process: every fact is of the machine and the process (git of the
   * working directory, GPUs, host), so a thousand runs in one process ask {@code git} and {@code
   * nvidia-smi} once, not a thousand times.
   */
  static Map<String, String> cached() {
    Map<String, String> env = cached;
    if (env == null) {
      synchronized (EnvironmentInfo.class) {
        env = cached;
        if (env == null) {
          env = java.util.Collections.unmodifiableMap(capture());
          cached = env;
        }
      }
    }
    return env;
  }

  static Map<String, String> capture() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("host", hostName());
    env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    env.put("arch", System.getProperty("os.arch"));
    env.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    env.put("cpu_count", Integer.toString(Runtime.getRuntime().availableProcessors()));
    env.put("jvm_max_memory_mb", Long.toString(Runtime.getRuntime().maxMemory() >> 20));
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      env.put("memory_total_mb", Long.toString(os.getTotalMemorySize() >> 20));
    }
    env.put("pid", Long.toString(ProcessHandle.current().pid()));
    ProcessHandle.current().info().commandLine().ifPresent(c -> env.put("command", c));
    env.put("user", System.getProperty("user.name"));
    String dir = System.getProperty("user.dir");
    env.put("user_dir", dir);
    git(new File(dir), env);
    gpus(env);
    return env;
  }

  static void git(File dir, Map<String, String> env) {
    if (Commands.onPath("git").isEmpty()) {
      return;
    }
    Optional<String> commit =
        Commands.run(List.of("git", "rev-parse", "HEAD"), dir, COMMAND_TIMEOUT);
    if (commit.isEmpty()) {
      return; // not a git working tree
    }
    env.put("git_commit", commit.get().strip());
    Commands.run(List.of("git", "rev-parse", "--abbrev-ref", "HEAD"), dir, COMMAND_TIMEOUT)
        .ifPresent(b -> env.put("git_branch", b.strip()));
    Commands.run(List.of("git", "config", "--get", "remote.origin.url"), dir, COMMAND_TIMEOUT)
        .ifPresent(u -> env.put("git_remote", u.strip()));
    Commands.run(
            List.of("git", "status", "--porcelain", "--untracked-files=no"), dir, COMMAND_TIMEOUT)
        .ifPresent(s -> env.put("git_dirty", Boolean.toString(!s.isBlank())));
  }

  private static void gpus(Map<String, String> env) {
    if (Commands.onPath("nvidia-smi").isEmpty()) {
      return;
    }
    gpus(env, (command, timeout) -> Commands.execute(command, null, timeout));
  }

  /**
   * Puts {@code gpu_count}, {@code gpu} and {@code gpu_tag} from {@code nvidia-smi}'s list of GPUs.
   * A list that times out is asked for once more: a busy GPU host answers slowly now and then, and
   * without the list the whole run goes without GPU metrics. An {@code nvidia-smi} that fails (no
   * driver, no device) is not asked again and not reported.
   */
  static void gpus(Map<String, String> env, GpuSampler.Runner runner) {
    Commands.Result result = runner.run(NvidiaSmi.NAMES_COMMAND, COMMAND_TIMEOUT);
    if (result.outcome() == Commands.Outcome.TIMED_OUT) {
      result = runner.run(NvidiaSmi.NAMES_COMMAND, COMMAND_TIMEOUT);
      if (result.outcome() == Commands.Outcome.TIMED_OUT) {
        log.warn(
            "nvidia-smi did not list the GPUs within {} ms, twice; GPU metrics are off for this run",
            COMMAND_TIMEOUT.toMillis());
        return;
      }
    }
    if (result.outcome() != Commands.Outcome.OK) {
      return;
    }
    List<String> names = NvidiaSmi.parseNames(result.output());
    if (!names.isEmpty()) {
      env.put("gpu_count", Integer.toString(names.size()));
      env.put("gpu", String.join(", ", names));
      env.put("gpu_tag", NvidiaSmi.tag(names));
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      // An unresolvable host name must not stop a run from starting.
      return "unknown";
    }
  }
}
