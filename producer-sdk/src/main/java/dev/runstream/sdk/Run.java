package dev.runstream.sdk;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A live training run. Created by {@link Runstream#init(RunOptions)}; close it (or call {@link
 * #finish()}) when training ends, ideally with try-with-resources.
 *
 * <p>All methods are thread-safe. The {@code log} methods never throw: invalid points are rejected
 * with one warning per metric name and counted in {@link RunCounters#rejected()}. When a {@code
 * log} call returns, its points are in the run directory's journal (written through a memory map)
 * and survive a kill of the process, SIGKILL included; they reach the storage device within the
 * fsync interval. A {@code log} call waits only for the run's lock (held by another thread logging
 * to the same run) and, when the journal segment is full, for the next segment to be created and
 * mapped.
 *
 * <p>Steps: every {@code log} without a step uses the current step and advances it by one, as W&B's
 * {@code wandb.log} does. Unlike W&B, an explicit step lower than the current one is accepted: a
 * point is identified by (run, metric, step), and a later value for the same identity replaces the
 * earlier one downstream.
 */
public interface Run extends AutoCloseable {

  /** The run's id, the key of all its records. */
  String id();

  /** The run's display name. */
  String name();

  /** The project the run belongs to. */
  String project();

  /** The team (W&B's entity) the run belongs to. */
  String entity();

  /** How the run delivers its records. */
  Mode mode();

  /**
   * The run's own directory (its journal of every record), or empty in {@link Mode#DISABLED}. Pass
   * it to {@link Runstream#sync(Path, SyncOptions)} to upload what Kafka did not acknowledge.
   */
  Optional<Path> directory();

  /** The step the next {@link #log(Map)} without a step will use; starts at 0 (or after resume). */
  long step();

  /** Whether this run continues an earlier run with the same id ({@link Resume}). */
  boolean resumed();

  /**
   * Logs metrics at the current step, then advances the step by one. Values must be {@link
   * Number}s; NaN and infinities are valid and sent. Never throws; waits only as the class comment
   * says.
   */
  void log(Map<String, ?> metrics);

  /**
   * Logs metrics at {@code step}; the next automatic step becomes at least {@code step + 1}. Never
   * blocks, never throws; a negative step rejects the points.
   */
  void log(Map<String, ?> metrics, long step);

  /**
   * With {@code commit == false}, adds the metrics to the current step without advancing it (W&B's
   * {@code commit=False}); the next committing {@code log} (or {@link #finish}) sends them
   * together. With {@code commit == true}, the same as {@link #log(Map)}.
   */
  void log(Map<String, ?> metrics, boolean commit);

  /**
   * Logs metrics at {@code step} with {@code time} as their time instead of now; otherwise the same
   * as {@link #log(Map, long)}. For importers and servers that replay what another client recorded
   * (e.g. a W&amp;B run's {@code _timestamp}s, so that a synced offline run keeps its original
   * times); a training program wants {@link #log(Map)}. Never blocks beyond what the class comment
   * says, never throws; a negative step or a null time rejects the points.
   */
  void log(Map<String, ?> metrics, long step, Instant time);

  /**
   * Publishes one sample of system metrics (CPU, memory, GPU...) taken at {@code time}, as a system
   * batch beside those the run samples itself. For importers and servers that relay another
   * client's system metrics; the run's own sampler ({@link RunOptions#systemMetricsInterval()})
   * needs no call. System metrics are not the program's points: they are not counted in {@link
   * RunCounters#accepted()}; an invalid name or value, or a null time, is rejected and counted in
   * {@link RunCounters#rejected()}. Does not touch the step. Never throws.
   */
  void logSystem(Map<String, ? extends Number> metrics, Instant time);

  /** Logs one metric at the current step and advances the step: the fast path. */
  void log(String name, double value);

  /** Logs one metric at {@code step}. */
  default void log(String name, double value, long step) {
    log(Map.of(name, value), step);
  }

  /** The run's hyperparameters; changes are published at once. */
  RunConfig config();

  /** Final values set by the program; changes are published at once. */
  RunSummary summary();

  /**
   * Declares how metric {@code name} is judged and summarised, e.g. {@code
   * run.defineMetric("val_loss").goal(Goal.MINIMIZE).summary(SummaryMode.MIN)}. Publishes the
   * definition at once and again on every setter; does not block.
   *
   * @throws IllegalArgumentException when {@code name} is not a valid metric name (a mistake in the
   *     program, found at its first run, unlike a bad value inside the training loop)
   */
  MetricDefinition defineMetric(String name);

  /** The current tags. */
  List<String> tags();

  /** Adds tags (blank ones are ignored with a warning) and publishes the tag set. */
  void addTags(String... tags);

  /** Removes tags and publishes the tag set. */
  void removeTags(String... tags);

  /** Replaces the run's notes and publishes them. */
  void notes(String notes);

  /**
   * Publishes an alert on the alerts topic, W&B's {@code run.alert}. Never blocks, never throws.
   */
  void alert(String title, String text, AlertLevel level);

  /** Facts captured at init: host, OS, JVM, CPU count, command line, git state, GPUs. Immutable. */
  Map<String, String> environment();

  /** The GPU model as a ready tag (e.g. {@code gpu:NVIDIA-A100-SXM4-80GB}), if there is a GPU. */
  Optional<String> gpuTag();

  /** What happened to the points logged so far. Cheap; safe to poll. */
  RunCounters counters();

  /**
   * Blocks until every point logged before this call is written to the run directory and forced to
   * the storage device, at most {@code timeout}. Does not wait for Kafka.
   *
   * @return whether everything was made durable in time ({@code true} in {@link Mode#DISABLED})
   */
  boolean flush(Duration timeout);

  /** Finishes the run successfully; same as {@code finish(0)}. */
  default void finish() {
    finish(0);
  }

  /**
   * Marks the run finished with {@code exitCode} (non-zero means failed), writes everything logged
   * to the run directory, and waits for Kafka to acknowledge it, at most {@link
   * RunOptions#finishTimeout()}. What Kafka did not acknowledge stays in the run directory and the
   * log says how to upload it. Idempotent: only the first call has an effect. Blocks.
   */
  void finish(int exitCode);

  /**
   * Closes the run in this process WITHOUT finishing it: stops its heartbeats and timers, writes
   * everything logged to the run directory and waits for Kafka as {@link #finish(int)} does, but
   * publishes no finish. The run stays as it is, to be resumed later ({@link Resume}) or marked
   * crashed by the processor when no heartbeat comes. For servers that hold other clients' runs and
   * shut down while those clients still log (they resume against the next server); a training
   * program wants {@link #finish()}. After it, the run takes nothing more, and neither {@link
   * #finish(int)} nor the JVM's exit finishes it. Idempotent; does nothing after a finish. Blocks.
   */
  void detach();

  /** Finishes the run if it was not finished; see {@link #finish()}. */
  @Override
  default void close() {
    finish();
  }
}
