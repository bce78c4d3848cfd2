package dev.runstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How list-like output is written: a table for people, JSON or CSV for scripts. */
public enum OutputFormat {
  TABLE,
  JSON,
  CSV;

  private static final ObjectMapper JSON_MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper JSON_LINE_MAPPER = new ObjectMapper();

  /**
   * Renders rows of cells under {@code headers}. JSON gives an array of objects keyed by header;
   * CSV quotes cells that need it (RFC 4180).
   */
  public String render(List<String> headers, List<List<String>> rows) {
    switch (this) {
      case TABLE:
        TextTable table = new TextTable(headers);
        rows.forEach(table::add);
        return table.render();
      case CSV:
        StringBuilder csv = new StringBuilder();
        csv.append(csvLine(headers));
        rows.forEach(r -> csv.append(csvLine(r)));
        return csv.toString();
      case JSON:
        List<Map<String, String>> objects =
            rows.stream()
                .map(
                    r -> {
                      Map<String, String> object = new LinkedHashMap<>();
                      for (int i = 0; i < headers.size(); i++) {
                        object.put(headers.get(i), r.get(i));
                      }
                      return object;
                    })
                .toList();
        return json(objects);
      default:
        throw new IllegalStateException(name());
    }
  }

  /** {@code value} as indented JSON, followed by a newline. */
  public static String json(Object value) {
    try {
      return JSON_MAPPER.writeValueAsString(value) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write JSON: " + e.getMessage(), e);
    }
  }

  /** {@code value} as JSON on one line, followed by a newline: JSON Lines, for streams. */
  public static String jsonLine(Object value) {
    try {
      return JSON_LINE_MAPPER.writeValueAsString(value) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write JSON: " + e.getMessage(), e);
    }
  }

  private static String csvLine(List<String> cells) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      String cell = cells.get(i) == null ? "" : cells.get(i);
      if (i > 0) {
        line.append(',');
      }
      if (cell.contains(",") || cell.contains("\"") || cell.contains("\n")) {
        line.append('"').append(cell.replace("\"", "\"\"")).append('"');
      } else {
        line.append(cell);
      }
    }
    return line.append('\n').toString();
  }
}
