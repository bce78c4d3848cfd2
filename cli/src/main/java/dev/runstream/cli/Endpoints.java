package dev.runstream.cli;

import java.util.Map;
import java.util.Optional;

/**
 * Where runstream's servers are: Kafka, the schema registry, ClickHouse.
 *
 * @param kafkaBootstrap Kafka bootstrap servers
 * @param schemaRegistryUrl the registry's Confluent-compatible base URL
 * @param clickhouseUrl ClickHouse's HTTP URL
 */
public record Endpoints(String kafkaBootstrap, String schemaRegistryUrl, String clickhouseUrl) {

  /**
   * The servers named by {@code KAFKA_BOOTSTRAP}, {@code SCHEMA_REGISTRY_URL} and {@code
   * CLICKHOUSE_URL}, each falling back to a running {@code runstream up}; empty when neither names
   * ClickHouse.
   */
  static Optional<Endpoints> resolve(Map<String, String> env) {
    Optional<StackState> up = StackState.readLive(env);
    String kafka =
        env.getOrDefault(
            "KAFKA_BOOTSTRAP", up.map(s -> s.endpoints().kafkaBootstrap()).orElse(null));
    String registry =
        env.getOrDefault(
            "SCHEMA_REGISTRY_URL", up.map(s -> s.endpoints().schemaRegistryUrl()).orElse(null));
    String clickhouse =
        env.getOrDefault("CLICKHOUSE_URL", up.map(s -> s.endpoints().clickhouseUrl()).orElse(null));
    if (clickhouse == null) {
      return Optional.empty();
    }
    return Optional.of(new Endpoints(kafka, registry, clickhouse));
  }

  /** What to tell a person when no stack can be found. */
  static final String HOW_TO_START =
      "no runstream stack is running: start one with `runstream up --detach`, or set"
          + " CLICKHOUSE_URL (and KAFKA_BOOTSTRAP, SCHEMA_REGISTRY_URL) to your servers";
}
