package dev.runstream.server.wandb.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Translates lines of {@code wandb-events.jsonl} (the client's system metrics) into {@link
 * SystemSample}s.
 *
 * <p>A line is one JSON object: {@code _timestamp}, {@code _runtime}, the marker {@code
 * "_wandb":true} and flat {@code system.*} keys. Where the producer SDK samples the same quantity,
 * the wandb name becomes the SDK's name (and unit); every other key keeps its wandb name, so
 * nothing is lost:
 *
 * <table>
 *   <caption>wandb name to runstream name</caption>
 *   <tr><th>wandb (client 0.30.0)</th><th>runstream</th></tr>
 *   <tr><td>{@code system.cpu} (the process's CPU, % of all cores)</td>
 *       <td>{@code system.process.cpu.percent}</td></tr>
 *   <tr><td>{@code system.memory_percent}</td><td>{@code system.memory.percent}</td></tr>
 *   <tr><td>{@code system.proc.memory.rssMB}</td><td>{@code system.process.rss_mb}</td></tr>
 *   <tr><td>{@code system.disk./.usagePercent}</td><td>{@code system.disk.percent}</td></tr>
 *   <tr><td>{@code system.network.sent}, {@code .recv} (bytes since start)</td>
 *       <td>{@code system.network.sent_mb}, {@code .recv_mb} (MiB)</td></tr>
 *   <tr><td>{@code system.gpu.N.gpu}</td><td>{@code system.gpu.N.util}</td></tr>
 *   <tr><td>{@code system.gpu.N.memory}</td><td>{@code system.gpu.N.memory_util}</td></tr>
 *   <tr><td>{@code system.gpu.N.memoryAllocated}</td><td>{@code system.gpu.N.memory_percent}</td></tr>
 *   <tr><td>{@code system.gpu.N.memoryAllocatedBytes} (bytes)</td>
 *       <td>{@code system.gpu.N.memory_used_mb} (MiB)</td></tr>
 *   <tr><td>{@code system.gpu.N.temp}</td><td>{@code system.gpu.N.temp_c}</td></tr>
 *   <tr><td>{@code system.gpu.N.powerWatts}</td><td>{@code system.gpu.N.power_w}</td></tr>
 *   <tr><td>{@code system.gpu.N.powerPercent}</td><td>{@code system.gpu.N.power_percent}</td></tr>
 * </table>
 *
 * <p>Kept under their wandb names because runstream has no same quantity: per-device disk I/O
 * ({@code system.disk.vda.in}: the whole device, not the process), {@code system.disk./.usageGB},
 * {@code system.proc.*} other than RSS, per-core CPU, the process's share of a GPU ({@code
 * system.gpu.process.N.*}) and anything a later client adds.
 *
 * <p>Stateless and thread-safe.
 */
public final class EventsTranslator {
  static final String FILE = "wandb-events.jsonl";
  private static final Set<String> OWN_KEYS = Set.of("_timestamp", "_runtime", "_wandb");
  private static final double MIB = 1024.0 * 1024.0;

  private static final Map<String, String> RENAMED =
      Map.of(
          "system.cpu", "system.process.cpu.percent",
          "system.memory_percent", "system.memory.percent",
          "system.proc.memory.rssMB", "system.process.rss_mb",
          "system.disk./.usagePercent", "system.disk.percent");
  private static final Map<String, String> BYTES_TO_MIB =
      Map.of(
          "system.network.sent", "system.network.sent_mb",
          "system.network.recv", "system.network.recv_mb");
  private static final Pattern GPU = Pattern.compile("system\\.gpu\\.(\\d+)\\.([A-Za-z]+)");
  private static final Map<String, String> GPU_RENAMED =
      Map.of(
          "gpu", "util",
          "memory", "memory_util",
          "memoryAllocated", "memory_percent",
          "temp", "temp_c",
          "powerWatts", "power_w",
          "powerPercent", "power_percent");
  private static final String GPU_BYTES = "memoryAllocatedBytes";

  private EventsTranslator() {}

  /**
   * Translates one line.
   *
   * @throws WandbPayloadException when the line is not a JSON object or {@code _timestamp} is
   *     missing or not a non-negative number
   */
  public static SystemSample translate(String line) {
    return translate(line, FILE + " line");
  }

  /**
   * Translates the lines of one {@code file_stream} post; {@code offset} (lines sent before) is
   * used only in error messages. Blank lines are skipped.
   *
   * @throws WandbPayloadException for the first line that cannot be translated, naming its number
   */
  public static List<SystemSample> translate(List<String> lines, long offset) {
    List<SystemSample> samples = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line != null && !line.isBlank()) {
        samples.add(translate(line, FILE + " line " + (offset + i)));
      }
    }
    return samples;
  }

  /** The runstream name of wandb system metric {@code name}, or {@code name} itself. */
  public static String runstreamName(String name) {
    String renamed = RENAMED.get(name);
    if (renamed != null) {
      return renamed;
    }
    renamed = BYTES_TO_MIB.get(name);
    if (renamed != null) {
      return renamed;
    }
    Matcher gpu = GPU.matcher(name);
    if (gpu.matches()) {
      String metric = gpu.group(2);
      String mapped = metric.equals(GPU_BYTES) ? "memory_used_mb" : GPU_RENAMED.get(metric);
      if (mapped != null) {
        return "system.gpu." + gpu.group(1) + "." + mapped;
      }
    }
    return name;
  }

  private static SystemSample translate(String line, String what) {
    ObjectNode node = WandbJson.parseObject(line, what);
    JsonNode timestamp = node.get("_timestamp");
    if (timestamp == null || !timestamp.isNumber()) {
      throw new WandbPayloadException(
          what
              + ": _timestamp is "
              + WandbJson.describe(timestamp)
              + "; expected seconds since the epoch");
    }
    Flattener values = Flattener.of(node, OWN_KEYS);
    Map<String, Double> metrics = new LinkedHashMap<>();
    values.metrics.forEach((name, value) -> metrics.put(runstreamName(name), convert(name, value)));
    Map<String, NonScalar> others = new LinkedHashMap<>();
    values.others.forEach((name, value) -> others.put(runstreamName(name), value));
    return new SystemSample(
        WandbJson.secondsToInstant(timestamp.doubleValue(), what + ": _timestamp"),
        metrics,
        others);
  }

  private static double convert(String name, double value) {
    if (BYTES_TO_MIB.containsKey(name)
        || (name.endsWith("." + GPU_BYTES) && GPU.matcher(name).matches())) {
      return value / MIB;
    }
    return value;
  }
}
