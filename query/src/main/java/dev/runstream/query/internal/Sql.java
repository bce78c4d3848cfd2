package dev.runstream.query.internal;

import java.util.Collection;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.regex.Pattern;

/**
 * The one way a value gets into SQL text. ClickHouse 18.16 has no query parameters ({@code
 * {name:Type}}), so every run name, tag, project or metric name is written as a single-quoted
 * literal with backslash and quote escaped; nothing else may concatenate user data into a query.
 */
public final class Sql {
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private Sql() {}

  /**
   * A single-quoted string literal. Backslash and single quote are escaped with a backslash, which
   * every ClickHouse version reads back as the original text; control characters are passed through
   * because a quoted literal may hold them.
   */
  public static String literal(String value) {
    Objects.requireNonNull(value, "value");
    StringBuilder out = new StringBuilder(value.length() + 2);
    out.append('\'');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\\' || c == '\'') {
        out.append('\\');
      }
      out.append(c);
    }
    return out.append('\'').toString();
  }

  /** A literal for a signed integer. */
  public static String literal(long value) {
    return Long.toString(value);
  }

  /** {@code ('a', 'b')} for an {@code IN} clause; {@code ('')} for an empty collection. */
  public static String literalList(Collection<String> values) {
    if (values.isEmpty()) {
      // IN () is a syntax error; a list holding only the empty string matches no real name.
      return "('')";
    }
    StringJoiner joiner = new StringJoiner(", ", "(", ")");
    for (String value : values) {
      joiner.add(literal(value));
    }
    return joiner.toString();
  }

  /**
   * Checks that {@code name} is a plain identifier (letters, digits, underscore, not starting with
   * a digit) and returns it back-quoted, for database and table names that come from configuration.
   *
   * @throws IllegalArgumentException for anything else
   */
  public static String identifier(String name) {
    requireIdentifier(name, "identifier");
    return '`' + name + '`';
  }

  /** Fails with a message naming {@code what} unless {@code name} is a plain identifier. */
  public static String requireIdentifier(String name, String what) {
    Objects.requireNonNull(name, what);
    if (!IDENTIFIER.matcher(name).matches()) {
      throw new IllegalArgumentException(
          what + " must be letters, digits and '_', not starting with a digit: '" + name + "'");
    }
    return name;
  }
}
