package dev.runstream.schemas;

import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;

/**
 * A runstream topic: its name and the type of its values. Keys are always the run id as a UTF-8
 * string, so every record of a run lands in one partition, in order.
 *
 * @param name the topic's name, team prefix included
 * @param valueType the Avro class of its values
 * @param compacted whether the topic keeps only the latest value per run
 */
public record Topic<V extends SpecificRecord>(String name, Class<V> valueType, boolean compacted) {
  public Topic {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(valueType, "valueType");
    if (name.isBlank()) {
      throw new IllegalArgumentException("topic name must not be blank");
    }
  }

  /** A serde for this topic's values backed by {@code registry}. */
  public AvroSerde<V> serde(SchemaRegistry registry) {
    return new AvroSerde<>(valueType, registry);
  }
}
