package dev.runstream.server.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runstream.sdk.Run;
import dev.runstream.server.wandb.translate.DefinedMetric;
import dev.runstream.server.wandb.translate.HistoryRow;
import dev.runstream.server.wandb.translate.NonScalar;
import dev.runstream.server.wandb.translate.SummaryValues;
import dev.runstream.server.wandb.translate.SystemSample;
import dev.runstream.server.wandb.translate.TranslatedConfig;
import dev.runstream.server.wandb.translate.WandbAlert;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One wandb run written through one SDK {@link Run}: updates from {@code UpsertBucket}, history,
 * events and summary lines from {@code file_stream}, alerts, and the finish. What the client sends
 * is turned into values by {@code dev.runstream.server.wandb.translate}; this class decides what
 * the run does with them (a repeated step is skipped, a finished run takes nothing more).
 *
 * <p>It takes translated values: {@link FileStreamApi} translates a post whole before any of it
 * reaches the run, so a malformed line refuses the post (HTTP 400) and none of its lines is logged;
 * nothing an earlier post logged is touched.
 *
 * <p>Thread-safe: every method holds the writer's lock, so lines of one run are logged in the order
 * the requests were accepted.
 */
public final class RunWriter {
  private static final Logger LOG = LoggerFactory.getLogger(RunWriter.class);
  static final ObjectMapper JSON = JsonMapper.builder().build();

  /** The run file that keeps every non-scalar value, one JSON line each (see server/README.md). */
  public static final String NON_SCALAR_FILE = "runstream-non-scalar.jsonl";

  /** The summary entry that counts non-scalar values per key. */
  public static final String NON_SCALAR_SUMMARY = "_non_scalar";

  private final RunKey key;
  private final Run run;
  private final FileStore files;
  private final Map<String, Long> nonScalarCounts = new TreeMap<>();
  private final Map<String, DefinedMetric> defined = new LinkedHashMap<>();
  private final Set<String> definedFromGlobs = new LinkedHashSet<>();
  private List<DefinedMetric> globs = List.of();
  private final Set<String> warnedKeys = new LinkedHashSet<>();
  private String notes;
  private List<String> tags;
  private Map<String, Object> config;
  private long historyLines;
  private long lastStep;
  private long repeatedLines;
  private long eventLines;
  private long nonScalarValues;
  private boolean finished;
  private boolean detached;
  private long lastUsedNanos = System.nanoTime();

