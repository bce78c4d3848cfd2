package dev.runstream.schemas;

/**
 * The Confluent Schema Registry wire format: byte {@code 0}, the schema id as a 4-byte big-endian
 * integer, then the Avro binary encoding of the value.
 */
public final class WireFormat {
  /** The first byte of every framed value. */
  public static final byte MAGIC_BYTE = 0;

  /** Bytes before the Avro payload: the magic byte and the schema id. */
  public static final int HEADER_SIZE = 5;

  private WireFormat() {}
}
