package dev.runstream.schemas.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The one helper that builds the properties of every Kafka client runstream makes (the SDK's
 * producer, the processor's Streams and consumers, the sink's consumer and dead-letter producer,
 * the CLI's consumers, admin clients): the servers and runstream's own settings, then the user's
 * properties over them (SASL, TLS, timeouts; a {@code bootstrap.servers} among them wins too), then
 * what runstream's correctness rests on.
 *
 * <p>The user's properties come from {@code RUNSTREAM_KAFKA_PROPERTIES_FILE} (a properties file, so
 * secrets never appear on a command line) and {@code RUNSTREAM_KAFKA_PROPERTIES} ({@code
 * k=v,k2=v2}, which wins). A property that only another kind of client knows ({@code acks} for a
 * consumer) is left out; one no client knows (a plugin's) is passed on.
 *
 * <p>Immutable and thread-safe.
 */
public final class KafkaClients {
  /**
   * Keys whose value, when runstream sets one, the user cannot change: records are bytes runstream
   * decodes, offsets are committed after the work is done, and output of the processor's
   * transactions is read committed.
   */
  private static final Set<String> RUNSTREAM_OWNS =
      Set.of(
          ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
          ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
          ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
          ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
          ConsumerConfig.ISOLATION_LEVEL_CONFIG,
          ConsumerConfig.GROUP_ID_CONFIG,
          ProducerConfig.TRANSACTIONAL_ID_CONFIG,
          "application.id",
          "processing.guarantee");

  private static final Set<String> ANY_CLIENT = new HashSet<>();

  static {
    ANY_CLIENT.addAll(ProducerConfig.configNames());
    ANY_CLIENT.addAll(ConsumerConfig.configNames());
    ANY_CLIENT.addAll(AdminClientConfig.configNames());
  }

  private final String bootstrap;
  private final Map<String, Object> userProperties;

  private KafkaClients(String bootstrap, Map<String, ?> userProperties) {
    this.bootstrap = Objects.requireNonNull(bootstrap, "bootstrap");
    Map<String, Object> copy = new LinkedHashMap<>();
    Objects.requireNonNull(userProperties, "userProperties")
        .forEach((k, v) -> copy.put(Objects.requireNonNull(k), Objects.requireNonNull(v, k)));
    this.userProperties = java.util.Collections.unmodifiableMap(copy);
  }

  /** Clients of the cluster at {@code bootstrap}, with the user's {@code userProperties}. */
  public static KafkaClients of(String bootstrap, Map<String, ?> userProperties) {
    return new KafkaClients(bootstrap, userProperties);
  }

  /** Clients of the cluster at {@code bootstrap} with runstream's settings only. */
  public static KafkaClients of(String bootstrap) {
    return new KafkaClients(bootstrap, Map.of());
  }

  /**
   * The user's Kafka properties: {@code RUNSTREAM_KAFKA_PROPERTIES_FILE}, then {@code
   * RUNSTREAM_KAFKA_PROPERTIES} over it.
   *
   * @throws IllegalArgumentException naming the variable when the file cannot be read or a pair is
   *     malformed
   */
  public static Map<String, String> userProperties(ConfigProperties config) {
    Map<String, String> properties = new LinkedHashMap<>();
    config
        .getPath(Settings.KAFKA_PROPERTIES_FILE)
        .ifPresent(file -> properties.putAll(readFile(file)));
    properties.putAll(config.getMap(Settings.KAFKA_PROPERTIES));
    return properties;
  }

  private static Map<String, String> readFile(Path file) {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      p.load(in);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          Settings.KAFKA_PROPERTIES_FILE.name() + " cannot be read: " + file + " (" + e + ")", e);
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (String key : p.stringPropertyNames()) {
      map.put(key.strip(), p.getProperty(key).strip());
    }
    return map;
  }

  /** Kafka bootstrap servers. */
  public String bootstrap() {
    return bootstrap;
  }

  /** The user's properties, as given. */
  public Map<String, Object> userProperties() {
    return userProperties;
  }

  /** A producer's properties: {@code runstream}'s, the user's producer properties over them. */
  public Map<String, Object> producer(Map<String, ?> runstream) {
    return build(runstream, ProducerConfig.configNames());
  }

  /**
   * A consumer's properties, reading committed records only: the processor writes its output in
   * transactions, and an aborted one must not be stored or alerted on.
   */
  public Map<String, Object> consumer(Map<String, ?> runstream) {
    Map<String, Object> props = build(runstream, ConsumerConfig.configNames());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return props;
  }

  /** An admin client's properties. */
  public Map<String, Object> admin(Map<String, ?> runstream) {
    return build(runstream, AdminClientConfig.configNames());
  }

  /**
   * Kafka Streams properties: every user property passes (Streams hands client properties to its
   * clients itself).
   */
  public Map<String, Object> streams(Map<String, ?> runstream) {
    return build(runstream, null);
  }

  private Map<String, Object> build(Map<String, ?> runstream, Set<String> clientKeys) {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.putAll(runstream);
    userProperties.forEach(
        (key, value) -> {
          boolean otherClients =
              clientKeys != null && !clientKeys.contains(key) && ANY_CLIENT.contains(key);
          boolean owned = RUNSTREAM_OWNS.contains(key) && runstream.containsKey(key);
          if (!otherClients && !owned) {
            props.put(key, value);
          }
        });
    return props;
  }

  @Override
  public String toString() {
    // Keys only: values may be secrets.
    return "KafkaClients{bootstrap="
        + bootstrap
        + ", userProperties="
        + userProperties.keySet()
        + "}";
  }
}
