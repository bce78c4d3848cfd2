package dev.runstream.cli.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {

  private static Series curve(String label, double scale, double nanAt) {
    TreeMap<Long, Double> points = new TreeMap<>();
    for (long step = 0; step < 50; step++) {
      points.put(step, step == nanAt ? Double.NaN : scale * Math.exp(-step / 10.0));
    }
    return new Series(label, points);
  }

  @Test
  void pngHasTheRequestedSizeAndEverySeriesDrawnInItsColour(@TempDir Path dir) throws Exception {
    List<Series> series = List.of(curve("test1", 1.0, -1), curve("test2", 2.0, 20));
    Path file = dir.resolve("loss.png");

    PngChart.write(series, "loss", 800, 400, file);

    BufferedImage image = ImageIO.read(Files.newInputStream(file));
    assertThat(image.getWidth()).isEqualTo(800);
    assertThat(image.getHeight()).isEqualTo(400);
    for (int s = 0; s < series.size(); s++) {
      int rgb = PngChart.color(s).getRGB() & 0xffffff;
      long pixels = countPixels(image, rgb, 70, 40, 600, 355);
      assertThat(pixels).as("pixels of series %d inside the plot area", s).isGreaterThan(100);
    }
  }

  @Test
  void pngOfNothingFiniteIsStillAValidPicture() {
    BufferedImage image =
        PngChart.draw(
            List.of(new Series("nan-run", new TreeMap<>(Map.of(0L, Double.NaN)))),
            "loss",
            300,
            200);
    assertThat(image.getWidth()).isEqualTo(300);
  }

  @Test
  void terminalChartDrawsBrailleLinesAxesAndALegend() {
    String chart =
        TerminalChart.render(
            List.of(curve("test1", 1.0, -1), curve("diverged", 2.0, 25)), 60, 10, false);

    List<String> lines = chart.lines().toList();
    assertThat(lines).hasSize(10 + 2 + 2);
    assertThat(lines.get(0)).matches(" *2\\.000 ┤.*");
    assertThat(lines.get(9)).matches("0\\.007447 ┤.*"); // the smallest value, e^-4.9
    assertThat(chart.chars().filter(c -> c >= 0x2801 && c <= 0x28ff).count()).isGreaterThan(60);
    assertThat(lines.get(11)).contains("step 0").endsWith("49");
    assertThat(lines.get(12)).isEqualTo("  ━━ test1");
    assertThat(lines.get(13)).isEqualTo("  ━━ diverged (NaN from step 25)");
    assertThat(chart).doesNotContain("\u001b[");
  }

  @Test
  void terminalChartColoursEachSeriesWhenAsked() {
    String chart = TerminalChart.render(List.of(curve("a", 1, -1), curve("b", 2, -1)), 40, 5, true);
    assertThat(chart).contains("\u001b[34m", "\u001b[33m", "\u001b[0m");
  }

  @Test
  void chartsRefuseAreasTooSmallToRead() {
    assertThatThrownBy(() -> TerminalChart.render(List.of(), 5, 2, false))
        .hasMessageContaining("at least 10 columns");
    assertThatThrownBy(() -> PngChart.draw(List.of(), "x", 100, 100))
        .hasMessageContaining("at least 200");
  }

  private static long countPixels(BufferedImage image, int rgb, int x0, int y0, int x1, int y1) {
    long count = 0;
    for (int x = x0; x < x1; x++) {
      for (int y = y0; y < y1; y++) {
        int pixel = image.getRGB(x, y) & 0xffffff;
        if (close(pixel, rgb)) {
          count++;
        }
      }
    }
    return count;
  }

  private static boolean close(int a, int b) {
    for (int shift = 0; shift <= 16; shift += 8) {
      if (Math.abs(((a >> shift) & 0xff) - ((b >> shift) & 0xff)) > 12) {
        return false;
      }
    }
    return true;
  }

  @Test
  void aRunThatBlowsUpIsDrawnOffTheTopSoTheOthersStayReadable() {
    List<Series> series = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      series.add(curve("healthy" + i, 1.0 + i / 5.0, -1));
    }
    TreeMap<Long, Double> blowUp = new TreeMap<>();
    for (long step = 0; step < 50; step++) {
      blowUp.put(step, step < 45 ? 2.0 * Math.exp(-step / 10.0) : Math.pow(10, step - 43));
    }
    series.add(new Series("blew-up", blowUp));

    String clipped = TerminalChart.render(series, 60, 10, false, true);
    String full = TerminalChart.render(series, 60, 10, false, false);

    double top = Double.parseDouble(clipped.lines().findFirst().orElseThrow().split("┤")[0].trim());
    assertThat(top)
        .as("the top of the chart: above the healthy runs, far below 1e6")
        .isBetween(2.0, 4.0);
    assertThat(clipped).contains("  ━━ blew-up (off the chart)\n", "  ━━ healthy1\n");
    assertThat(full.lines().findFirst().orElseThrow()).matches(" *1\\.00e\\+06 ┤.*");
    assertThat(full).contains("  ━━ blew-up\n");
  }

  @Test
  void fewValuesAreAlwaysShownInFull() {
    TreeMap<Long, Double> points = new TreeMap<>();
    for (long step = 0; step < 10; step++) {
      points.put(step, step == 9 ? 1000.0 : 1.0);
    }
    Bounds bounds = Bounds.of(List.of(new Series("few", points)), true);
    assertThat(bounds.maxValue()).isEqualTo(1000.0);
  }

  @Test
  void pngLeavesOutliersOffTheChartButKeepsEveryLineInside() {
    List<Series> series = new ArrayList<>();
    series.add(curve("healthy", 2.0, -1));
    for (int i = 1; i <= 4; i++) {
      series.add(curve("other" + i, 1.0 + i / 5.0, -1));
    }
    TreeMap<Long, Double> blowUp = new TreeMap<>();
    for (long step = 0; step < 50; step++) {
      blowUp.put(step, step < 45 ? 1.0 : Math.pow(10, step - 43));
    }
    series.add(new Series("blew-up", blowUp));

    BufferedImage image = PngChart.draw(series, "loss", 800, 400, true);

    int highest = Integer.MAX_VALUE;
    for (int y = 40; y < 355 && highest == Integer.MAX_VALUE; y++) {
      if (countPixels(image, PngChart.color(0).getRGB() & 0xffffff, 70, y, 500, y + 1) > 0) {
        highest = y;
      }
    }
    assertThat(highest)
        .as("the healthy curve's start is in the upper half, not flat at the bottom")
        .isLessThan((40 + 355) / 2);
    long outside = countPixels(image, PngChart.color(5).getRGB() & 0xffffff, 0, 0, 800, 39);
    assertThat(outside).as("nothing is drawn above the plot area").isZero();
  }
}
