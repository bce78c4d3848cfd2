package dev.runstream.sdk.internal;

import dev.runstream.sdk.AlertLevel;
import dev.runstream.sdk.MetricDefinition;
import dev.runstream.sdk.Mode;
import dev.runstream.sdk.RunConfig;
import dev.runstream.sdk.RunCounters;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.RunSummary;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** {@link Mode#DISABLED}: accepts everything, keeps steps and state, writes and sends nothing. */
public final class DisabledRun implements dev.runstream.sdk.Run {
  private final RunOptions options;
  private final String id;
  private final String name;
  private final AtomicLong nextStep = new AtomicLong();
  private final LongAdder accepted = new LongAdder();
  // No one hears the changes: a disabled run publishes nothing.
  private final RunAttributes attributes;

  public DisabledRun(RunOptions options) {
    this.options = options;
    this.id = options.runId() != null ? options.runId() : RunNames.newRunId();
    this.name = options.name() != null ? options.name() : RunNames.newDisplayName();
    this.attributes = new RunAttributes(id, options.config(), options.tags(), event -> {});
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
  public void log(Map<String, ?> metrics, long step, Instant time) {
    log(metrics, step);
  }

  @Override
  public void logSystem(Map<String, ? extends Number> metrics, Instant time) {}

  @Override
  public void detach() {}

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
    return attributes.config();
  }

  @Override
  public RunSummary summary() {
    return attributes.summary();
  }

  @Override
  public MetricDefinition defineMetric(String metric) {
    return attributes.defineMetric(metric);
  }

  @Override
  public List<String> tags() {
    return attributes.tags();
  }

  @Override
  public void addTags(String... added) {
    attributes.addTags(added);
  }

  @Override
  public void removeTags(String... removed) {
    attributes.removeTags(removed);
  }

  @Override
  public void notes(String notes) {
    attributes.notes(notes);
  }

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
