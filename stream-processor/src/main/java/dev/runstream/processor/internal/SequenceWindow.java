package dev.runstream.processor.internal;

/**
 * Remembers which record sequences of a run were applied, so an exact replay of a metric batch (the
 * SDK replaying its spill, {@code runstream sync} run twice) is not counted twice.
 *
 * <p>Keeps the highest sequence seen and a bit for each of the {@value #SIZE} sequences below it: a
 * fixed {@value #SIZE}/8 bytes per run. Limits: a replay of a sequence more than {@value #SIZE}
 * below the highest cannot be told apart from a first delivery and is applied (counted again); a
 * negative sequence (a producer that does not number its records) is always applied; a resume that
 * numbers from below the highest resets the window. Not thread-safe; owned by one stream task.
 */
public final class SequenceWindow {
  /** How many sequences below the highest are remembered. */
  public static final int SIZE = 1024;

  private long highest;
  private final long[] bits;

  /** An empty window. */
  public SequenceWindow() {
    this(-1, new long[SIZE / 64]);
  }

  SequenceWindow(long highest, long[] bits) {
    this.highest = highest;
    this.bits = bits;
  }

  /**
   * Marks {@code sequence} applied.
   *
   * @return false when it was applied before (a replay), true when it is new or too old to know
   */
  public boolean markNew(long sequence) {
    if (sequence < 0) {
      return true;
    }
    if (highest < 0 || sequence > highest) {
      long from = highest < 0 ? sequence : highest + 1;
      if (sequence - from >= SIZE) {
        java.util.Arrays.fill(bits, 0L);
      } else {
        for (long s = from; s < sequence; s++) {
          clear(s);
        }
      }
      highest = sequence;
      set(sequence);
      return true;
    }
    if (highest - sequence >= SIZE) {
      return true;
    }
    if (isSet(sequence)) {
      return false;
    }
    set(sequence);
    return true;
  }

  /** Forgets everything, for a run resumed by a process whose sequences start lower again. */
  public void reset() {
    highest = -1;
    java.util.Arrays.fill(bits, 0L);
  }

  /** Sets this window to {@code highest} and a copy of {@code bits}, to undo a change. */
  void restore(long highest, long[] bits) {
    this.highest = highest;
    System.arraycopy(bits, 0, this.bits, 0, this.bits.length);
  }

  /** The highest sequence marked, or -1. */
  long highest() {
    return highest;
  }

  long[] bits() {
    return bits;
  }

  private void set(long s) {
    int i = (int) Math.floorMod(s, (long) SIZE);
    bits[i >>> 6] |= 1L << (i & 63);
  }

  private void clear(long s) {
    int i = (int) Math.floorMod(s, (long) SIZE);
    bits[i >>> 6] &= ~(1L << (i & 63));
  }

  private boolean isSet(long s) {
    int i = (int) Math.floorMod(s, (long) SIZE);
    return (bits[i >>> 6] & (1L << (i & 63))) != 0;
  }
}
