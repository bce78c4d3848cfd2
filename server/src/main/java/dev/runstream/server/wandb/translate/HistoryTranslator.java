package dev.runstream.server.wandb.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Translates lines of {@code wandb-history.jsonl}, which the client sends in the {@code files} of
 * its {@code file_stream} posts, into {@link HistoryRow}s.
 *
 * <p>A line is one JSON object: {@code _step}, {@code _timestamp} (seconds since the epoch, with a
 * fraction), {@code _runtime} (seconds since the run started) and the logged keys, e.g. {@code
 * {"_step":3,"_timestamp":1.7963000558595278e+09,"_runtime":0.04,"loss":0.2,"nan":NaN}}. The logged
 * keys become metrics and non-scalars as {@link Flattener} describes: nested dicts flattened with
 * {@code .}, NaN and the infinities kept (the client writes them as the bare literals {@code NaN},
 * {@code Infinity}, {@code -Infinity}), booleans as 1 and 0, strings, lists, nulls and typed
 * objects (histograms, images, tables) as {@link NonScalar}s. {@code _step}, {@code _timestamp} and
 * {@code _runtime} are the row's own fields, not metrics; any other key is the user's, even one
 * starting with {@code _}.
 *
 * <p>Stateless and thread-safe.
 */
public final class HistoryTranslator {
  static final String FILE = "wandb-history.jsonl";
  private static final Set<String> OWN_KEYS = Set.of("_step", "_timestamp", "_runtime");

  private HistoryTranslator() {}

  /**
   * Translates one line.
   *
   * @throws WandbPayloadException when the line is not a JSON object, or {@code _step} is missing
   *     or not a non-negative whole number, or {@code _timestamp} is missing or not a non-negative
   *     number, or {@code _runtime} is present but not a number
   */
  public static HistoryRow translate(String line) {
    return translate(line, FILE + " line");
  }

  /**
   * Translates the lines of one {@code file_stream} post; {@code offset} is the post's {@code
   * offset} for this file (the number of lines sent before), used only in error messages. Blank
   * lines are skipped.
   *
   * @throws WandbPayloadException for the first line that cannot be translated, naming its number
   */
  public static List<HistoryRow> translate(List<String> lines, long offset) {
    List<HistoryRow> rows = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line != null && !line.isBlank()) {
        rows.add(translate(line, FILE + " line " + (offset + i)));
      }
    }
    return rows;
  }

  private static HistoryRow translate(String line, String what) {
    ObjectNode node = WandbJson.parseObject(line, what);
    long step = step(node.get("_step"), what);
    JsonNode timestamp = node.get("_timestamp");
    if (timestamp == null || !timestamp.isNumber()) {
      throw new WandbPayloadException(
          what
              + ": _timestamp is "
              + WandbJson.describe(timestamp)
              + "; expected seconds since the epoch");
    }
    JsonNode runtime = node.get("_runtime");
    OptionalDouble runtimeSeconds = OptionalDouble.empty();
    if (runtime != null && !runtime.isNull()) {
      if (!runtime.isNumber()) {
        throw new WandbPayloadException(
            what + ": _runtime is " + WandbJson.describe(runtime) + "; expected seconds");
      }
      runtimeSeconds = OptionalDouble.of(runtime.doubleValue());
    }
    Flattener values = Flattener.of(node, OWN_KEYS);
    return new HistoryRow(
        step,
        WandbJson.secondsToInstant(timestamp.doubleValue(), what + ": _timestamp"),
        runtimeSeconds,
        values.metrics,
        values.others);
  }

  private static long step(JsonNode step, String what) {
    if (step == null || !WandbJson.isWhole(step) || step.asLong() < 0) {
      throw new WandbPayloadException(
          what
              + ": _step is "
              + WandbJson.describe(step)
              + "; expected a non-negative whole number");
    }
    return step.asLong();
  }
}
