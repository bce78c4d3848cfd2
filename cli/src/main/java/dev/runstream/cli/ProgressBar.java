package dev.runstream.cli;

import java.util.Locale;

/** A one-line progress bar: {@code ██████████░░░░░░░░░░ 50%}. */
final class ProgressBar {
  private ProgressBar() {}

  /**
   * {@code done} of {@code total} as a bar {@code width} cells wide and a percentage; a zero total
   * counts as complete.
   */
  static String render(long done, long total, int width) {
    double fraction = total <= 0 ? 1 : Math.max(0, Math.min(1, (double) done / total));
    int full = (int) Math.round(fraction * width);
    return "█".repeat(full)
        + "░".repeat(width - full)
        + String.format(Locale.ROOT, " %3d%%", Math.round(fraction * 100));
  }
}
