package dev.runstream.deploy.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.Optional;

/**
 * The environment variables that point the stack at servers that already run, parsed and validated.
 * Blank values count as unset.
 *
 * @param kafkaBootstrap {@code KAFKA_BOOTSTRAP}: comma-separated {@code host:port} list
 * @param schemaRegistryUrl {@code SCHEMA_REGISTRY_URL}: a Confluent-compatible base URL, no
 *     trailing slash
 * @param clickhouseUrl {@code CLICKHOUSE_URL}: the HTTP interface URL, no trailing slash
 */
public record EnvOverrides(
    Optional<String> kafkaBootstrap,
    Optional<String> schemaRegistryUrl,
    Optional<String> clickhouseUrl) {

  /** Variable naming an external Kafka cluster. */
  public static final String KAFKA_BOOTSTRAP = "KAFKA_BOOTSTRAP";

  /** Variable naming an external schema registry. */
  public static final String SCHEMA_REGISTRY_URL = "SCHEMA_REGISTRY_URL";

  /** Variable naming an external ClickHouse server. */
  public static final String CLICKHOUSE_URL = "CLICKHOUSE_URL";

  /** No overrides. */
  public static final EnvOverrides NONE =
      new EnvOverrides(Optional.empty(), Optional.empty(), Optional.empty());

  /**
   * Parses the three variables out of an environment map.
   *
   * @param env usually {@link System#getenv()}
   * @return the overrides
   * @throws IllegalArgumentException naming the variable whose value is malformed
   */
  public static EnvOverrides parse(Map<String, String> env) {
    return new EnvOverrides(
        value(env, KAFKA_BOOTSTRAP).map(EnvOverrides::bootstrap),
        value(env, SCHEMA_REGISTRY_URL).map(v -> httpUrl(SCHEMA_REGISTRY_URL, v)),
        value(env, CLICKHOUSE_URL).map(v -> httpUrl(CLICKHOUSE_URL, v)));
  }

  private static Optional<String> value(Map<String, String> env, String name) {
    String v = env.get(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.strip());
  }

  private static String bootstrap(String value) {
    for (String entry : value.split(",")) {
      String hostPort = entry.strip();
      // Accept "host:port" and "[v6]:port"; the port is after the last colon.
      int colon = hostPort.lastIndexOf(':');
      if (colon <= 0 || colon == hostPort.length() - 1) {
        throw invalid(KAFKA_BOOTSTRAP, value, "expected host:port[,host:port...]");
      }
      try {
        int port = Integer.parseInt(hostPort.substring(colon + 1));
        if (port < 1 || port > 65535) {
          throw invalid(KAFKA_BOOTSTRAP, value, "port out of range in '" + hostPort + "'");
        }
      } catch (NumberFormatException e) {
        throw invalid(KAFKA_BOOTSTRAP, value, "port is not a number in '" + hostPort + "'");
      }
    }
    return value.replace(" ", "");
  }

  private static String httpUrl(String name, String value) {
    URI uri;
    try {
      uri = new URI(value);
    } catch (URISyntaxException e) {
      throw invalid(name, value, e.getMessage());
    }
    String scheme = uri.getScheme();
    if (scheme == null
        || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
        || uri.getHost() == null) {
      throw invalid(name, value, "expected an http:// or https:// URL with a host");
    }
    String s = uri.toString();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  private static IllegalArgumentException invalid(String name, String value, String why) {
    return new IllegalArgumentException(name + "='" + value + "' is invalid: " + why);
  }
}
