package dev.runstream.schemas;

import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunSummary;
import java.util.List;
import java.util.Objects;

/**
 * The one place that names runstream's topics. A team owns a prefix; by default {@value
 * #DEFAULT_PREFIX}, giving {@code runstream.runs}, {@code runstream.metrics} and so on.
 *
 * <p>Immutable and thread-safe.
 */
public final class Topics {
  /** The prefix of every topic unless configured otherwise. */
  public static final String DEFAULT_PREFIX = "runstream.";

  /** Run lifecycle events. */
  public final Topic<RunEvent> runs;

  /** One record per {@code log()} call: the hot path. */
  public final Topic<MetricBatch> metrics;

  /** System metrics sampled by the SDK (CPU, memory, GPU). */
  public final Topic<MetricBatch> system;

  /** Alerts from the processor's detectors and from {@code run.alert()}. */
  public final Topic<Alert> alerts;

  /** The latest summary of every run (compacted). */
  public final Topic<RunSummary> runSummaries;

  /** Records that could not be processed: the original key and bytes, the reason in headers. */
  public final String deadLetters;

  private final String prefix;

  private Topics(String prefix) {
    this.prefix = prefix;
    this.runs = new Topic<>(prefix + "runs", RunEvent.class, false);
    this.metrics = new Topic<>(prefix + "metrics", MetricBatch.class, false);
    this.system = new Topic<>(prefix + "system", MetricBatch.class, false);
    this.alerts = new Topic<>(prefix + "alerts", Alert.class, false);
    this.runSummaries = new Topic<>(prefix + "run-summaries", RunSummary.class, true);
    this.deadLetters = prefix + "dlq";
  }

  /** The topics under {@link #DEFAULT_PREFIX}. */
  public static Topics defaults() {
    return withPrefix(DEFAULT_PREFIX);
  }

  /**
   * The topics under {@code prefix}, e.g. {@code "team-a.runstream."}.
   *
   * @throws IllegalArgumentException when the prefix has characters Kafka does not allow in names
   */
  public static Topics withPrefix(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    if (!prefix.matches("[a-zA-Z0-9._-]*")) {
      throw new IllegalArgumentException(
          "topic prefix may hold only letters, digits, '.', '_' and '-': " + prefix);
    }
    return new Topics(prefix);
  }

  /**
   * Checks the name of the team that owns a prefix's topics (processor and sink both bind to one by
   * {@code RUNSTREAM_TEAM}): the characters a prefix may hold, at least one.
   *
   * @return the name without surrounding white space
   * @throws IllegalArgumentException naming what is wrong
   */
  public static String requireTeam(String team) {
    Objects.requireNonNull(team, "team");
    String t = team.strip();
    if (!t.matches("[a-zA-Z0-9._-]+")) {
      throw new IllegalArgumentException(
          "team must be letters, digits, '.', '_' or '-', got '" + team + "'");
    }
    return t;
  }

  /** The prefix every name starts with. */
  public String prefix() {
    return prefix;
  }

  /** Every Avro topic, in a stable order. */
  public List<Topic<?>> all() {
    return List.of(runs, metrics, system, alerts, runSummaries);
  }
}
