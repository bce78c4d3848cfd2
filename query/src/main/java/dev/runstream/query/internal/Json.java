package dev.runstream.query.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Reads values out of ClickHouse's JSONEachRow answers. */
public final class Json {
  private Json() {}

  /** A Float64 that may arrive as a number or as {@code "nan"}, {@code "inf"}, {@code "-inf"}. */
  public static double toDouble(JsonNode node) {
    if (node == null || node.isNull()) {
      return Double.NaN;
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    String text = node.asText().trim();
    switch (text) {
      case "nan", "-nan", "+nan":
        return Double.NaN;
      case "inf", "+inf":
        return Double.POSITIVE_INFINITY;
      case "-inf":
        return Double.NEGATIVE_INFINITY;
      default:
        return Double.parseDouble(text);
    }
  }

  /** A 64-bit integer, which ClickHouse quotes. */
  public static long toLong(JsonNode node) {
    if (node == null || node.isNull()) {
      return 0L;
    }
    if (node.isNumber()) {
      return node.longValue();
    }
    return Long.parseLong(node.asText().trim());
  }

  /** A Nullable integer column: null stays null. */
  public static Long toNullableLong(JsonNode node) {
    return node == null || node.isNull() ? null : toLong(node);
  }

  public static String text(JsonNode node) {
    return node == null || node.isNull() ? "" : node.asText();
  }

  public static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array != null) {
      for (JsonNode item : array) {
        out.add(item.asText());
      }
    }
    return out;
  }

  public static List<Double> doubles(JsonNode array) {
    List<Double> out = new ArrayList<>();
    if (array != null) {
      for (JsonNode item : array) {
        out.add(toDouble(item));
      }
    }
    return out;
  }

  public static List<Long> longs(JsonNode array) {
    List<Long> out = new ArrayList<>();
    if (array != null) {
      for (JsonNode item : array) {
        out.add(toLong(item));
      }
    }
    return out;
  }
}
