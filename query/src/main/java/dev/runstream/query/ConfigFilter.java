package dev.runstream.query;

import dev.runstream.query.internal.Sql;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * A condition on a run's config values, parsed from text such as {@code learning_rate < 0.01 and
 * dataset = 'CIFAR-100'} into a tree, and turned into SQL only by quoting each key and value: the
 * text never reaches a query as it is, so no config key or value can change a query.
 *
 * <p>Grammar (keywords case-insensitive):
 *
 * <pre>
 * expr       := term ('or' term)*
 * term       := factor ('and' factor)*
 * factor     := 'not' factor | '(' expr ')' | comparison
 * comparison := key op value | key ['not'] 'in' '(' value (',' value)* ')' | key 'exists'
 * op         := '=' | '==' | '!=' | '&lt;&gt;' | '&lt;' | '&lt;=' | '&gt;' | '&gt;='
 * key        := [A-Za-z_][A-Za-z0-9_.\-/]*  (dotted for nested config: optimizer.lr)
 *             | `any text` with `` for a backquote
 * value      := number | 'text' | "text" (quote doubled or backslash-escaped) | true | false | null
 * </pre>
 *
 * A number compares numerically with config values that parse as numbers (a run whose value is text
 * or missing does not match); text compares as text with the value as stored ({@code
 * ConfigFlattener}: strings without quotes, numbers as written, booleans as {@code true}/{@code
 * false}). A missing key matches no comparison, {@code !=} included; use {@code not key exists}.
 *
 * <p>Immutable and thread-safe.
 */
public final class ConfigFilter {
  /** A node of the parsed condition. */
  public sealed interface Node permits And, Or, Not, Compare, In, Exists {}

  /** Both sides hold. */
  public record And(Node left, Node right) implements Node {}

  /** Either side holds. */
  public record Or(Node left, Node right) implements Node {}

  /** The inner condition does not hold. */
  public record Not(Node inner) implements Node {}

  /** {@code key op value}; {@code value} is a {@link BigDecimal}, a {@link String} or a Boolean. */
  public record Compare(String key, String op, Object value) implements Node {}

  /** {@code key in (values)}. */
  public record In(String key, List<Object> values) implements Node {
    public In {
      values = List.copyOf(values);
    }
  }

  /** The run's config has {@code key}. */
  public record Exists(String key) implements Node {}

  private final Node root;

  private ConfigFilter(Node root) {
    this.root = root;
  }

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException with the position of the first error
   */
  public static ConfigFilter parse(String text) {
    Objects.requireNonNull(text, "text");
    Parser parser = new Parser(text);
    Node node = parser.expr();
    parser.skipSpace();
    if (parser.pos < text.length()) {
      throw parser.error("unexpected '" + text.substring(parser.pos) + "'");
    }
    return new ConfigFilter(node);
  }

  /** The parsed tree. */
  public Node root() {
    return root;
  }

  /**
   * The condition as ClickHouse SQL over a row with {@code keysColumn} and {@code valuesColumn}
   * (parallel arrays of flattened config keys and values). Every key and value is a quoted literal.
   */
  String toSql(String keysColumn, String valuesColumn) {
    return sql(root, keysColumn, valuesColumn);
  }

  private static String sql(Node node, String keys, String values) {
    if (node instanceof And a) {
      return "(" + sql(a.left(), keys, values) + " AND " + sql(a.right(), keys, values) + ")";
    }
    if (node instanceof Or o) {
      return "(" + sql(o.left(), keys, values) + " OR " + sql(o.right(), keys, values) + ")";
    }
    if (node instanceof Not n) {
      return "(NOT " + sql(n.inner(), keys, values) + ")";
    }
    if (node instanceof Exists e) {
      return "has(" + keys + ", " + Sql.literal(e.key()) + ")";
    }
    if (node instanceof Compare c) {
      return "(has("
          + keys
          + ", "
          + Sql.literal(c.key())
          + ") AND "
          + compare(value(c.key(), keys, values), c.op(), c.value())
          + ")";
    }
    In in = (In) node;
    StringJoiner any = new StringJoiner(" OR ", "(", ")");
    for (Object v : in.values()) {
      any.add(compare(value(in.key(), keys, values), "=", v));
    }
    return "(has(" + keys + ", " + Sql.literal(in.key()) + ") AND " + any + ")";
  }

  private static String value(String key, String keys, String values) {
    return values + "[indexOf(" + keys + ", " + Sql.literal(key) + ")]";
  }

  private static String compare(String column, String op, Object value) {
    String sqlOp =
        switch (op) {
          case "=", "==" -> "=";
          case "!=", "<>" -> "!=";
          default -> op;
        };
    if (value instanceof BigDecimal number) {
      // A value that is not a number gives NULL, which matches nothing (NOT included, below).
      return "ifNull(toFloat64OrNull("
          + column
          + ") "
          + sqlOp
          + " "
          + number.toPlainString()
          + ", 0)";
    }
    return column + " " + sqlOp + " " + Sql.literal(String.valueOf(value));
  }

  /** The condition in canonical form (keys back-quoted where needed, values quoted). */
  @Override
  public String toString() {
    return text(root);
  }

  private static String text(Node node) {
    if (node instanceof And a) {
      return "(" + text(a.left()) + " and " + text(a.right()) + ")";
    }
    if (node instanceof Or o) {
      return "(" + text(o.left()) + " or " + text(o.right()) + ")";
    }
    if (node instanceof Not n) {
      return "not " + text(n.inner());
    }
    if (node instanceof Exists e) {
      return key(e.key()) + " exists";
    }
    if (node instanceof Compare c) {
      return key(c.key()) + " " + c.op() + " " + literal(c.value());
    }
    In in = (In) node;
    StringJoiner list = new StringJoiner(", ", "(", ")");
    in.values().forEach(v -> list.add(literal(v)));
    return key(in.key()) + " in " + list;
  }

