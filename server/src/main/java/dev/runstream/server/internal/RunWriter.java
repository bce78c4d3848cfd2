package dev.runstream.server.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.runstream.sdk.Run;
import dev.runstream.server.wandb.translate.HistoryRow;
import dev.runstream.server.wandb.translate.NonScalar;
import dev.runstream.server.wandb.translate.SummaryValues;
import dev.runstream.server.wandb.translate.SystemSample;
import dev.runstream.server.wandb.translate.WandbAlert;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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

  private final RunKey key;
  private final Run run;
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
    if (finished) {
      return;
    }
    for (HistoryRow row : rows) {
      if (row.step() <= lastStep) {
        repeatedLines++;
        continue;
      }
      lastStep = row.step();
      run.log(row.metrics(), row.step(), row.time());
      others("history", row.others());
      historyLines++;
    }
  }

  /** Publishes the system samples of one post as system batches, each at its time. */
  public synchronized void events(List<SystemSample> samples) {
    if (finished) {
      return;
    }
    for (SystemSample sample : samples) {
      if (!sample.metrics().isEmpty()) {
        run.logSystem(sample.metrics(), sample.time());
      }
      others("events", sample.others());
      eventLines++;
    }
  }

  /** Publishes the summary's values. */
  public synchronized void summary(SummaryValues summary) {
    if (finished) {
      return;
    }
    if (!summary.values().isEmpty()) {
      run.summary().update(summary.values());
    }
    others("summary", summary.others());
  }

  private void others(String where, Map<String, NonScalar> others) {
    for (Map.Entry<String, NonScalar> e : others.entrySet()) {
      nonScalarValues++;
      if (warnedKeys.size() < 100 && warnedKeys.add(e.getKey())) {
        LOG.warn(
            "run {}: {} key '{}' holds a {} value, which is not a metric point (further ones are"
                + " counted)",
            key,
            where,
            e.getKey(),
            e.getValue().type());
      }
    }
  }

  /** Sends {@code run.alert(...)} of the client as the run's alert ({@code rule=user}). */
  public synchronized void alert(WandbAlert alert) {
    if (!finished) {
      run.alert(alert.title(), alert.text(), alert.level());
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
    run.detach();
  }
}
