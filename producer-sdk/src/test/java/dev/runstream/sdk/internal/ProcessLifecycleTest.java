package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.sdk.LifecycleMain;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a run ends when its program ends in a child JVM: the shutdown hook finishes a forgotten run,
 * an uncaught exception marks it failed, and GPUs found by {@code nvidia-smi} (a stand-in script
 * printing recorded output) become environment facts, a tag and {@code system.gpu.*} metrics.
 */
@Timeout(120)
class ProcessLifecycleTest {
  @TempDir Path dir;

  @Test
  void shouldFinishAForgottenRunAtExitAsSucceeded() throws Exception {
    Process child = child(List.of("forget", dir.toString(), "forgot"), null);
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).isZero();

    List<RunEvent> events = events(dir.resolve("run-forgot"));
    RunFinished finished = (RunFinished) events.get(events.size() - 1).getPayload();
    assertThat(finished.getExitCode()).isZero();
    assertThat(finished.getLastStep()).isEqualTo(9);
    assertThat(batches(dir.resolve("run-forgot"), RecordKind.METRICS)).hasSize(10);
  }

  @Test
  void shouldLeaveARunThatIsNotToFinishOnExitOpenWithEveryPoint() throws Exception {
    Process child = child(List.of("server", dir.toString(), "held"), null);
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).isZero();

    List<RunEvent> events = events(dir.resolve("run-held"));
    assertThat(events).noneMatch(e -> e.getPayload() instanceof RunFinished);
    assertThat(batches(dir.resolve("run-held"), RecordKind.METRICS)).hasSize(10);
  }

  @Test
  void shouldKeepEveryPointLogReturnedForWhenTheProcessIsKilled() throws Exception {
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            LifecycleMain.class.getName(),
            "flatout",
            dir.toString(),
            "killed");
    Process child =
        new ProcessBuilder(command)
            .redirectError(dir.resolve("stderr-killed.txt").toFile())
            .start();
    // A random moment, some way into logging flat out.
    long killAfter = 20_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(80_000);
    long returned = 0;
    try (java.io.BufferedReader out =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        returned = Long.parseLong(line.strip());
        if (returned >= killAfter) {
          child.destroyForcibly(); // SIGKILL: no hook, no finish, no flush
          break;
        }
      }
    }
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);
    assertThat(returned).isGreaterThanOrEqualTo(killAfter);

    List<MetricBatch> batches = batches(dir.resolve("run-killed"), RecordKind.METRICS);
    // Every step log() returned for is in the journal, once, in order (and maybe a few more).
    assertThat((long) batches.size()).isGreaterThanOrEqualTo(returned);
    assertThat(batches)
        .extracting(MetricBatch::getStep)
        .containsExactlyElementsOf(KafkaRunTest.steps(batches.size()));
    assertThat(batches).allSatisfy(b -> assertThat(b.getNames()).hasSize(5));
  }

  @Test
  void shouldMarkARunFailedWhenItsProgramDiesOnAnUncaughtException() throws Exception {
    Process child = child(List.of("crash", dir.toString(), "crashed"), null);
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).isEqualTo(1);

    List<RunEvent> events = events(dir.resolve("run-crashed"));
    assertThat(events).filteredOn(e -> e.getPayload() instanceof RunFinished).hasSize(1);
    RunFinished finished = (RunFinished) events.get(events.size() - 1).getPayload();
    assertThat(finished.getExitCode()).isEqualTo(1);
    assertThat(batches(dir.resolve("run-crashed"), RecordKind.METRICS)).hasSize(10);
  }

  @Test
  void shouldTagTheRunAndSampleEveryGpuThatNvidiaSmiLists() throws Exception {
    Path bin =
        fakeNvidiaSmi(
            """
        case "$*" in
          *query-gpu=name*) cat "$(dirname "$0")/names.txt" ;;
          *) cat "$(dirname "$0")/a100x2-sample.csv" ;;
        esac
        """);
    Path runDir = dir.resolve("run-gpu");
    // On a busy machine one nvidia-smi call may time out and leave its sample without GPU metrics;
    // the sampler asks again, so wait for a sample that has them rather than take the first.
    String stderr = sample(bin, "gpu", runDir, () -> gpuSample(runDir) != null);

    RunStarted started = (RunStarted) events(runDir).get(0).getPayload();
    assertThat(started.getEnvironment())
        .containsEntry("gpu_count", "2")
        .containsEntry("gpu", "NVIDIA A100-SXM4-80GB, NVIDIA A100-SXM4-80GB")
        .containsEntry("gpu_tag", "gpu:NVIDIA-A100-SXM4-80GB");
    assertThat(started.getTags()).containsExactly("gpu:NVIDIA-A100-SXM4-80GB");
    MetricBatch sample = gpuSample(runDir);
    assertThat(sample.getNames()).contains("system.cpu.percent", "system.gpu.1.temp_c");
    assertThat(sample.getValues().get(sample.getNames().indexOf("system.gpu.0.util")))
        .isEqualTo(87.0);
    assertThat(stderr.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))).isEmpty();
  }

  @Test
  void shouldKeepSamplingGpusAfterOneNvidiaSmiCallFails() throws Exception {
    // The first sample call fails (as one that timed out on a busy host would), later ones answer.
    Path bin =
        fakeNvidiaSmi(
            """
        here="$(dirname "$0")"
        case "$*" in
          *query-gpu=name*) cat "$here/names.txt" ;;
          *) if [ -e "$here/failed-once" ]; then cat "$here/a100x2-sample.csv";
             else touch "$here/failed-once"; exit 1; fi ;;
        esac
        """);
    Path runDir = dir.resolve("run-gpu-retry");
    String stderr = sample(bin, "gpu-retry", runDir, () -> gpuSample(runDir) != null);

    List<MetricBatch> samples = batches(runDir, RecordKind.SYSTEM);
    assertThat(samples.get(0).getNames()).noneMatch(n -> n.startsWith("system.gpu."));
    assertThat(gpuSample(runDir).getNames()).contains("system.gpu.0.util", "system.gpu.1.temp_c");
    assertThat(stderr.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))).isEmpty();
  }

  @Test
  void shouldSayNothingWhenAnNvidiaSmiCallIsCutOffByTheRunFinishing() throws Exception {
    // Every sample call hangs; the run finishes while one is waiting for it.
    Path bin =
        fakeNvidiaSmi(
            """
        here="$(dirname "$0")"
        case "$*" in
          *query-gpu=name*) cat "$here/names.txt" ;;
          *) touch "$here/sampling"; exec sleep 60 ;;
        esac
        """);
    Path runDir = dir.resolve("run-gpu-cut");
    String stderr = sample(bin, "gpu-cut", runDir, () -> Files.exists(bin.resolve("sampling")));

    RunStarted started = (RunStarted) events(runDir).get(0).getPayload();
    assertThat(started.getEnvironment()).containsEntry("gpu_count", "2");
    assertThat(events(runDir).get(events(runDir).size() - 1).getPayload())
        .isInstanceOf(RunFinished.class);
    assertThat(stderr.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))).isEmpty();
  }

  @Test
  void shouldLogNoGpuMetricsAndNoErrorsWhereNvidiaSmiFindsNoGpu() throws Exception {
    // What nvidia-smi does on a machine with the tools but no driver or device.
    Path bin =
        fakeNvidiaSmi(
            "echo 'NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.'\n"
                + "exit 9\n");
    Path runDir = dir.resolve("run-nogpu");
    String stderr =
        sample(bin, "nogpu", runDir, () -> !batches(runDir, RecordKind.SYSTEM).isEmpty());

    RunStarted started = (RunStarted) events(runDir).get(0).getPayload();
    assertThat(started.getEnvironment()).doesNotContainKeys("gpu", "gpu_count", "gpu_tag");
    assertThat(started.getTags()).isEmpty();
    List<MetricBatch> samples = batches(runDir, RecordKind.SYSTEM);
    assertThat(samples).isNotEmpty();
    assertThat(samples)
        .allSatisfy(s -> assertThat(s.getNames()).noneMatch(n -> n.startsWith("system.gpu.")));
    assertThat(stderr.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))).isEmpty();
  }

  /** Runs the {@code sample} scenario until {@code ready} holds, then finishes it; its stderr. */
  private String sample(Path bin, String runId, Path runDir, Callable<Boolean> ready)
      throws Exception {
    Path stop = dir.resolve("stop-" + runId);
    Path stderr = dir.resolve("stderr-" + runId + ".txt");
    Process child = child(List.of("sample", dir.toString(), runId, stop.toString()), bin, stderr);
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  Files.exists(runDir)
                      && !JournalReader.segments(runDir).isEmpty()
                      && ready.call());
      Files.createFile(stop);
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).isZero();
    } finally {
      child.destroyForcibly();
    }
    return Files.readString(stderr);
  }

  /** The first system sample with GPU metrics, or null. */
  private static MetricBatch gpuSample(Path runDir) throws IOException {
    return batches(runDir, RecordKind.SYSTEM).stream()
        .filter(b -> b.getNames().contains("system.gpu.0.util"))
        .findFirst()
        .orElse(null);
  }

  private Path fakeNvidiaSmi(String body) throws IOException {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    for (String recorded : List.of("names.txt", "a100x2-sample.csv")) {
      try (InputStream in = getClass().getResourceAsStream("/nvidia-smi/" + recorded)) {
        Files.write(bin.resolve(recorded), in.readAllBytes());
      }
    }
    Path script = bin.resolve("nvidia-smi");
    Files.writeString(script, "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return bin;
  }

  private Process child(List<String> args, Path pathFirst) throws IOException {
    return child(args, pathFirst, dir.resolve("stderr-" + args.get(2) + ".txt"));
  }

  private static Process child(List<String> args, Path pathFirst, Path stderr) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(LifecycleMain.class.getName());
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(stderr.toFile());
    if (pathFirst != null) {
      builder.environment().put("PATH", pathFirst + ":" + System.getenv("PATH"));
    }
    return builder.start();
  }

  private static List<RunEvent> events(Path runDir) throws IOException {
    return records(runDir, RecordKind.RUN_EVENT, RunEvent.class);
  }

  private static List<MetricBatch> batches(Path runDir, RecordKind kind) throws IOException {
    return records(runDir, kind, MetricBatch.class);
  }

  private static <T extends SpecificRecord> List<T> records(
      Path runDir, RecordKind kind, Class<T> type) throws IOException {
    SpecificDatumReader<T> reader = new SpecificDatumReader<>(type);
    List<T> out = new ArrayList<>();
    for (JournalRecord r : JournalReader.readAll(runDir, 0)) {
      if (r.kind() == kind) {
        out.add(reader.read(null, DecoderFactory.get().binaryDecoder(r.body(), null)));
      }
    }
    return out;
  }
}