  private static String key(String key) {
    return key.matches("[A-Za-z_][A-Za-z0-9_.\\-/]*") ? key : "`" + key.replace("`", "``") + "`";
  }

  private static String literal(Object v) {
    if (v instanceof BigDecimal d) {
      return d.toPlainString();
    }
    return "'" + String.valueOf(v).replace("'", "''") + "'";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConfigFilter other && root.equals(other.root);
  }

  @Override
  public int hashCode() {
    return root.hashCode();
  }

  /** A recursive-descent parser over the text; one per parse. */
  private static final class Parser {
    private final String text;
    private int pos;

    Parser(String text) {
      this.text = text;
    }

    Node expr() {
      Node left = term();
      while (keyword("or")) {
        left = new Or(left, term());
      }
      return left;
    }

    Node term() {
      Node left = factor();
      while (keyword("and")) {
        left = new And(left, factor());
      }
      return left;
    }

    Node factor() {
      if (keyword("not")) {
        return new Not(factor());
      }
      skipSpace();
      if (peek() == '(') {
        pos++;
        Node inner = expr();
        expect(')');
        return inner;
      }
      String key = key();
      if (keyword("exists")) {
        return new Exists(key);
      }
      boolean negated = keyword("not");
      if (keyword("in")) {
        expect('(');
        List<Object> values = new ArrayList<>();
        values.add(value());
        skipSpace();
        while (peek() == ',') {
          pos++;
          values.add(value());
          skipSpace();
        }
        expect(')');
        Node in = new In(key, values);
        return negated ? new Not(in) : in;
      }
      if (negated) {
        throw error("expected 'in' after 'not'");
      }
      String op = op();
      return new Compare(key, op, value());
    }

    String key() {
      skipSpace();
      if (peek() == '`') {
        pos++;
        StringBuilder out = new StringBuilder();
        while (true) {
          if (pos >= text.length()) {
            throw error("unterminated `key`");
          }
          char c = text.charAt(pos++);
          if (c == '`') {
            if (peek() == '`') {
              pos++;
              out.append('`');
              continue;
            }
            break;
          }
          out.append(c);
        }
        if (out.length() == 0) {
          throw error("empty key");
        }
        return out.toString();
      }
      int start = pos;
      if (pos < text.length()
          && (Character.isLetter(text.charAt(pos)) || text.charAt(pos) == '_')) {
        pos++;
        while (pos < text.length()) {
          char c = text.charAt(pos);
          if (Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-' || c == '/') {
            pos++;
          } else {
            break;
          }
        }
      }
      if (start == pos) {
        throw error("expected a config key");
      }
      String key = text.substring(start, pos);
      if (List.of("and", "or", "not", "in", "exists").contains(key.toLowerCase(Locale.ROOT))) {
        throw error("expected a config key, found the keyword '" + key + "'");
      }
      return key;
    }

    String op() {
      skipSpace();
      for (String op : List.of("==", "!=", "<>", "<=", ">=", "=", "<", ">")) {
        if (text.startsWith(op, pos)) {
          pos += op.length();
          return op;
        }
      }
      throw error("expected a comparison (=, !=, <, <=, >, >=, in, exists)");
    }

    Object value() {
      skipSpace();
      char c = peek();
      if (c == '\'' || c == '"') {
        pos++;
        StringBuilder out = new StringBuilder();
        while (true) {
          if (pos >= text.length()) {
            throw error("unterminated text value");
          }
          char ch = text.charAt(pos++);
          if (ch == '\\' && pos < text.length()) {
            out.append(text.charAt(pos++));
          } else if (ch == c) {
            if (peek() == c) {
              pos++;
              out.append(c);
            } else {
              return out.toString();
            }
          } else {
            out.append(ch);
          }
        }
      }
      int start = pos;
      while (pos < text.length()
          && (Character.isLetterOrDigit(text.charAt(pos))
              || "+-._".indexOf(text.charAt(pos)) >= 0)) {
        pos++;
      }
      String word = text.substring(start, pos);
      if (word.isEmpty()) {
        throw error("expected a value");
      }
      switch (word.toLowerCase(Locale.ROOT)) {
        case "true":
          return "true";
        case "false":
          return "false";
        case "null":
          return "null";
        default:
          break;
      }
      try {
        return new BigDecimal(word);
      } catch (NumberFormatException e) {
        throw error("'" + word + "' is not a number; quote text values");
      }
    }

    boolean keyword(String word) {
      skipSpace();
      int end = pos + word.length();
      if (end <= text.length()
          && text.regionMatches(true, pos, word, 0, word.length())
          && (end == text.length() || !isKeyChar(text.charAt(end)))) {
        pos = end;
        return true;
      }
      return false;
    }

    private static boolean isKeyChar(char c) {
      return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-' || c == '/';
    }

    void expect(char c) {
      skipSpace();
      if (peek() != c) {
        throw error("expected '" + c + "'");
      }
      pos++;
    }

    char peek() {
      return pos < text.length() ? text.charAt(pos) : '\0';
    }

    void skipSpace() {
      while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
        pos++;
      }
    }

    IllegalArgumentException error(String message) {
      return new IllegalArgumentException(
          "config filter at position " + (pos + 1) + ": " + message + " in: " + text);
    }
  }
}
