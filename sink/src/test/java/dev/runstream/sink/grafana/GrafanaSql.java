package dev.runstream.sink.grafana;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the SQL of a dashboard query into the SQL ClickHouse receives, in the three steps Grafana
 * and its ClickHouse plugin (grafana-clickhouse-datasource 4.x) take:
 *
 * <ol>
 *   <li>{@code $__conditionalAll(condition, $var)} (the plugin, in the browser, before variables):
 *       {@code 1=1} when {@code var} selects All or nothing, else {@code condition}. Its arguments
 *       are split at commas outside parentheses, counting parentheses as the plugin does (it does
 *       not know string literals).
 *   <li>Template variables (Grafana): {@code ${name:percentencode}} becomes the value encoded like
 *       JavaScript's {@code encodeURIComponent} plus {@code !'()*} (Grafana's {@code
 *       encodeURIComponentStrict}); a multi-value variable's values are first joined as {@code
 *       {a,b}}. {@code ${name:singlequote}} quotes each value and escapes {@code '} as {@code \'}.
 *       Other formats are not used by the dashboards and fail here.
 *   <li>Macros (the plugin's backend): {@code $__timeFilter(col)} becomes {@code col >=
 *       toDateTime(from) AND col <= toDateTime(to)} (Unix seconds), {@code $__fromTime} and {@code
 *       $__toTime} become {@code toDateTime(seconds)}, {@code $__interval_s} the interval in whole
 *       seconds (at least 1). Other macros fail here: the {@code _ms} ones need {@code DateTime64}
 *       and {@code $__timeInterval} needs {@code toStartOfInterval}, which ClickHouse 18.16 lacks.
 * </ol>
 *
 * The dashboards name tables without a database: the data source's default database applies, so
 * callers run the result with their database as the session's default.
 */
final class GrafanaSql {
  /** The value Grafana gives a variable when All is selected. */
  static final String ALL = "$__all";

  /**
   * Grafana's variable syntax: {@code $name}, {@code [[name:format]]}, {@code ${name.f:format}}.
   */
  static final Pattern VARIABLE =
      Pattern.compile(
          "\\$(\\w+)|\\[\\[(\\w+?)(?::(\\w+))?\\]\\]|\\$\\{(\\w+)(?:\\.([^:^}]+))?(?::([^}]+))?\\}");

  /** A macro of the plugin's backend: {@code $__name} or {@code $__name(args)}. */
  static final Pattern MACRO = Pattern.compile("\\$__(\\w+)");

  private static final String CONDITIONAL_ALL = "$__conditionalAll(";
  private static final Pattern CONDITIONAL_ALL_VAR =
      Pattern.compile("(?<=\\$\\{)[\\w\\d]+(?=\\})|(?<=\\$)[\\w\\d]+");
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private GrafanaSql() {}

  /** Variable values, a time range and an interval: what a dashboard's state gives a query. */
  static final class Selection {
    private final Map<String, List<String>> values = new HashMap<>();
    private final Instant from;
    private final Instant to;
    private Duration interval = Duration.ofMinutes(1);

    private Selection(Instant from, Instant to) {
      this.from = Objects.requireNonNull(from, "from");
      this.to = Objects.requireNonNull(to, "to");
    }

    /** A selection for the time range [from, to] with no variable set. */
    static Selection between(Instant from, Instant to) {
      return new Selection(from, to);
    }

    /** {@code name} selects {@code values} (none: nothing selected). */
    Selection set(String name, String... values) {
      this.values.put(name, List.of(values));
      return this;
    }

    /** {@code name} selects All. */
    Selection all(String name) {
      this.values.put(name, List.of(ALL));
      return this;
    }

    /** The interval Grafana computed for the panel ({@code $__interval_s}). */
    Selection interval(Duration interval) {
      this.interval = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /** A copy with the same values and interval for another time range. */
    Selection during(Instant from, Instant to) {
      Selection copy = new Selection(from, to);
      copy.values.putAll(values);
      copy.interval = interval;
      return copy;
    }

    List<String> values(String name) {
      List<String> v = values.get(name);
      if (v == null) {
        throw new AssertionError("the query uses variable " + name + " but the test set none");
      }
      return v;
    }

    boolean isAllOrNothing(String name) {
      List<String> v = values(name);
      return v.isEmpty() || v.equals(List.of(ALL));
    }
  }

  /** The SQL ClickHouse receives for {@code sql} of {@code dashboard} under {@code selection}. */
  static String render(String sql, Dashboards.Dashboard dashboard, Selection selection) {
    String out = conditionalAll(sql, selection::isAllOrNothing);
    out = variables(out, dashboard, selection);
    out = macros(out, selection);
    Matcher left = Pattern.compile("\\$(\\w|\\{)|\\[\\[").matcher(out);
    if (left.find()) {
      throw new AssertionError(
          "unexpanded variable or macro at '"
              + out.substring(left.start(), Math.min(out.length(), left.start() + 30))
              + "' in:\n"
              + out);
    }
    return out;
  }

  /**
   * Step 1: every {@code $__conditionalAll(condition, $var)} replaced by {@code 1=1} when {@code
   * allOrNothing} holds for {@code var}, else by {@code condition}; from the last to the first, as
   * the plugin does.
   */
  static String conditionalAll(String sql, Predicate<String> allOrNothing) {
    String out = sql;
    int at = out.lastIndexOf(CONDITIONAL_ALL);
    while (at != -1) {
      List<String> args = macroArgs(out, at + CONDITIONAL_ALL.length() - 1);
      if (args.size() != 2) {
        throw new AssertionError(
            "$__conditionalAll needs two arguments, found " + args.size() + " in:\n" + out);
      }
      Matcher var = CONDITIONAL_ALL_VAR.matcher(args.get(1).trim());
      if (!var.find()) {
        throw new AssertionError(
            "second argument of $__conditionalAll is not a variable: " + args.get(1));
      }
      String phrase = allOrNothing.test(var.group()) ? "1=1" : args.get(0);
      out = out.replace(CONDITIONAL_ALL + args.get(0) + "," + args.get(1) + ")", phrase);
      at = out.lastIndexOf(CONDITIONAL_ALL);
    }
    return out;
  }

  /** The variables named by the second arguments of the {@code $__conditionalAll} macros. */
  static Set<String> conditionalAllVariables(String sql) {
    Set<String> names = new LinkedHashSet<>();
    conditionalAll(
        sql,
        name -> {
          names.add(name);
          return false;
        });
    return names;
  }

  /** The arguments of the macro whose "(" is at {@code open}, split as the plugin splits them. */
  private static List<String> macroArgs(String sql, int open) {
    List<String> args = new ArrayList<>();
    int depth = 0;
    int last = open + 1;
    for (int i = open; i < sql.length(); i++) {
      char c = sql.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      }
      if (c == ',' && depth == 1) {
        args.add(sql.substring(last, i));
        last = i + 1;
      }
      if (depth == 0 && (c == '(' || c == ')' || c == ',')) {
        args.add(sql.substring(last, i));
        return args;
      }
    }
    return List.of();
  }

  /** Step 2: template variables, as Grafana's template service replaces them. */
  private static String variables(String sql, Dashboards.Dashboard dashboard, Selection s) {
    Matcher m = VARIABLE.matcher(sql);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = firstNonNull(m.group(1), m.group(2), m.group(4));
      String format = firstNonNull(m.group(3), m.group(6));
      if (name.startsWith("__")) {
        // Grafana's own variables and the plugin's macros: left for step 3.
        m.appendReplacement(out, Matcher.quoteReplacement(m.group()));
        continue;
      }
      Dashboards.Variable variable = dashboard.variable(name);
      List<String> values = s.values(name);
      if (values.equals(List.of(ALL))) {
        throw new AssertionError(
            "variable "
                + name
                + " selects All where Grafana would expand it to every option (outside"
                + " $__conditionalAll); set its values in the test instead");
      }
      String formatted;
      if ("percentencode".equals(format)) {
        formatted =
            percentEncode(
                variable.multi() ? "{" + String.join(",", values) + "}" : single(name, values));
      } else if ("singlequote".equals(format)) {
        List<String> quoted = new ArrayList<>();
        for (String v : variable.multi() ? values : List.of(single(name, values))) {
          quoted.add("'" + v.replace("'", "\\'") + "'");
        }
        formatted = String.join(",", quoted);
      } else {
        throw new AssertionError(
            "variable " + name + " with format " + format + " is not expanded by this test");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(formatted));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String single(String name, List<String> values) {
    if (values.size() != 1) {
      throw new AssertionError(
          "single-value variable " + name + " needs one value, the test set " + values);
    }
    return values.get(0);
  }

  /** Step 3: the backend's macros. */
  private static String macros(String sql, Selection s) {
    long from = s.from.getEpochSecond();
    long to = s.to.getEpochSecond();
    StringBuilder out = new StringBuilder();
    int i = 0;
    Matcher m = MACRO.matcher(sql);
    while (m.find(i)) {
      out.append(sql, i, m.start());
      String name = m.group(1);
      int end = m.end();
      List<String> args = List.of();
      if (end < sql.length() && sql.charAt(end) == '(') {
        args = macroArgs(sql, end).stream().map(String::trim).toList();
        end = closingParenthesis(sql, end) + 1;
      }
      out.append(
          switch (name) {
            case "timeFilter" -> {
              if (args.size() != 1) {
                throw new AssertionError("$__timeFilter takes one column: " + args);
              }
              String col = args.get(0);
              yield col + " >= toDateTime(" + from + ") AND " + col + " <= toDateTime(" + to + ")";
            }
            case "fromTime" -> "toDateTime(" + from + ")";
            case "toTime" -> "toDateTime(" + to + ")";
            case "interval_s" -> Long.toString(Math.max(1, s.interval.toSeconds()));
            default ->
                throw new AssertionError(
                    "macro $__"
                        + name
                        + " is not one the dashboards may use (it would not run on ClickHouse"
                        + " 18.16, or this test does not expand it)");
          });
      i = end;
    }
    out.append(sql.substring(i));
    return out.toString();
  }

  private static int closingParenthesis(String sql, int open) {
    int depth = 0;
    for (int i = open; i < sql.length(); i++) {
      if (sql.charAt(i) == '(') {
        depth++;
      } else if (sql.charAt(i) == ')' && --depth == 0) {
        return i;
      }
    }
    throw new AssertionError("unbalanced parentheses after position " + open + " in:\n" + sql);
  }

  /**
   * Grafana's {@code percentencode}: {@code encodeURIComponent} that also encodes {@code !'()*}.
   */
  static String percentEncode(String value) {
    StringBuilder out = new StringBuilder();
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_'
          || c == '.'
          || c == '~') {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    return out.toString();
  }

  private static String firstNonNull(String... candidates) {
    for (String c : candidates) {
      if (c != null) {
        return c;
      }
    }
    return null;
  }
}
