package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runstream.cli.chart.PngChart;
import dev.runstream.cli.demo.DemoRun;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, as a user runs it on a machine with nothing running: its own stack,
 * the pipeline, the sweep with a diverging and a crashing run, the table and chart read back from
 * ClickHouse, the alerts, a PNG, and nothing left running afterwards.
 */
@Timeout(400)
class DemoCommandIT {

  @Test
  void demoTrainsTheSweepShowsWhatHappenedAndStopsEverything(@TempDir Path dir) throws Exception {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.keySet().removeAll(List.of("KAFKA_BOOTSTRAP", "SCHEMA_REGISTRY_URL", "CLICKHOUSE_URL"));
    env.put("RUNSTREAM_HOME", dir.resolve("home").toString()); // no `runstream up` there
    Path png = dir.resolve("loss.png");

    CliRunner.Result demo = CliRunner.run(env, "demo", "--png", png.toString());

    assertThat(demo.exit()).as("%s", demo).isZero();
    String out = demo.out();
    DemoRun diverging = only(DemoRun.Fate.DIVERGES);
    DemoRun crashing = only(DemoRun.Fate.CRASHES);
    // The W&B-compatible server beside the pipeline, with the lines that point wandb at it.
    assertThat(out)
        .containsPattern(
            "(?m)^W&B-compatible server at (http://127\\.0\\.0\\.1:\\d+)[^\\n]*; a wandb script"
                + " logs into it with:\n  export WANDB_BASE_URL=\\1\n  export WANDB_API_KEY=[0-9a-f]{40}\n"
                + "The web page compares the runs at \\1/web/ \\(any user name, that key as"
                + " password\\)\\.$");
    // Progress while the runs train: each run's end, as it happens.
    assertThat(out)
        .containsPattern(
            "(?m)^  "
                + diverging.name()
                + "\\s+diverged: loss NaN at step \\d+, stopped with exit"
                + " code 1$")
        .containsPattern(
            "(?m)^  "
                + crashing.name()
                + "\\s+crashed: its process died at step "
                + (int) (300 * DemoRun.CRASH_AT - 1)
                + " without finishing$")
        .containsPattern("(?m)^  \\.\\.\\. [0-9,]+ of 3,000 steps logged, \\d+ of 10 runs ended$");
    // The alerts, live from Kafka while the runs train.
    assertThat(out)
        .containsPattern(
            "(?m)^  alert  CRITICAL  divergence  " + diverging.name() + ": loss diverged")
        .containsPattern("(?m)^  alert  CRITICAL  crashed\\s+" + crashing.name() + ": ");
    // The comparison table: every run with the state its fate gives it.
    String table = section(out, "best validation accuracy first:", "loss by step");
    for (DemoRun run : DemoRun.grid()) {
      String state =
          switch (run.fate()) {
            case FINISHES -> "FINISHED";
            case DIVERGES -> "FAILED";
            case CRASHES -> "CRASHED";
          };
      assertThat(table)
          .containsPattern(
              "(?m)^"
                  + Pattern.quote(run.name())
                  + "\\s+"
                  + state
                  + "\\s+"
                  + run.architecture()
                  + "\\s+"
                  + run.batchSize()
                  + "\\s+");
    }
    // The chart, with the diverging run off the top.
    assertThat(section(out, "loss by step", "Alerts the stream processor raised"))
        .contains("━━ " + diverging.name() + ", failed (off the chart, NaN from step")
        .contains("━━ " + crashing.name() + ", crashed\n");
    // The alerts, from ClickHouse.
    String alerts = section(out, "Alerts the stream processor raised:", "Where to look next");
    assertThat(alerts)
        .containsPattern("CRITICAL\\s+divergence\\s+" + diverging.name())
        .containsPattern("CRITICAL\\s+non-finite\\s+" + diverging.name())
        .containsPattern("CRITICAL\\s+crashed\\s+" + crashing.name());
    assertThat(out)
        .contains(
            "this demo's stack and its runs are deleted when it ends. Keep them with\n"
                + "  runstream up --detach && runstream demo\n",
            "  runstream runs compare --project demo --top 5 --metric val_acc --png val_acc.png\n",
            "Stopping the W&B server, the processor, the sink and the local stack.",
            "Done.");

    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(1100);
    assertThat(image.getHeight()).isEqualTo(550);
    for (int s = 0; s < DemoRun.grid().size(); s++) {
      int rgb = PngChart.color(s).getRGB();
      long pixels = 0;
      for (int y = 40; y < 505; y++) {
        for (int x = 70; x < 600; x++) {
          pixels += image.getRGB(x, y) == rgb ? 1 : 0;
        }
      }
      assertThat(pixels).as("pixels of series %d in the plot area", s).isGreaterThan(20);
    }

    Matcher dataDir = Pattern.compile("data dir\\s+(\\S+)").matcher(out);
    assertThat(dataDir.find()).as("the demo names its data directory").isTrue();
    String stackDir = dataDir.group(1);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        ProcessHandle.allProcesses()
                            .map(p -> p.info().commandLine().orElse(""))
                            .filter(c -> c.contains(stackDir) || c.contains("CrashingRun")))
                    .as("processes of the demo")
                    .isEmpty());
    assertThat(Path.of(stackDir)).doesNotExist();
  }

  @Test
  void badArgumentsGiveAMessageAndANonZeroExit() {
    CliRunner.Result words = CliRunner.run(Map.of(), "demo", "--steps", "many");
    assertThat(words.exit()).isEqualTo(2);
    assertThat(words.err()).contains("--steps", "many");

    CliRunner.Result few = CliRunner.run(Map.of(), "demo", "--steps", "10");
    assertThat(few.exit()).isEqualTo(2);
    assertThat(few.err()).contains("--steps must be at least 200");
  }

  private static DemoRun only(DemoRun.Fate fate) {
    return DemoRun.grid().stream().filter(r -> r.fate() == fate).findFirst().orElseThrow();
  }

  private static String section(String out, String from, String to) {
    int start = out.indexOf(from);
    int end = out.indexOf(to, start);
    assertThat(start).as("'%s' in:%n%s", from, out).isNotNegative();
    assertThat(end).as("'%s' after '%s' in:%n%s", to, from, out).isGreaterThan(start);
    return out.substring(start, end);
  }
}
