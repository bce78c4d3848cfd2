package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.sdk.TestLogs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvironmentInfoTest {
  @TempDir Path dir;

  @Test
  void shouldCaptureTheMachineAndTheProcess() {
    Map<String, String> env = EnvironmentInfo.capture();
    assertThat(env).containsKeys("host", "os", "arch", "jvm", "cpu_count", "command", "user_dir");
    assertThat(env.get("cpu_count"))
        .isEqualTo(Integer.toString(Runtime.getRuntime().availableProcessors()));
    assertThat(env.get("jvm")).contains(System.getProperty("java.version"));
  }

  @Test
  void shouldCaptureCommitBranchAndDirtyFlagOfAGitWorkingTree() throws Exception {
    git("init", "-q", "-b", "feature-x");
    Files.writeString(dir.resolve("train.py"), "print('hi')\n");
    git("add", "train.py");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "first");
    String head = git("rev-parse", "HEAD").strip();

    Map<String, String> clean = new LinkedHashMap<>();
    EnvironmentInfo.git(dir.toFile(), clean);
    assertThat(clean)
        .containsEntry("git_commit", head)
        .containsEntry("git_branch", "feature-x")
        .containsEntry("git_dirty", "false");

    Files.writeString(dir.resolve("train.py"), "print('changed')\n");
    Map<String, String> dirty = new LinkedHashMap<>();
    EnvironmentInfo.git(dir.toFile(), dirty);
    assertThat(dirty).containsEntry("git_dirty", "true").containsEntry("git_commit", head);
  }

  @Test
  void shouldLeaveGitOutOutsideAWorkingTree() {
    Map<String, String> env = new LinkedHashMap<>();
    EnvironmentInfo.git(dir.toFile(), env);
    assertThat(env).doesNotContainKeys("git_commit", "git_branch", "git_dirty");
  }

  private String git(String... args) throws IOException, InterruptedException {
    assertThat(Commands.onPath("git"))
        .as("this test needs git on the PATH (apt-get install git)")
        .isPresent();
    List<String> command = new ArrayList<>();
    command.add("git");
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("git %s: %s", command, out).isZero();
    return out;
  }

  private static final String NAMES = "NVIDIA A100-SXM4-80GB\nNVIDIA A100-SXM4-80GB\n";

  /** Answers nvidia-smi's GPU list with {@code outcomes} in turn, counting the calls. */
  private static GpuSampler.Runner runner(List<Commands.Result> outcomes, List<String> calls) {
    return (command, timeout) -> {
      assertThat(command).isEqualTo(NvidiaSmi.NAMES_COMMAND);
      calls.add(String.join(" ", command));
      return outcomes.get(calls.size() - 1);
    };
  }

  @Test
  void shouldAskForTheGpuListOnceMoreWhenItTimesOut() {
    List<String> calls = new ArrayList<>();
    Map<String, String> env = new LinkedHashMap<>();

    EnvironmentInfo.gpus(
        env,
        runner(
            List.of(Commands.Result.of(Commands.Outcome.TIMED_OUT), Commands.Result.ok(NAMES)),
            calls));

    assertThat(calls).hasSize(2);
    assertThat(env)
        .containsEntry("gpu_count", "2")
        .containsEntry("gpu", "NVIDIA A100-SXM4-80GB, NVIDIA A100-SXM4-80GB")
        .containsEntry("gpu_tag", "gpu:NVIDIA-A100-SXM4-80GB");
  }

  @Test
  void shouldNotAskAgainOrWarnWhenNvidiaSmiFindsNoGpu() {
    List<String> calls = new ArrayList<>();
    Map<String, String> env = new LinkedHashMap<>();

    String logged =
        TestLogs.capturingStandardError(
            () ->
                EnvironmentInfo.gpus(
                    env,
                    runner(List.of(new Commands.Result(Commands.Outcome.FAILED, "", 9)), calls)));

    assertThat(calls).hasSize(1);
    assertThat(env).isEmpty();
    assertThat(logged).isEmpty();
  }

  @Test
  void shouldWarnOnceWhenTheGpuListTimesOutTwice() {
    List<String> calls = new ArrayList<>();
    Map<String, String> env = new LinkedHashMap<>();
    Commands.Result timedOut = Commands.Result.of(Commands.Outcome.TIMED_OUT);

    String logged =
        TestLogs.capturingStandardError(
            () -> EnvironmentInfo.gpus(env, runner(List.of(timedOut, timedOut), calls)));

    assertThat(calls).hasSize(2);
    assertThat(env).isEmpty();
    assertThat(logged.lines().filter(l -> l.contains(" WARN ")))
        .singleElement()
        .asString()
        .contains("nvidia-smi did not list the GPUs within 3000 ms, twice");
  }
}
