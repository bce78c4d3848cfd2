package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.cli.chart.PngChart;
import dev.runstream.cli.demo.DemoRun;
import dev.runstream.deploy.LocalStack;
import dev.runstream.testing.LocalStackExtension;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code runstream runs compare}: table, terminal chart and PNG, against the real stack. */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class RunsCompareIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private DemoSweep sweep;
  private String good;
  private String diverged;

  @BeforeAll
  void sweep(LocalStack stack) throws Exception {
    sweep = DemoSweep.get(stack);
    good = DemoRun.grid().get(0).name();
    diverged = sweep.run(DemoRun.Fate.DIVERGES).name();
  }

  @Test
  void comparesNamedRunsInATableAndATerminalChart(@TempDir Path dir) throws Exception {
    Path png = dir.resolve("charts/loss.png");
    CliRunner.Result compare =
        sweep.cli(
            "runs", "compare", good, diverged, "--png", png.toString(), "--png-size", "900x450");

    assertThat(compare.exit()).as("%s", compare).isZero();
    List<String> lines = compare.out().lines().toList();
    assertThat(lines.get(0)).isEqualTo("2 runs of project demo");
    assertThat(lines.get(2).split("\\s{2,}"))
        .containsExactly(
            "name",
            "id",
            "state",
            "architecture",
            "learning_rate",
            "final loss",
            "best loss",
            "best step");
    assertThat(lines.get(4))
        .startsWith(good + "  ")
        .contains(sweep.run(good).id(), Numbers.format(sweep.best(good, "loss")));
    long bestStep =
        sweep.points(diverged, "loss").entrySet().stream()
            .filter(e -> Double.isFinite(e.getValue()))
            .min(Map.Entry.comparingByValue())
            .orElseThrow()
            .getKey();
    assertThat(lines.get(5).split("\\s{2,}"))
        .containsExactly(
            diverged,
            sweep.run(diverged).id(),
            "FAILED",
            "CNN",
            "0.5",
            "NaN",
            Numbers.format(sweep.best(diverged, "loss")),
            Long.toString(bestStep));

    assertThat(compare.out()).contains("loss by step\n");
    long braille = compare.out().chars().filter(c -> c >= 0x2801 && c <= 0x28ff).count();
    assertThat(braille).as("braille dots of the chart").isGreaterThan(100);
    long firstNaN =
        sweep.points(diverged, "loss").entrySet().stream()
            .filter(e -> Double.isNaN(e.getValue()))
            .findFirst()
            .orElseThrow()
            .getKey();
    assertThat(compare.out())
        .contains("  ━━ " + good + "\n")
        .contains("  ━━ " + diverged + ", failed (off the chart, NaN from step " + firstNaN + ")\n")
        .contains("Wrote the loss chart to " + png + " (900x450).");

    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(900);
    assertThat(image.getHeight()).isEqualTo(450);
    // The plot area lies between the value labels (70 px) and the legend, and between the title
    // (40 px) and the step labels (45 px from the bottom).
    int[] colours = {PngChart.color(0).getRGB(), PngChart.color(1).getRGB()};
    int[] columns = new int[2];
    long inked = 0;
    for (int x = 75; x < 500; x++) {
      boolean[] seen = new boolean[2];
      for (int y = 40; y <= 450 - 45 + 1; y++) {
        int rgb = image.getRGB(x, y);
        if ((rgb & 0xffffff) != 0xffffff && (rgb & 0xffffff) != 0xeeeeee) {
          inked++;
        }
        for (int s = 0; s < 2; s++) {
          seen[s] |= close(rgb, colours[s]);
        }
      }
      for (int s = 0; s < 2; s++) {
        columns[s] += seen[s] ? 1 : 0;
      }
    }
    assertThat(inked).as("non-white pixels in the plot area").isGreaterThan(600);
    assertThat(columns[0]).as("columns crossed by %s's line", good).isGreaterThan(400);
    // The diverging run leaves the chart at the top and ends in NaN before the last step.
    assertThat(columns[1]).as("columns crossed by %s's line", diverged).isBetween(100, 400);
  }

  private static boolean close(int a, int b) {
    for (int shift = 0; shift <= 16; shift += 8) {
      if (Math.abs(((a >> shift) & 0xff) - ((b >> shift) & 0xff)) > 40) {
        return false;
      }
    }
    return true;
  }

  @Test
  void comparesTheTopRunsOfAProjectAsJsonWithTheirCurves() throws Exception {
    CliRunner.Result compare =
        CliRunner.run(
            sweep.serverEnv,
            "runs",
            "compare",
            "--project",
            "demo",
            "--tag",
            sweep.tag,
            "--top",
            "3",
            "--metric",
            "val_acc",
            "--metric",
            "loss",
            "--format",
            "json");

    assertThat(compare.exit()).as("%s", compare).isZero();
    JsonNode runs = JSON.readTree(compare.out());
    List<String> expected =
        sweep.runs.keySet().stream()
            .sorted(Comparator.comparingDouble((String n) -> sweep.best(n, "val_acc")).reversed())
            .limit(3)
            .toList();
    List<String> names = new ArrayList<>();
    for (JsonNode run : runs) {
      String name = run.get("name").asText();
      names.add(name);
      assertThat(run.at("/metrics/val_acc/best").asDouble()).isEqualTo(sweep.best(name, "val_acc"));
      assertThat(run.at("/metrics/loss/best").asDouble()).isEqualTo(sweep.best(name, "loss"));
      // 300 steps fit in 500 points: one bucket per step, so the curve is the raw points.
      assertThat(run.at("/curve/metric").asText()).isEqualTo("val_acc");
      NavigableMap<Long, Double> points = sweep.points(name, "val_acc");
      JsonNode curve = run.at("/curve/points");
      assertThat(curve.size()).isEqualTo(points.size());
      Iterator<Map.Entry<String, JsonNode>> fields = curve.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> point = fields.next();
        assertThat(point.getValue().asDouble())
            .isEqualTo(points.get(Long.parseLong(point.getKey())));
      }
    }
    assertThat(names).isEqualTo(expected);
  }

  @Test
  void writesCsvWithoutAChart() {
    CliRunner.Result compare =
        sweep.cli("runs", "compare", good, diverged, "--metric", "acc", "--format", "csv");

    assertThat(compare.exit()).as("%s", compare).isZero();
    assertThat(compare.out().lines().toList())
        .hasSize(3)
        .first()
        .isEqualTo(
            "name,id,state,config.architecture,config.learning_rate,final acc,best acc,best step acc");
    assertThat(compare.out()).doesNotContain("━━");
  }

  @Test
  void runsOfAnotherNameAreNotFound() {
    CliRunner.Result compare = sweep.cli("runs", "compare", good, "no-such-run");

    assertThat(compare.exit()).isEqualTo(1);
    assertThat(compare.err()).contains("no run has the id or name 'no-such-run'");
  }
}
