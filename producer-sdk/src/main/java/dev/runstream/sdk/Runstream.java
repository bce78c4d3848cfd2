package dev.runstream.sdk;

import dev.runstream.sdk.internal.DisabledRun;
import dev.runstream.sdk.internal.KafkaRun;
import dev.runstream.sdk.internal.Syncer;
import java.nio.file.Path;

/**
 * The entry point of the SDK, shaped after {@code wandb.init}:
 *
 * <pre>{@code
 * try (Run run = Runstream.init(RunOptions.builder("tinyllm")
 *     .name("test1").tags("baseline").config(Map.of("learning_rate", 0.02)).build())) {
 *   for (int epoch = 0; epoch < 10; epoch++) {
 *     run.log(Map.of("loss", loss, "acc", acc));
 *   }
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class Runstream {
  private Runstream() {}

  /**
   * Starts a run: makes its directory {@code <directory>/run-<id>} (unless {@link Mode#DISABLED}),
   * announces it with its name, notes, tags, config and environment (or, when resumed, where it
   * resumes), and starts its background writer, heartbeat and system-metrics sampler. Sending does
   * not wait for Kafka: an unreachable broker only means the records wait in the run directory.
   *
   * <p>Online, when the program gave a {@link RunOptions#runId()}, {@code init} first reads back
   * from Kafka what it holds of that run, blocking for at most {@link
   * RunOptions#resumeLookupTimeout()} (default 10 s): a resumed run continues after the last step
   * and the highest sequence that reached Kafka, even on a machine without its run directory, and
   * {@link Resume#NEVER} refuses an id Kafka already has.
   *
   * @throws IllegalStateException when {@link RunOptions#resume()} forbids the start (the id exists
   *     with {@link Resume#NEVER}; with {@link Resume#MUST}, it exists neither in a run directory
   *     nor in Kafka, or Kafka cannot be asked), or another process uses the run directory
   * @throws java.io.UncheckedIOException when the run directory cannot be made
   */
  public static Run init(RunOptions options) {
    if (options.mode() == Mode.DISABLED) {
      return new DisabledRun(options);
    }
    return KafkaRun.start(options);
  }

  /**
   * Uploads a run directory (of a finished, crashed or offline run) to Kafka: every record Kafka
   * has not acknowledged, in order, with the sequence numbers and timestamps it was logged with, so
   * syncing the same directory twice creates no duplicates downstream. Records what was
   * acknowledged in the directory, so a second sync sends nothing new. This is what {@code
   * runstream sync DIR} calls. Does not need a running {@link Run}. Blocks until Kafka acknowledged
   * everything, at most {@link SyncOptions#timeout()}.
   *
   * @param runDirectory a run's own directory ({@code .../run-<id>}, holding {@code run.json})
   * @throws IllegalArgumentException when it is not a run directory
   * @throws IllegalStateException when a live run holds the directory, or Kafka did not take
   *     everything in time (what it took is remembered: run the sync again)
   * @throws java.io.UncheckedIOException when the directory cannot be read
   */
  public static SyncResult sync(Path runDirectory, SyncOptions options) {
    return Syncer.sync(runDirectory, options);
  }

  /** {@link #sync(Path, SyncOptions)} with {@link SyncOptions#defaults()}. */
  public static SyncResult sync(Path runDirectory) {
    return sync(runDirectory, SyncOptions.defaults());
  }
}
