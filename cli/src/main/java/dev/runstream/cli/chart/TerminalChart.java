package dev.runstream.cli.chart;

import java.util.List;
import java.util.Locale;

/**
 * A line chart drawn with Unicode braille characters, each cell holding a 2×4 grid of dots, so a
 * terminal of 80 columns gives 160 horizontal points. Each series gets an ANSI colour when colour
 * is on; where two series share a cell the later one wins.
 */
public final class TerminalChart {
  private static final int[][] DOT_BITS = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
  private static final String[] COLORS = {
    "\u001b[34m", "\u001b[33m", "\u001b[32m", "\u001b[31m", "\u001b[35m", "\u001b[36m",
    "\u001b[94m", "\u001b[93m", "\u001b[92m", "\u001b[91m", "\u001b[95m", "\u001b[96m"
  };
  private static final String RESET = "\u001b[0m";

  private TerminalChart() {}

  /**
   * Renders {@code series} as {@code height} lines of a {@code width}-column plot area, with the
   * value axis labels at the left, the step range below, and a legend; values scaled to fit all.
   *
   * @param color whether to use ANSI colours
   */
  public static String render(List<Series> series, int width, int height, boolean color) {
    return render(series, width, height, color, false);
  }

  /**
   * Like {@link #render(List, int, int, boolean)}; with {@code ignoreOutliers}, values far outside
   * the others (a diverging run) are drawn off the top or bottom so the rest stay readable, and the
   * legend says which series left the chart.
   */
  public static String render(
      List<Series> series, int width, int height, boolean color, boolean ignoreOutliers) {
    if (width < 10 || height < 3) {
      throw new IllegalArgumentException("a chart needs at least 10 columns and 3 lines");
    }
    Bounds bounds = Bounds.of(series, ignoreOutliers);
    int dotsX = width * 2;
    int dotsY = height * 4;
    int[][] cells = new int[height][width];
    int[][] owner = new int[height][width];
    for (int s = 0; s < series.size(); s++) {
      int prevX = -1;
      int prevY = -1;
      for (var point : series.get(s).points().entrySet()) {
        if (!Double.isFinite(point.getValue())) {
          prevX = -1;
          continue;
        }
        int x = (int) Math.round(bounds.x(point.getKey()) * (dotsX - 1));
        int y = (int) Math.round((1 - bounds.y(point.getValue())) * (dotsY - 1));
        if (prevX >= 0) {
          line(cells, owner, s, prevX, prevY, x, y);
        } else {
          dot(cells, owner, s, x, y);
        }
        prevX = x;
        prevY = y;
      }
    }
    String top = format(bounds.maxValue());
    String bottom = format(bounds.minValue());
    int labelWidth = Math.max(top.length(), bottom.length());
    StringBuilder out = new StringBuilder();
    for (int row = 0; row < height; row++) {
      String label = row == 0 ? top : row == height - 1 ? bottom : "";
      out.append(" ".repeat(labelWidth - label.length())).append(label).append(" ┤");
      for (int col = 0; col < width; col++) {
        if (cells[row][col] == 0) {
          out.append(' ');
          continue;
        }
        char glyph = (char) (0x2800 + cells[row][col]);
        if (color) {
          out.append(COLORS[owner[row][col] % COLORS.length]).append(glyph).append(RESET);
        } else {
          out.append(glyph);
        }
      }
      out.append('\n');
    }
    out.append(" ".repeat(labelWidth)).append(" └").append("─".repeat(width)).append('\n');
    String left = "step " + bounds.minStep();
    String right = Long.toString(bounds.maxStep());
    out.append(" ".repeat(labelWidth + 2))
        .append(left)
        .append(" ".repeat(Math.max(1, width - left.length() - right.length())))
        .append(right)
        .append('\n');
    for (int s = 0; s < series.size(); s++) {
      String mark = color ? COLORS[s % COLORS.length] + "━━" + RESET : "━━";
      out.append("  ")
          .append(mark)
          .append(' ')
          .append(series.get(s).label())
          .append(series.get(s).legendNote(bounds))
          .append('\n');
    }
    return out.toString();
  }

  private static void line(int[][] cells, int[][] owner, int s, int x0, int y0, int x1, int y1) {
    int steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0));
    for (int i = 0; i <= steps; i++) {
      double t = steps == 0 ? 0 : (double) i / steps;
      dot(
          cells,
          owner,
          s,
          (int) Math.round(x0 + t * (x1 - x0)),
          (int) Math.round(y0 + t * (y1 - y0)));
    }
  }

  private static void dot(int[][] cells, int[][] owner, int s, int x, int y) {
    if (x < 0 || y < 0) {
      return; // off the chart (and -1 / 4 would be row 0)
    }
    int row = y / 4;
    int col = x / 2;
    if (row >= cells.length || col >= cells[0].length) {
      return;
    }
    cells[row][col] |= DOT_BITS[y % 4][x % 2];
    owner[row][col] = s;
  }

  static String format(double value) {
    double abs = Math.abs(value);
    if (abs != 0 && (abs < 1e-3 || abs >= 1e6)) {
      return String.format(Locale.ROOT, "%.2e", value);
    }
    return String.format(Locale.ROOT, "%.4g", value);
  }
}