  RunWriter(
      RunKey key,
      Run run,
      FileStore files,
      String notes,
      List<String> tags,
      TranslatedConfig config) {
    this.key = Objects.requireNonNull(key, "key");
    this.run = Objects.requireNonNull(run, "run");
    this.files = Objects.requireNonNull(files, "files");
    this.notes = notes;
    this.tags = tags == null ? List.of() : List.copyOf(tags);
    this.config = config == null ? Map.of() : config.values();
    this.historyLines = run.step();
    this.lastStep = run.step() - 1;
    if (config != null) {
      define(config.definedMetrics());
    }
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

  /** Lines of {@code wandb-events.jsonl} (system metrics) accepted so far. */
  public synchronized long eventLines() {
    return eventLines;
  }

  /** The run's config as the client sends it back on resume: {@code {"key": {"value": v}}}. */
  public synchronized Map<String, Object> wandbConfig() {
    Map<String, Object> wrapped = new LinkedHashMap<>();
    config.forEach((k, v) -> wrapped.put(k, Map.of("value", v)));
    return wrapped;
  }

  /** Values of history and summary lines that were not numbers, so not metric points. */
  public synchronized long nonScalarValues() {
    return nonScalarValues;
  }

  /** Applies the fields of a later {@code UpsertBucket}: notes, tags, config. */
  public synchronized void update(Upsert upsert) {
    checkAttached();
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
    if (upsert.config() != null) {
      Map<String, Object> next = upsert.config().values();
      if (!next.equals(config)) {
        run.config().update(next);
        config = next;
      }
      define(upsert.config().definedMetrics());
    }
  }

  /**
   * Applies {@code define_metric} calls: a named metric at once, a glob ({@code train/*}) to each
   * logged metric it matches when that metric is first seen. A definition is sent again only when
   * it changed. The step metric and the hidden flag have no runstream counterpart and are not kept.
   */
  private void define(List<DefinedMetric> definitions) {
    List<DefinedMetric> nextGlobs = new ArrayList<>();
    for (DefinedMetric d : definitions) {
      if (d.glob()) {
        nextGlobs.add(d);
      } else {
        define(d.name(), d);
      }
    }
    if (!nextGlobs.equals(globs)) {
      globs = List.copyOf(nextGlobs);
      definedFromGlobs.clear();
    }
  }

  private void define(String name, DefinedMetric d) {
    if (d.equals(defined.get(name))) {
      return;
    }
    defined.put(name, d);
    try {
      run.defineMetric(name).goal(d.goal()).summary(d.summary());
    } catch (IllegalArgumentException e) {
      // The client defines metrics of its own too; a name runstream cannot hold is not the user's.
      LOG.warn("run {}: define_metric('{}') not kept: {}", key, name, e.getMessage());
    }
  }

  private void defineFromGlobs(Set<String> names) {
    if (globs.isEmpty()) {
      return;
    }
    for (String name : names) {
      if (defined.containsKey(name) || !definedFromGlobs.add(name)) {
        continue;
      }
      for (DefinedMetric glob : globs) {
        String prefix = glob.name().substring(0, glob.name().length() - 1);
        if (name.startsWith(prefix)) {
          define(name, glob);
          break;
        }
      }
    }
  }

  /**
   * Logs the history rows of one post, each at its {@code _step}; returns once the SDK took them
   * (journalled). A line whose step is not above the last one logged is skipped: the client's steps
   * only increase (wandb drops a step below its current one), so such a line was sent before, by a
   * retried post or a second {@code wandb sync}, and logging it again would count its points twice
   * in the run's aggregates.
   */
  public synchronized void history(List<HistoryRow> rows) {
    checkAttached();
    if (finished) {
      return;
    }
    List<String> kept = new ArrayList<>();
    for (HistoryRow row : rows) {
      if (row.step() <= lastStep) {
        repeatedLines++;
        continue;
      }
      lastStep = row.step();
      defineFromGlobs(row.metrics().keySet());
      run.log(row.metrics(), row.step(), row.time());
      others("history", row.step(), row.time(), row.others(), kept);
      historyLines++;
    }
    keep(kept);
  }

  /** Publishes the system samples of one post as system batches, each at its time. */
  public synchronized void events(List<SystemSample> samples) {
    checkAttached();
    if (finished) {
      return;
    }
    List<String> kept = new ArrayList<>();
    for (SystemSample sample : samples) {
      if (!sample.metrics().isEmpty()) {
        run.logSystem(sample.metrics(), sample.time());
      }
      others("events", -1, sample.time(), sample.others(), kept);
      eventLines++;
    }
    keep(kept);
  }

  /** Publishes the summary's values. */
  public synchronized void summary(SummaryValues summary) {
    checkAttached();
    if (finished) {
      return;
    }
    Map<String, Object> values = new LinkedHashMap<>(summary.values());
    // A typed object in the summary (a histogram's, an image's reference) is kept there as the
    // JSON the client sent: it is the run's last value of that key, small, and shown with the run.
    summary
        .others()
        .forEach((k, v) -> values.put(k, JSON.convertValue(json(v.json()), Object.class)));
    if (!values.isEmpty()) {
      run.summary().update(values);
    }
  }

  /**
   * Counts each non-scalar value per key and adds its JSON line to {@code kept}: {@code {"source",
   * "step" (history only), "time", "key", "type", "file" (when the client uploaded one), "value"}}.
   */
  private void others(
      String source, long step, Instant time, Map<String, NonScalar> others, List<String> kept) {
    for (Map.Entry<String, NonScalar> e : others.entrySet()) {
      NonScalar value = e.getValue();
      nonScalarValues++;
      nonScalarCounts.merge(e.getKey(), 1L, Long::sum);
      ObjectNode line = JSON.createObjectNode();
      line.put("source", source);
      if (step >= 0) {
        line.put("step", step);
      }
      line.put("time", time.toString());
      line.put("key", e.getKey());
      line.put("type", value.type());
      if (value.file() != null) {
        line.put("file", value.file());
      }
      line.set("value", json(value.json()));
      kept.add(line.toString());
      if (warnedKeys.size() < 100 && warnedKeys.add(e.getKey())) {
        LOG.info(
            "run {}: {} key '{}' holds {} values, which are not metric points: kept in {} and"
                + " counted in the summary's {}",
            key,
            source,
            e.getKey(),
            value.type(),
            NON_SCALAR_FILE,
            NON_SCALAR_SUMMARY);
      }
    }
  }

  /** Appends the kept non-scalar lines to the run's file, then publishes the counts. */
  private void keep(List<String> kept) {
    if (kept.isEmpty()) {
      return;
    }
    try {
      files.append(key, NON_SCALAR_FILE, kept);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep non-scalar values of " + key, e);
    }
    run.summary().set(NON_SCALAR_SUMMARY, new TreeMap<>(nonScalarCounts));
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      // NonScalar.json is written by the translator's own mapper; reaching here is a bug.
      throw new IllegalStateException("non-scalar value is not JSON: " + text, e);
    }
  }

  /** Non-scalar values so far, per key (history and events), as the summary shows them. */
  public synchronized Map<String, Long> nonScalarCounts() {
    return Map.copyOf(nonScalarCounts);
  }

  /** Sends {@code run.alert(...)} of the client as the run's alert ({@code rule=user}). */
  public synchronized void alert(WandbAlert alert) {
    checkAttached();
    if (!finished) {
      run.alert(alert.title(), alert.text(), alert.level());
    }
  }

  /** Finishes the run with the client's exit code (0: finished, otherwise failed). Idempotent. */
  public synchronized void finish(int exitCode) {
    checkAttached();
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
        nonScalarValues == 0 ? "" : " (" + nonScalarValues + " non-numeric values kept out)");
  }

  public synchronized boolean finished() {
    return finished;
  }

  /**
   * Closes the run in this server without finishing it: its client may still be logging and retries
   * against the next server, which resumes it; if the client is gone, the processor marks it
   * crashed. Idempotent.
   */
  public synchronized void detach() {
    if (finished) {
      return;
    }
    finished = true;
    detached = true;
    run.detach();
  }

  /** Marks the run used now; false when it was detached (the caller opens it again). */
  synchronized boolean touch() {
    lastUsedNanos = System.nanoTime();
    return !detached;
  }

  /** Detaches the run when it had no request for {@code idle}; whether it did. */
  synchronized boolean detachIfIdle(long nowNanos, Duration idle) {
    if (finished || nowNanos - lastUsedNanos < idle.toNanos()) {
      return false;
    }
    detach();
    return true;
  }

  /**
   * A request that reached the run just as it was detached (idle) must not be answered as taken:
   * 503, which the client retries, and the retry opens the run again.
   */
  private void checkAttached() {
    if (detached) {
      throw new WandbException(
          503, "run " + key + " was closed on this server after being idle; retry to resume it");
    }
  }
}
