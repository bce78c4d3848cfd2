package dev.runstream.cli.chart;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Round axis ticks, as people label axes: 0, 0.5, 1.0, 1.5 rather than 0.1548, 0.9040, 1.653. */
final class Ticks {
  private Ticks() {}

  /**
   * Values between {@code lo} and {@code hi} (inclusive) at a spacing of 1, 2 or 5 times a power of
   * ten: at least {@code target} of them, and fewer than three times as many.
   */
  static List<Double> between(double lo, double hi, int target) {
    List<Double> ticks = new ArrayList<>();
    if (!(hi > lo) || target < 1) {
      ticks.add(lo);
      return ticks;
    }
    double step = niceStep((hi - lo) / target);
    // BigDecimal steps, so 0.1 + 0.2 is labelled 0.3 and not 0.30000000000000004.
    BigDecimal spacing = new BigDecimal(Double.toString(step));
    BigDecimal value = spacing.multiply(BigDecimal.valueOf(Math.ceil(lo / step)));
    while (value.doubleValue() <= hi + step * 1e-9) {
      ticks.add(value.doubleValue());
      value = value.add(spacing);
    }
    return ticks;
  }

  private static double niceStep(double rough) {
    double power = Math.pow(10, Math.floor(Math.log10(rough)));
    double fraction = rough / power * (1 + 1e-9); // 0.25 / 5 is 0.049999...: still 5e-2
    // The largest round spacing not above the rough one: at least the target number of ticks.
    double nice = fraction < 2 ? 1 : fraction < 5 ? 2 : 5;
    return nice * power;
  }

  /** A tick's label: as short as it can be ({@code 0.5}, {@code 100}, {@code 2.5e-05}). */
  static String label(double value) {
    if (value == 0) {
      return "0";
    }
    double abs = Math.abs(value);
    if (abs < 1e-3 || abs >= 1e6) {
      return String.format(Locale.ROOT, "%.1e", value);
    }
    return new BigDecimal(Double.toString(value)).stripTrailingZeros().toPlainString();
  }
}
