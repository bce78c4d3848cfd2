package dev.runstream.server.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runstream.sdk.AlertLevel;
import dev.runstream.sdk.Run;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One wandb run written through one SDK {@link Run}: updates from {@code UpsertBucket}, history and
 * summary lines from {@code file_stream}, and the finish.
 *
 * <p><b>Interim translation.</b> This is the one class that turns what the client sends into values
 * (history keys into numeric metrics at {@code _step}, config entries unwrapped from {@code
 * {"value": v}}); it does the least the end-to-end test needs. The full translation (timestamps,
 * events as system metrics, non-scalar values kept, define_metric, alerts) lives in {@code
 * dev.runstream.server.wandb.translate} and replaces the static helpers at the bottom of this
 * class.
 *
 * <p>Thread-safe: every method holds the writer's lock, so lines of one run are logged in the order
 * the requests were accepted.
 */
public final class RunWriter {
  private static final Logger LOG = LoggerFactory.getLogger(RunWriter.class);
  static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .enable(JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS)
          .build();

  private final RunKey key;
  private final Run run;
  private final AtomicLong skippedValues = new AtomicLong();
  private final Set<String> warnedKeys = new LinkedHashSet<>();
  private String notes;
  private List<String> tags;
  private Map<String, Object> config;
  private long historyLines;
  private long lastStep;
  private long repeatedLines;
  private boolean finished;

  RunWriter(RunKey key, Run run, String notes, List<String> tags, Map<String, Object> config) {
    this.key = Objects.requireNonNull(key, "key");
    this.run = Objects.requireNonNull(run, "run");
    this.notes = notes;
    this.tags = tags == null ? List.of() : List.copyOf(tags);
    this.config = config == null ? Map.of() : config;
    this.historyLines = run.step();
    this.lastStep = run.step() - 1;
  }

  public RunKey key() {
    return key;
  }

  /** The SDK run, for its display name, step and counters. */
  public Run run() {
    return run;
  }

  /** History lines accepted so far (the run's next automatic step on resume). */
  public synchronized long historyLines() {
    return historyLines;
  }

  /**
   * History lines not logged again because their step was at or below one already logged: a retried
   * post, or a {@code wandb sync} of a run this server has.
   */
  public synchronized long repeatedLines() {
    return repeatedLines;
  }

  /** The run's config as the client sends it back on resume: {@code {"key": {"value": v}}}. */
  public synchronized Map<String, Object> wandbConfig() {
    Map<String, Object> wrapped = new LinkedHashMap<>();
    config.forEach((k, v) -> wrapped.put(k, Map.of("value", v)));
    return wrapped;
  }

  /** Values of history lines that were not numbers and so were not logged. */
  public long skippedValues() {
    return skippedValues.get();
  }

  /** Applies the fields of a later {@code UpsertBucket}: notes, tags, config. */
  public synchronized void update(Upsert upsert) {
    if (finished) {
      return;
    }
    if (upsert.notes() != null && !upsert.notes().equals(notes)) {
      notes = upsert.notes();
      run.notes(notes);
    }
    if (upsert.tags() != null && !upsert.tags().equals(tags)) {
      Set<String> removed = new LinkedHashSet<>(tags);
      removed.removeAll(upsert.tags());
      Set<String> added = new LinkedHashSet<>(upsert.tags());
      added.removeAll(tags);
      if (!removed.isEmpty()) {
        run.removeTags(removed.toArray(String[]::new));
      }
      if (!added.isEmpty()) {
        run.addTags(added.toArray(String[]::new));
      }
      tags = List.copyOf(upsert.tags());
    }
    if (upsert.configJson() != null) {
      Map<String, Object> next = config(upsert.configJson());
      if (!next.equals(config)) {
        run.config().update(next);
        config = next;
      }
    }
  }

