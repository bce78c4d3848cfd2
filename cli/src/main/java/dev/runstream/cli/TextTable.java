package dev.runstream.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** A plain-text table with aligned columns: numbers to the right, text to the left. */
public final class TextTable {
  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();

  public TextTable(List<String> headers) {
    this.headers = List.copyOf(headers);
  }

  /** Adds a row; it must have one cell per header. */
  public TextTable add(List<String> row) {
    if (row.size() != headers.size()) {
      throw new IllegalArgumentException(
          "row has " + row.size() + " cells for " + headers.size() + " columns");
    }
    rows.add(row.stream().map(c -> Objects.toString(c, "")).toList());
    return this;
  }

  /** The table as text, a header line, a rule, then one line per row. */
  public String render() {
    int[] widths = new int[headers.size()];
    boolean[] numeric = new boolean[headers.size()];
    for (int c = 0; c < headers.size(); c++) {
      widths[c] = headers.get(c).length();
      numeric[c] = !rows.isEmpty();
      for (List<String> row : rows) {
        widths[c] = Math.max(widths[c], row.get(c).length());
        numeric[c] &= row.get(c).isEmpty() || row.get(c).matches("[-+]?[0-9.eE]+|NaN|-?Infinity");
      }
    }
    StringBuilder out = new StringBuilder();
    line(out, headers, widths, numeric);
    for (int c = 0; c < widths.length; c++) {
      out.append(c == 0 ? "" : "  ").append("-".repeat(widths[c]));
    }
    out.append('\n');
    for (List<String> row : rows) {
      line(out, row, widths, numeric);
    }
    return out.toString();
  }

  private static void line(StringBuilder out, List<String> cells, int[] widths, boolean[] numeric) {
    StringBuilder line = new StringBuilder();
    for (int c = 0; c < widths.length; c++) {
      String cell = cells.get(c);
      String pad = " ".repeat(widths[c] - cell.length());
      line.append(c == 0 ? "" : "  ").append(numeric[c] ? pad + cell : cell + pad);
    }
    out.append(line.toString().stripTrailing()).append('\n');
  }
}
