package dev.runstream.processor.internal;

import java.util.Objects;
import java.util.regex.Pattern;

/** Globs as detector rules and metric definitions write names: {@code train/*}, {@code loss?}. */
public final class Glob {
  private Glob() {}

  /**
   * A glob of {@code *} (any characters) and {@code ?} (one character) as a pattern over the whole
   * name; every other character stands for itself, so a plain name matches only itself.
   */
  public static Pattern pattern(String glob) {
    Objects.requireNonNull(glob, "glob");
    StringBuilder regex = new StringBuilder();
    for (char c : glob.toCharArray()) {
      switch (c) {
        case '*' -> regex.append(".*");
        case '?' -> regex.append('.');
        default -> regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(regex.toString());
  }
}
