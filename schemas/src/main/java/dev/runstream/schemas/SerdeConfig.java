package dev.runstream.schemas;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.config.ConfigException;

/** Configuration keys the serdes read from Kafka client properties. */
public final class SerdeConfig {
  /** The registry's Confluent-compatible base URL; the same key Confluent's serdes use. */
  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";

  // One client per URL in a JVM, so producers, consumers and Streams share one cache.
  private static final Map<String, HttpSchemaRegistryClient> CLIENTS = new ConcurrentHashMap<>();

  private SerdeConfig() {}

  /** The shared registry client for {@code url}. */
  public static SchemaRegistry registry(String url) {
    return CLIENTS.computeIfAbsent(url, HttpSchemaRegistryClient::new);
  }

  static SchemaRegistry registryFrom(Map<String, ?> configs) {
    Object url = configs.get(SCHEMA_REGISTRY_URL);
    if (url == null || url.toString().isBlank()) {
      throw new ConfigException(
          SCHEMA_REGISTRY_URL, url, "the Avro serdes need a schema registry URL");
    }
    return registry(url.toString());
  }
}
