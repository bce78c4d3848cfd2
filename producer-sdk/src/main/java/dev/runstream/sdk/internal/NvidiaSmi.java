package dev.runstream.sdk.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reads {@code nvidia-smi}'s CSV output: GPU names at init and per-GPU samples. */
final class NvidiaSmi {
  static final List<String> NAMES_COMMAND =
      List.of("nvidia-smi", "--query-gpu=name", "--format=csv,noheader");

  /** The fields of {@link #SAMPLE_COMMAND}, in order. */
  static final List<String> SAMPLE_FIELDS =
      List.of(
          "index",
          "utilization.gpu",
          "utilization.memory",
          "memory.used",
          "memory.total",
          "temperature.gpu",
          "power.draw",
          "power.limit");

  static final List<String> SAMPLE_COMMAND =
      List.of(
          "nvidia-smi",
          "--query-gpu=" + String.join(",", SAMPLE_FIELDS),
          "--format=csv,noheader,nounits");

  private NvidiaSmi() {}

  static List<String> parseNames(String output) {
    List<String> names = new ArrayList<>();
    for (String line : output.split("\\R")) {
      if (!line.isBlank()) {
        names.add(line.strip());
      }
    }
    return names;
  }

  /** The tag of the first GPU model, e.g. {@code gpu:NVIDIA-A100-SXM4-80GB}. */
  static String tag(List<String> names) {
    return "gpu:" + names.get(0).strip().replaceAll("\\s+", "-");
  }

  /**
   * Metrics from one {@link #SAMPLE_COMMAND} output, named {@code system.gpu.<index>.<metric>}:
   * {@code util}, {@code memory_util}, {@code memory_used_mb}, {@code memory_total_mb}, {@code
   * memory_percent}, {@code temp_c}, {@code power_w}, {@code power_percent}. Fields that the GPU
   * does not report ({@code [N/A]}, {@code [Not Supported]}) are left out, as are malformed lines.
   */
  static Map<String, Double> parseSample(String output) {
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (String line : output.split("\\R")) {
      if (line.isBlank()) {
        continue;
      }
      String[] cells = line.split(",");
      if (cells.length != SAMPLE_FIELDS.size()) {
        continue;
      }
      Double index = number(cells[0]);
      if (index == null) {
        continue;
      }
      String prefix = "system.gpu." + index.intValue() + ".";
      put(metrics, prefix + "util", number(cells[1]));
      put(metrics, prefix + "memory_util", number(cells[2]));
      Double used = number(cells[3]);
      Double total = number(cells[4]);
      put(metrics, prefix + "memory_used_mb", used);
      put(metrics, prefix + "memory_total_mb", total);
      if (used != null && total != null && total > 0) {
        metrics.put(prefix + "memory_percent", 100.0 * used / total);
      }
      put(metrics, prefix + "temp_c", number(cells[5]));
      Double power = number(cells[6]);
      Double limit = number(cells[7]);
      put(metrics, prefix + "power_w", power);
      if (power != null && limit != null && limit > 0) {
        metrics.put(prefix + "power_percent", 100.0 * power / limit);
      }
    }
    return metrics;
  }

  private static void put(Map<String, Double> metrics, String name, Double value) {
    if (value != null) {
      metrics.put(name, value);
    }
  }

  private static Double number(String cell) {
    String s = cell.strip().toLowerCase(Locale.ROOT);
    if (s.isEmpty() || s.startsWith("[") || s.equals("n/a")) {
      return null;
    }
    try {
      double v = Double.parseDouble(s);
      return Double.isFinite(v) ? v : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
