package dev.runstream.cli.chart;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.imageio.ImageIO;

/**
 * A line plot as a PNG, laid out like a W&B panel: a title, a light grid with value and step ticks,
 * one coloured line per run, and a legend to the right.
 */
public final class PngChart {
  /** W&B-like palette: distinct, readable on white. */
  private static final Color[] PALETTE = {
    new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
    new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
    new Color(0xbcbd22), new Color(0x17becf)
  };

  private static final int TICKS = 5;

  private PngChart() {}

  /** Colour of the {@code index}-th series. */
  public static Color color(int index) {
    return PALETTE[index % PALETTE.length];
  }

  /**
   * Draws {@code series} and writes the picture to {@code file}.
   *
   * @param title the panel title, usually the metric's name
   */
  public static void write(List<Series> series, String title, int width, int height, Path file)
      throws IOException {
    write(series, title, width, height, false, file);
  }

  /**
   * Like {@link #write(List, String, int, int, Path)}; with {@code ignoreOutliers}, values far
   * outside the others are left off the chart (see {@link TerminalChart}).
   */
  public static void write(
      List<Series> series, String title, int width, int height, boolean ignoreOutliers, Path file)
      throws IOException {
    ImageIO.write(draw(series, title, width, height, ignoreOutliers), "png", file.toFile());
  }

  /** Draws {@code series} into a new image, scaled to fit every value. */
  public static BufferedImage draw(List<Series> series, String title, int width, int height) {
    return draw(series, title, width, height, false);
  }

  /** Draws {@code series} into a new image, leaving outliers off the chart if asked. */
  public static BufferedImage draw(
      List<Series> series, String title, int width, int height, boolean ignoreOutliers) {
    if (width < 200 || height < 150) {
      throw new IllegalArgumentException("a PNG chart needs at least 200×150 pixels");
    }
    System.setProperty("java.awt.headless", "true");
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
      g.setFont(font);
      FontMetrics fm = g.getFontMetrics();
      Bounds bounds = Bounds.of(series, ignoreOutliers);
      List<String> legend = series.stream().map(s -> s.label() + s.legendNote(bounds)).toList();
      int legendWidth = legendWidth(legend, fm, width);
      int left = 70;
      int top = 40;
      int right = width - legendWidth - 20;
      int bottom = height - 45;

      g.setColor(new Color(0x333333));
      g.setFont(font.deriveFont(Font.BOLD, 14f));
      g.drawString(title, left, 24);
      g.setFont(font);
      drawAxes(g, fm, bounds, left, top, right, bottom);

      g.setStroke(new BasicStroke(1.8f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
      // Lines towards values off the chart leave it at the edge of the plot area.
      g.setClip(left, top, right - left + 1, bottom - top + 1);
      for (int s = 0; s < series.size(); s++) {
        g.setColor(color(s));
        Path2D.Double path = new Path2D.Double();
        boolean drawing = false;
        for (var point : series.get(s).points().entrySet()) {
          if (!Double.isFinite(point.getValue())) {
            drawing = false;
            continue;
          }
          double x = left + bounds.x(point.getKey()) * (right - left);
          double y = bottom - bounds.y(point.getValue()) * (bottom - top);
          if (drawing) {
            path.lineTo(x, y);
          } else {
            path.moveTo(x, y);
            drawing = true;
          }
        }
        g.draw(path);
      }
      g.setClip(null);
      drawLegend(g, fm, legend, right + 20, top);
    } finally {
      g.dispose();
    }
    return image;
  }

  private static void drawAxes(
      Graphics2D g, FontMetrics fm, Bounds bounds, int left, int top, int right, int bottom) {
    for (double value : Ticks.between(bounds.minValue(), bounds.maxValue(), TICKS)) {
      int y = (int) Math.round(bottom - bounds.y(value) * (bottom - top));
      g.setColor(new Color(0xeeeeee));
      g.drawLine(left, y, right, y);
      g.setColor(new Color(0x666666));
      String label = Ticks.label(value);
      g.drawString(label, left - 8 - fm.stringWidth(label), y + fm.getAscent() / 2 - 1);
    }
    Set<Long> steps = new TreeSet<>(); // whole steps only, each once
    Ticks.between(bounds.minStep(), bounds.maxStep(), TICKS).forEach(t -> steps.add(Math.round(t)));
    for (long s : steps) {
      int x = (int) Math.round(left + bounds.x(s) * (right - left));
      g.setColor(new Color(0xeeeeee));
      g.drawLine(x, top, x, bottom);
      g.setColor(new Color(0x666666));
      String stepLabel = Long.toString(s);
      g.drawString(stepLabel, x - fm.stringWidth(stepLabel) / 2, bottom + fm.getAscent() + 6);
    }
    g.setColor(new Color(0x999999));
    g.drawLine(left, bottom, right, bottom);
    g.drawLine(left, top, left, bottom);
    g.setColor(new Color(0x666666));
    g.drawString(
        "Step", (left + right) / 2 - fm.stringWidth("Step") / 2, bottom + 2 * fm.getHeight() + 6);
  }

  // At most 40 % of the picture, so the plot keeps the larger part.
  private static int legendWidth(List<String> legend, FontMetrics fm, int width) {
    int widest = 0;
    for (String entry : legend) {
      widest = Math.max(widest, fm.stringWidth(entry));
    }
    return Math.min(width * 2 / 5, widest + 40);
  }

  private static void drawLegend(Graphics2D g, FontMetrics fm, List<String> legend, int x, int y) {
    int lineHeight = fm.getHeight() + 4;
    for (int s = 0; s < legend.size(); s++) {
      int rowY = y + s * lineHeight;
      g.setColor(color(s));
      g.fillRect(x, rowY + fm.getAscent() / 2 - 1, 18, 4);
      g.setColor(new Color(0x333333));
      g.drawString(legend.get(s), x + 26, rowY + fm.getAscent());
    }
  }
}
