package dev.runstream.schemas;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-wire-format Avro into a specific record class, resolving the writer's schema
 * (fetched by id from the registry) against the reader's, so records written with an older
 * compatible schema still decode.
 *
 * <p>Anything that is not a well-formed framed record of a known schema fails with a {@link
 * SerializationException} whose message says what was wrong, so callers can dead-letter it with
 * that reason. Thread-safe.
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
  private final Schema readerSchema;
  private SchemaRegistry registry;
  private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();
  private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

  /** A deserializer whose registry comes from {@link #configure}. */
  public AvroDeserializer(Class<T> type) {
    this.readerSchema = SpecificData.get().getSchema(Objects.requireNonNull(type, "type"));
  }

  public AvroDeserializer(Class<T> type, SchemaRegistry registry) {
    this(type);
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    if (registry == null) {
      registry = SerdeConfig.registryFrom(configs);
    }
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    if (data.length < WireFormat.HEADER_SIZE) {
      throw new SerializationException(
          "value on "
              + topic
              + " is "
              + data.length
              + " bytes, shorter than the wire-format header");
    }
    if (data[0] != WireFormat.MAGIC_BYTE) {
      throw new SerializationException(
          "value on " + topic + " does not start with magic byte 0 (found " + data[0] + ")");
    }
    int id =
        ((data[1] & 0xff) << 24)
            | ((data[2] & 0xff) << 16)
            | ((data[3] & 0xff) << 8)
            | (data[4] & 0xff);
    DatumReader<T> reader;
    try {
      reader = readers.computeIfAbsent(id, this::newReader);
    } catch (SchemaRegistryException e) {
      throw new SerializationException(
          "value on "
              + topic
              + " names schema id "
              + id
              + " the registry cannot give: "
              + e.getMessage(),
          e);
    }
    BinaryDecoder decoder =
        DecoderFactory.get()
            .binaryDecoder(
                data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, decoders.get());
    decoders.set(decoder);
    try {
      T value = reader.read(null, decoder);
      if (!decoder.isEnd()) {
        throw new SerializationException(
            "value on " + topic + " has bytes left after a complete " + readerSchema.getName());
      }
      return value;
    } catch (IOException | RuntimeException e) {
      if (e instanceof SerializationException se) {
        throw se;
      }
      throw new SerializationException(
          "value on "
              + topic
              + " is not a valid "
              + readerSchema.getName()
              + " (schema id "
              + id
              + "): "
              + e,
          e);
    }
  }

  private DatumReader<T> newReader(int id) {
    Schema writerSchema = registry.schemaById(id);
    return new SpecificDatumReader<>(writerSchema, readerSchema);
  }
}
