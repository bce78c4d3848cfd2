package dev.runstream.cli;

import java.util.Locale;

/** How metric values are written in tables: short, aligned, and honest about NaN. */
final class Numbers {
  private Numbers() {}

  /**
   * {@code value} with four decimals ({@code 0.2311}), in scientific notation when that would hide
   * it ({@code 1.234e+04}, {@code 5.000e-06}); {@code NaN} and {@code Infinity} as such.
   */
  static String format(double value) {
    if (Double.isNaN(value)) {
      return "NaN";
    }
    if (Double.isInfinite(value)) {
      return value > 0 ? "Infinity" : "-Infinity";
    }
    double abs = Math.abs(value);
    if (abs != 0 && (abs < 1e-3 || abs >= 1e5)) {
      return String.format(Locale.ROOT, "%.3e", value);
    }
    return String.format(Locale.ROOT, "%.4f", value);
  }

  /** {@code n} with thousands separators: {@code 12,345}. */
  static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
