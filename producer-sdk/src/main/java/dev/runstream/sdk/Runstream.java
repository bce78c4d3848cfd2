package dev.runstream.sdk;

import dev.runstream.sdk.internal.KafkaRun;

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
 */
public final class Runstream {
  private Runstream() {}

  /**
   * Starts a run: announces it to Kafka with its name, notes, tags, config and environment, and
   * starts its background sender and heartbeat. Does not wait for Kafka to answer.
   */
  public static Run init(RunOptions options) {
    return KafkaRun.start(options);
  }
}
