package dev.runstream.sdk.internal;

import dev.runstream.sdk.AlertLevel;
import dev.runstream.sdk.Goal;
import dev.runstream.sdk.MetricDefinition;
import dev.runstream.sdk.Mode;
import dev.runstream.sdk.RunConfig;
import dev.runstream.sdk.RunCounters;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.RunSummary;
import dev.runstream.sdk.SummaryMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** {@link Mode#DISABLED}: accepts everything, keeps steps and state, writes and sends nothing. */
public final class DisabledRun implements dev.runstream.sdk.Run {
  private final RunOptions options;
  private final String id;
  private final String name;
  private final AtomicLong nextStep = new AtomicLong();
  private final LongAdder accepted = new LongAdder();
  private final Map<String, Object> config;
  private final Map<String, Object> summary = new LinkedHashMap<>();
  private final List<String> tags;

  public DisabledRun(RunOptions options) {
    this.options = options;
    this.id = options.runId() != null ? options.runId() : RunNames.newRunId();
    this.name = options.name() != null ? options.name() : RunNames.newDisplayName();
    this.config = new LinkedHashMap<>(options.config());
    this.tags = new CopyOnWriteArrayList<>(options.tags());
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String project() {
    return options.project();
  }

  @Override
  public String entity() {
    return options.entity();
  }

  @Override
  public Mode mode() {
    return Mode.DISABLED;
  }

  @Override
  public Optional<Path> directory() {
    return Optional.empty();
  }

  @Override
  public long step() {
    return nextStep.get();
  }

  @Override
  public boolean resumed() {
    return false;
  }

  @Override
  public void log(Map<String, ?> metrics) {
    if (metrics != null) {
      accepted.add(metrics.size());
    }
    nextStep.incrementAndGet();
  }

  @Override
  public void log(Map<String, ?> metrics, long step) {
    if (metrics != null) {
      accepted.add(metrics.size());
    }
    nextStep.accumulateAndGet(step + 1, Math::max);
  }

  @Override
  public void log(Map<String, ?> metrics, boolean commit) {
    if (metrics != null) {
      accepted.add(metrics.size());
    }
    if (commit) {
      nextStep.incrementAndGet();
    }
  }

  @Override
  public void log(String name, double value) {
    accepted.increment();
    nextStep.incrementAndGet();
  }

  @Override
  public RunConfig config() {
    return new RunConfig() {
      @Override
      public RunConfig set(String key, Object value) {
        synchronized (DisabledRun.this) {
          config.put(key, value);
        }
        return this;
      }

      @Override
      public RunConfig update(Map<String, ?> values) {
        if (values != null) {
          synchronized (DisabledRun.this) {
            config.putAll(values);
          }
        }
        return this;
      }

      @Override
      public Map<String, Object> asMap() {
        synchronized (DisabledRun.this) {
          return Collections.unmodifiableMap(new LinkedHashMap<>(config));
        }
      }
    };
  }

  @Override
  public RunSummary summary() {
    return new RunSummary() {
      @Override
      public RunSummary set(String key, Object value) {
        synchronized (DisabledRun.this) {
          summary.put(key, value);
        }
        return this;
      }

      @Override
      public RunSummary update(Map<String, ?> values) {
        if (values != null) {
          synchronized (DisabledRun.this) {
            summary.putAll(values);
          }
        }
        return this;
      }

      @Override
      public Map<String, Object> asMap() {
        synchronized (DisabledRun.this) {
          return Collections.unmodifiableMap(new LinkedHashMap<>(summary));
        }
      }
    };
  }

  @Override
  public MetricDefinition defineMetric(String metric) {
    String problem = MetricNames.problem(metric);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return new MetricDefinition() {
      @Override
      public String name() {
        return metric;
      }

      @Override
      public MetricDefinition goal(Goal goal) {
        return this;
      }

      @Override
      public MetricDefinition summary(SummaryMode summary) {
        return this;
      }
    };
  }

  @Override
  public List<String> tags() {
    return List.copyOf(tags);
  }

  @Override
  public void addTags(String... added) {
    if (added == null) {
      return;
    }
    for (String t : added) {
      if (t != null && !t.isBlank() && !tags.contains(t)) {
        tags.add(t);
      }
    }
  }

  @Override
  public void removeTags(String... removed) {
    if (removed != null) {
      tags.removeAll(Arrays.asList(removed));
    }
  }

  @Override
  public void notes(String notes) {}

  @Override
  public void alert(String title, String text, AlertLevel level) {}

  @Override
  public Map<String, String> environment() {
    return Map.of();
  }

  @Override
  public Optional<String> gpuTag() {
    return Optional.empty();
  }

  @Override
  public RunCounters counters() {
    return new RunCounters(accepted.sum(), 0, 0, 0, 0, 0, 0);
  }

  @Override
  public boolean flush(Duration timeout) {
    return true;
  }

  @Override
  public void finish(int exitCode) {}
}
