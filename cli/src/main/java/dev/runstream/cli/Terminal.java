package dev.runstream.cli;

import java.util.Map;

/**
 * What the output is written to: an interactive terminal (progress redrawn in place, colours) or a
 * pipe, file or test (plain lines only), and how wide it is.
 *
 * @param interactive whether output goes to a terminal a person watches
 * @param color whether ANSI colours may be used
 * @param columns the width to lay charts out for
 */
record Terminal(boolean interactive, boolean color, int columns) {
  /** Width when {@code COLUMNS} does not say: {@value}. */
  static final int DEFAULT_COLUMNS = 100;

  /** Plain output of the default width: pipes, files and tests. */
  static Terminal plain() {
    return new Terminal(false, false, DEFAULT_COLUMNS);
  }

  /**
   * The terminal of this process: interactive when stdin and stdout are a console and {@code TERM}
   * is not {@code dumb}; coloured unless {@code NO_COLOR} is set (no-color.org); {@code COLUMNS}
   * wide (which {@code bin/runstream} exports).
   */
  static Terminal detect(Map<String, String> env) {
    boolean interactive = System.console() != null && !"dumb".equals(env.get("TERM"));
    boolean color = interactive && env.get("NO_COLOR") == null;
    return new Terminal(interactive, color, columns(env));
  }

  private static int columns(Map<String, String> env) {
    try {
      int columns = Integer.parseInt(env.getOrDefault("COLUMNS", "").trim());
      return columns >= 40 ? columns : DEFAULT_COLUMNS;
    } catch (NumberFormatException e) {
      return DEFAULT_COLUMNS;
    }
  }
}
