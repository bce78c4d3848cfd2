package dev.runstream.processor;

import dev.runstream.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of the stream processor. Build with {@link #builder(String, String)} or read from the
 * environment with {@link #fromEnv(Map)}. Immutable.
 *
 * @param kafkaBootstrap Kafka bootstrap servers
 * @param schemaRegistryUrl the registry's Confluent-compatible base URL
 * @param applicationId the Kafka Streams application id (consumer group, state prefix)
 * @param topics the team's topics
 * @param stateDir where state stores live
 * @param publishInterval how often changed summaries are published
 */
public record ProcessorConfig(
    String kafkaBootstrap,
    String schemaRegistryUrl,
    String applicationId,
    Topics topics,
    Path stateDir,
    Duration publishInterval) {

  /** The application id unless configured: {@value}. */
  public static final String DEFAULT_APPLICATION_ID = "runstream-processor";

  public ProcessorConfig {
    requireText(kafkaBootstrap, "KAFKA_BOOTSTRAP");
    requireText(schemaRegistryUrl, "SCHEMA_REGISTRY_URL");
    requireText(applicationId, "RUNSTREAM_PROCESSOR_APPLICATION_ID");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(publishInterval, "publishInterval");
    if (publishInterval.isNegative() || publishInterval.isZero()) {
      throw new IllegalArgumentException(
          "RUNSTREAM_SUMMARY_INTERVAL_MS must be positive: " + publishInterval.toMillis());
    }
  }

  /** Settings with defaults for everything but the servers. */
  public static ProcessorConfig of(String kafkaBootstrap, String schemaRegistryUrl, Path stateDir) {
    return new ProcessorConfig(
        kafkaBootstrap,
        schemaRegistryUrl,
        DEFAULT_APPLICATION_ID,
        Topics.defaults(),
        stateDir,
        RunstreamTopology.DEFAULT_PUBLISH_INTERVAL);
  }

  /**
   * Reads {@code KAFKA_BOOTSTRAP}, {@code SCHEMA_REGISTRY_URL} (both required), {@code
   * RUNSTREAM_TOPIC_PREFIX}, {@code RUNSTREAM_PROCESSOR_APPLICATION_ID}, {@code
   * RUNSTREAM_STATE_DIR} and {@code RUNSTREAM_SUMMARY_INTERVAL_MS}.
   *
   * @throws IllegalArgumentException naming the variable that is missing or wrong
   */
  public static ProcessorConfig fromEnv(Map<String, String> env) {
    String interval = env.getOrDefault("RUNSTREAM_SUMMARY_INTERVAL_MS", "1000");
    long intervalMs;
    try {
      intervalMs = Long.parseLong(interval.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "RUNSTREAM_SUMMARY_INTERVAL_MS must be a number of milliseconds: " + interval);
    }
    return new ProcessorConfig(
        env.get("KAFKA_BOOTSTRAP"),
        env.get("SCHEMA_REGISTRY_URL"),
        env.getOrDefault("RUNSTREAM_PROCESSOR_APPLICATION_ID", DEFAULT_APPLICATION_ID),
        Topics.withPrefix(env.getOrDefault("RUNSTREAM_TOPIC_PREFIX", Topics.DEFAULT_PREFIX)),
        Path.of(
            env.getOrDefault(
                "RUNSTREAM_STATE_DIR",
                System.getProperty("java.io.tmpdir") + "/runstream-streams")),
        Duration.ofMillis(intervalMs));
  }

  private static void requireText(String value, String setting) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(setting + " must be set");
    }
  }
}
