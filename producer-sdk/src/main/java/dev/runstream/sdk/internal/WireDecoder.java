package dev.runstream.sdk.internal;

import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.WireFormat;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunSummary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes the values a run lookup reads (Confluent wire format: magic byte, schema id, Avro
 * binary), resolving the writer's schema from the registry so records of older compatible schemas
 * decode. When the registry cannot give a schema, that id is read with the SDK's own schema (what
 * this SDK writes) and the registry is not asked again during this lookup: a registry outage costs
 * one timeout, not one per record. Not thread-safe.
 */
final class WireDecoder implements BackwardScan.Decoder {
  private static final Logger log = LoggerFactory.getLogger(WireDecoder.class);

  private final SchemaRegistry registry;
  private final Map<Integer, Schema> writers = new HashMap<>();
  private final Map<String, SpecificDatumReader<Object>> readers = new HashMap<>();
  private boolean registryDown;
  private BinaryDecoder decoder;

  WireDecoder(SchemaRegistry registry) {
    this.registry = registry;
  }

  @Override
  public Object decode(BackwardScan.Source source, byte[] value) {
    if (value.length < WireFormat.HEADER_SIZE || value[0] != WireFormat.MAGIC_BYTE) {
      throw new IllegalArgumentException("not a wire-format value");
    }
    int id =
        ((value[1] & 0xff) << 24)
            | ((value[2] & 0xff) << 16)
            | ((value[3] & 0xff) << 8)
            | (value[4] & 0xff);
    Schema reader = readerSchema(source);
    Schema writer = writers.computeIfAbsent(id, i -> writerSchema(i, reader));
    SpecificDatumReader<Object> datumReader =
        readers.computeIfAbsent(id + "/" + source, k -> new SpecificDatumReader<>(writer, reader));
    decoder =
        DecoderFactory.get()
            .binaryDecoder(
                value, WireFormat.HEADER_SIZE, value.length - WireFormat.HEADER_SIZE, decoder);
    try {
      return datumReader.read(null, decoder);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Schema writerSchema(int id, Schema own) {
    if (!registryDown) {
      try {
        return registry.schemaById(id);
      } catch (RuntimeException e) {
        registryDown = true;
        log.warn(
            "the schema registry did not give schema {} ({}); records are read with the SDK's own"
                + " schemas",
            id,
            e.getMessage());
      }
    }
    return own;
  }

  private static Schema readerSchema(BackwardScan.Source source) {
    return switch (source) {
      case RUNS -> RunEvent.getClassSchema();
      case METRICS, SYSTEM -> MetricBatch.getClassSchema();
      case ALERTS -> Alert.getClassSchema();
      case SUMMARIES -> RunSummary.getClassSchema();
    };
  }
}
