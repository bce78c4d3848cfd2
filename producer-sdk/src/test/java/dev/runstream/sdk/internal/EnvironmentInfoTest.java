package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

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
}
