package dev.runstream.query.internal;

import java.util.List;

/**
 * The bucket widths of {@code metric_rollups}: the sink writes every level, a query reads the one
 * that fits the points it wants. Why these widths: see the sink's {@code Rollups}.
 */
public final class RollupLevels {
  /** Bucket widths in steps, finest first; each is a multiple of the previous. */
  public static final List<Integer> LEVELS = List.of(4, 16, 32, 64, 128, 256);

  private RollupLevels() {}

  /** The widest level, which holds one row per 256 steps of a series. */
  public static int widest() {
    return LEVELS.get(LEVELS.size() - 1);
  }

  /** The widest level that divides {@code width}, or 1 (raw points) when none does. */
  public static int widestDividing(long width) {
    int chosen = 1;
    for (int level : LEVELS) {
      if (width % level == 0) {
        chosen = level;
      }
    }
    return chosen;
  }

  /** The widest level not wider than {@code width}, or 1 (raw points) when every level is wider. */
  public static int levelFor(long width) {
    int chosen = 1;
    for (int level : LEVELS) {
      if (level <= width) {
        chosen = level;
      }
    }
    return chosen;
  }
}
