package dev.runstream.sdk.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.schemas.avro.ConfigUpdated;
import dev.runstream.schemas.avro.MetricDefined;
import dev.runstream.schemas.avro.NotesUpdated;
import dev.runstream.schemas.avro.SummaryUpdated;
import dev.runstream.schemas.avro.TagsUpdated;
import dev.runstream.sdk.Goal;
import dev.runstream.sdk.MetricDefinition;
import dev.runstream.sdk.RunConfig;
import dev.runstream.sdk.RunSummary;
import dev.runstream.sdk.SummaryMode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a run says about itself besides its metrics: config, summary, tags, notes and metric
 * definitions, the same for every mode. Each change updates the state here and hands a run event
 * payload ({@link ConfigUpdated}, {@link SummaryUpdated}, {@link TagsUpdated}, {@link
 * NotesUpdated}, {@link MetricDefined}) to {@code events}, in the order of the changes; a disabled
 * run hands them to nobody. Bad input (a null map or key, a value JSON cannot hold, a blank tag,
 * null notes) is warned about and ignored, never thrown into the program; only an invalid metric
 * name in {@link #defineMetric} throws, as {@link dev.runstream.sdk.Run#defineMetric} says.
 *
 * <p>Thread-safe: one lock orders the changes and their events. Not on the path of {@code log()}.
 */
final class RunAttributes {
  private static final Logger log = LoggerFactory.getLogger(RunAttributes.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String runId;
  private final Consumer<SpecificRecord> events;
  private final Object lock = new Object();
  private final Map<String, Object> config; // guarded by lock
  private final Map<String, Object> summary = new LinkedHashMap<>(); // guarded by lock
  private final List<String> tags; // guarded by lock
  private final Map<String, Definition> definitions = new ConcurrentHashMap<>();

  /**
   * @param runId names the run in warnings
   * @param config the config the run starts with
   * @param tags the tags the run starts with
   * @param events takes the payload of every change, called under this object's lock
   */
  RunAttributes(
      String runId, Map<String, ?> config, List<String> tags, Consumer<SpecificRecord> events) {
    this.runId = Objects.requireNonNull(runId, "runId");
    this.config = new LinkedHashMap<>(config);
    this.tags = new ArrayList<>(tags);
    this.events = Objects.requireNonNull(events, "events");
  }

  /**
   * The config as JSON, for the event that starts the run.
   *
   * @throws IllegalArgumentException when a value cannot be written as JSON
   */
  String configJson() {
    synchronized (lock) {
      try {
        return JSON.writeValueAsString(config);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "config cannot be written as JSON: " + e.getMessage(), e);
      }
    }
  }

  /** The run's config: {@link RunConfig#update} publishes the whole config as JSON. */
  RunConfig config() {
    return new RunConfig() {
      @Override
      public RunConfig set(String key, Object value) {
        return update(Collections.singletonMap(key, value));
      }

      @Override
      public RunConfig update(Map<String, ?> values) {
        publishUpdate(config, values, ConfigUpdated::new, "config");
        return this;
      }

      @Override
      public Map<String, Object> asMap() {
        return snapshot(config);
      }
    };
  }

  /** The run's summary: {@link RunSummary#update} publishes the whole summary as JSON. */
  RunSummary summary() {
    return new RunSummary() {
      @Override
      public RunSummary set(String key, Object value) {
        return update(Collections.singletonMap(key, value));
      }

      @Override
      public RunSummary update(Map<String, ?> values) {
        publishUpdate(summary, values, SummaryUpdated::new, "summary");
        return this;
      }

      @Override
      public Map<String, Object> asMap() {
        return snapshot(summary);
      }
    };
  }

  private Map<String, Object> snapshot(Map<String, Object> section) {
    synchronized (lock) {
      return Collections.unmodifiableMap(new LinkedHashMap<>(section));
    }
  }

  private void publishUpdate(
      Map<String, Object> target,
      Map<String, ?> values,
      Function<String, SpecificRecord> event,
      String what) {
    try {
      // Immutable maps throw on containsKey(null); look at the keys instead.
      if (values == null || values.keySet().stream().anyMatch(Objects::isNull)) {
        log.warn("{} update of run {} has a null key or map; ignored", what, runId);
        return;
      }
      synchronized (lock) {
        Map<String, Object> next = new LinkedHashMap<>(target);
        next.putAll(values);
        String json = JSON.writeValueAsString(next);
        target.clear();
        target.putAll(next);
        events.accept(event.apply(json));
      }
    } catch (Exception e) {
      log.warn(
          "{} update of run {} cannot be written as JSON and is ignored: {}",
          what,
          runId,
          e.toString());
    }
  }

  /** The definition of {@code metric}, made and published on first use and on every setter. */
  MetricDefinition defineMetric(String metric) {
    String problem = MetricNames.problem(metric);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    Definition d = definitions.computeIfAbsent(metric, Definition::new);
    d.publish();
    return d;
  }

  private final class Definition implements MetricDefinition {
    private final String metric;
    private Goal goal = Goal.NONE; // guarded by this
    private SummaryMode mode = SummaryMode.DEFAULT; // guarded by this

    Definition(String metric) {
      this.metric = metric;
    }

    @Override
    public String name() {
      return metric;
    }

    @Override
    public synchronized MetricDefinition goal(Goal goal) {
      this.goal = Objects.requireNonNull(goal, "goal");
      publish();
      return this;
    }

    @Override
    public synchronized MetricDefinition summary(SummaryMode summary) {
      this.mode = Objects.requireNonNull(summary, "summary");
      publish();
      return this;
    }

    synchronized void publish() {
      MetricDefined defined =
          new MetricDefined(
              metric,
              dev.runstream.schemas.avro.Goal.valueOf(goal.name()),
              mode == SummaryMode.DEFAULT ? "" : mode.name().toLowerCase(Locale.ROOT));
      synchronized (lock) {
        events.accept(defined);
      }
    }
  }

  /** The current tags. */
  List<String> tags() {
    synchronized (lock) {
      return List.copyOf(tags);
    }
  }

  /** Adds the tags not yet there, warns of blank ones, and publishes the tag set. */
  void addTags(String... added) {
    if (added == null) {
      return;
    }
    synchronized (lock) {
      for (String tag : added) {
        if (tag == null || tag.isBlank()) {
          log.warn("run {}: a blank tag is ignored", runId);
        } else if (!tags.contains(tag)) {
          tags.add(tag);
        }
      }
      events.accept(new TagsUpdated(new ArrayList<>(tags)));
    }
  }

  /** Removes the tags and publishes the tag set. */
  void removeTags(String... removed) {
    if (removed == null) {
      return;
    }
    synchronized (lock) {
      // Arrays.asList, not List.of: a null among the arguments must not throw into the program.
      tags.removeAll(Arrays.asList(removed));
      events.accept(new TagsUpdated(new ArrayList<>(tags)));
    }
  }

  /** Publishes new notes; null notes are warned about and ignored. */
  void notes(String notes) {
    if (notes == null) {
      log.warn("run {}: null notes are ignored", runId);
      return;
    }
    synchronized (lock) {
      events.accept(new NotesUpdated(notes));
    }
  }
}
