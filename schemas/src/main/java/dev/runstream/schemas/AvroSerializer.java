package dev.runstream.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serializes Avro specific records in the Confluent wire format, registering each record's schema
 * under the topic's {@code <topic>-value} subject on first use (TopicNameStrategy), so Kafka
 * Connect, ksqlDB, kcat and other Confluent-compatible tools can read what runstream writes.
 *
 * <p>Thread-safe: a producer may call it from many threads. Only the first record of a schema per
 * topic asks the registry; the rest are served from the client's cache.
 */
public final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {
  private SchemaRegistry registry;
  private final Map<Schema, DatumWriter<T>> writers = new ConcurrentHashMap<>();
  private final ThreadLocal<BinaryEncoder> encoders = new ThreadLocal<>();

  /** For Kafka's reflective construction; {@link #configure} must follow. */
  public AvroSerializer() {}

  public AvroSerializer(SchemaRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    if (registry == null) {
      registry = SerdeConfig.registryFrom(configs);
    }
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    if (registry == null) {
      throw new IllegalStateException(
          "AvroSerializer has no schema registry: set " + SerdeConfig.SCHEMA_REGISTRY_URL);
    }
    Schema schema = data.getSchema();
    int id = registry.register(SchemaRegistry.valueSubject(topic), schema);
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    out.write(WireFormat.MAGIC_BYTE);
    out.write(id >>> 24);
    out.write(id >>> 16);
    out.write(id >>> 8);
    out.write(id);
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, encoders.get());
    encoders.set(encoder);
    try {
      writers.computeIfAbsent(schema, SpecificDatumWriter::new).write(data, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "cannot serialize " + schema.getFullName() + " for topic " + topic + ": " + e, e);
    }
    return out.toByteArray();
  }
}