  /**
   * Logs history lines, each a JSON object with {@code _step}; returns once the SDK took them
   * (journalled). A line whose step is not above the last one logged is skipped: the client's steps
   * only increase (wandb drops a step below its current one), so such a line was sent before, by a
   * retried post or a second {@code wandb sync}, and logging it again would count its points twice
   * in the run's aggregates.
   *
   * @throws WandbException 400 if a line is not a JSON object
   */
  public synchronized void history(List<String> lines) {
    for (String line : lines) {
      ObjectNode node = object(line, "wandb-history.jsonl");
      Map<String, Double> values = new LinkedHashMap<>();
      flatten("", node, values);
      JsonNode step = node.get("_step");
      if (finished) {
        continue;
      }
      if (step != null && step.canConvertToLong()) {
        if (step.asLong() <= lastStep) {
          repeatedLines++;
          continue;
        }
        lastStep = step.asLong();
        run.log(values, lastStep);
      } else {
        run.log(values);
        lastStep = Math.max(lastStep, run.step() - 1);
      }
      historyLines++;
    }
  }

  /** Publishes the last summary line's user keys (those not starting with {@code _}). */
  public synchronized void summary(List<String> lines) {
    if (lines.isEmpty() || finished) {
      return;
    }
    ObjectNode node = object(lines.get(lines.size() - 1), "wandb-summary.json");
    Map<String, Object> values = new HashMap<>();
    node.properties()
        .forEach(
            e -> {
              if (!e.getKey().startsWith("_")) {
                values.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
              }
            });
    if (!values.isEmpty()) {
      run.summary().update(values);
    }
  }

  /** Sends {@code run.alert(...)} of the client as the run's alert ({@code rule=user}). */
  public synchronized void alert(String title, String text, AlertLevel level) {
    if (!finished) {
      run.alert(title, text, level);
    }
  }

  /** Finishes the run with the client's exit code (0: finished, otherwise failed). Idempotent. */
  public synchronized void finish(int exitCode) {
    if (finished) {
      return;
    }
    finished = true;
    run.finish(exitCode);
    LOG.info(
        "run {} finished with exit code {} after {} history lines ({} repeated ones skipped){}",
        key,
        exitCode,
        historyLines,
        repeatedLines,
        skippedValues.get() == 0
            ? ""
            : " (" + skippedValues.get() + " non-numeric values kept out)");
  }

  public synchronized boolean finished() {
    return finished;
  }

  // --- Interim translation: replaced by dev.runstream.server.wandb.translate -------------------

  /** wandb's config JSON without its {@code _wandb} entry, each {@code {"value": v}} unwrapped. */
  static Map<String, Object> config(String configJson) {
    ObjectNode node = object(configJson, "config");
    Map<String, Object> config = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      if (e.getKey().equals("_wandb")) {
        continue;
      }
      JsonNode value = e.getValue();
      if (value.isObject() && value.has("value")) {
        value = value.get("value");
      }
      config.put(e.getKey(), JSON.convertValue(value, Object.class));
    }
    return config;
  }

  private void flatten(String prefix, JsonNode node, Map<String, Double> out) {
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      String name = prefix + e.getKey();
      if (prefix.isEmpty() && name.startsWith("_")) {
        continue; // _step, _timestamp, _runtime, _wandb: wandb's own bookkeeping
      }
      JsonNode value = e.getValue();
      if (value.isNumber()) {
        out.put(name, value.doubleValue());
      } else if (value.isObject() && !value.has("_type")) {
        flatten(name + ".", value, out);
      } else if (value.isTextual() && nonFinite(value.asText()) != null) {
        out.put(name, nonFinite(value.asText()));
      } else {
        skippedValues.incrementAndGet();
        if (warnedKeys.size() < 100 && warnedKeys.add(name)) {
          LOG.warn(
              "run {}: history key '{}' holds a {} value, which is not logged yet (further ones are"
                  + " counted)",
              key,
              name,
              value.getNodeType());
        }
      }
    }
  }

  private static Double nonFinite(String text) {
    return switch (text) {
      case "NaN", "nan" -> Double.NaN;
      case "Infinity", "inf", "+inf" -> Double.POSITIVE_INFINITY;
      case "-Infinity", "-inf" -> Double.NEGATIVE_INFINITY;
      default -> null;
    };
  }

  static ObjectNode object(String json, String what) {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new WandbException(400, what + ": not JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw new WandbException(400, what + ": a JSON object was expected");
    }
    return (ObjectNode) node;
  }

  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array != null && array.isArray()) {
      array.forEach(n -> out.add(n.asText()));
    }
    return out;
  }
}
