package dev.runstream.cli;

/**
 * Where runstream's servers are: Kafka, the schema registry, ClickHouse.
 *
 * @param kafkaBootstrap Kafka bootstrap servers
 * @param schemaRegistryUrl the registry's Confluent-compatible base URL
 * @param clickhouseUrl ClickHouse's HTTP URL
 */
public record Endpoints(String kafkaBootstrap, String schemaRegistryUrl, String clickhouseUrl) {}
