package dev.runstream.schemas;

import org.apache.avro.Schema;

/**
 * The part of the Confluent Schema Registry API that runstream uses.
 *
 * <p>Implementations are thread-safe. Calls may block on the network; callers on a hot path rely on
 * the caching of {@link HttpSchemaRegistryClient}, which answers repeated questions from memory.
 */
public interface SchemaRegistry {

  /**
   * Registers {@code schema} under {@code subject} (or finds it already registered) and returns its
   * global id.
   *
   * @throws SchemaRegistryException when the registry refuses the schema or cannot be reached
   */
  int register(String subject, Schema schema);

  /**
   * Returns the schema with the given global id.
   *
   * @throws SchemaRegistryException when there is no such id or the registry cannot be reached
   */
  Schema schemaById(int id);

  /**
   * Tells whether {@code schema} may be registered as the next version of {@code subject} under the
   * subject's compatibility rule; true when the subject has no version yet.
   */
  boolean isCompatible(String subject, Schema schema);

  /** The subject name for the values of {@code topic} under the TopicNameStrategy. */
  static String valueSubject(String topic) {
    return topic + "-value";
  }
}
