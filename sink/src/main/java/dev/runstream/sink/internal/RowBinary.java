package dev.runstream.sink.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Encodes rows in ClickHouse's RowBinary format, which every server version since 2017 reads:
 * strings as an unsigned LEB128 length then UTF-8 bytes, numbers little-endian, {@code DateTime} as
 * UInt32 seconds, {@code Array(T)} as an LEB128 count then the items, {@code Nullable(T)} as a byte
 * 1 for null or 0 followed by the value. Columns are written in the table's column order, so each
 * table's row writer must follow its DDL exactly.
 *
 * <p>Not thread-safe; one per table buffer.
 */
public final class RowBinary {
  private final ByteArrayOutputStream out;

  public RowBinary() {
    this(4096);
  }

  public RowBinary(int initialCapacity) {
    this.out = new ByteArrayOutputStream(initialCapacity);
  }

  public RowBinary string(String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    varint(bytes.length);
    out.write(bytes, 0, bytes.length);
    return this;
  }

  /** An unsigned LEB128 integer: 7 bits per byte, low bits first, high bit set on all but last. */
  public RowBinary varint(long value) {
    long v = value;
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
    return this;
  }

  public RowBinary uint8(int value) {
    out.write(value & 0xFF);
    return this;
  }

  public RowBinary bool(boolean value) {
    return uint8(value ? 1 : 0);
  }

  public RowBinary int32(int value) {
    littleEndian(value, 4);
    return this;
  }

  public RowBinary uint32(long value) {
    littleEndian(value, 4);
    return this;
  }

  public RowBinary int64(long value) {
    littleEndian(value, 8);
    return this;
  }

  /** UInt64 has the same bytes as Int64; the caller guarantees the value is not negative. */
  public RowBinary uint64(long value) {
    return int64(value);
  }

  /** Raw IEEE-754 bits, so NaN and infinities arrive as they are. */
  public RowBinary float64(double value) {
    return int64(Double.doubleToRawLongBits(value));
  }

  /**
   * A {@code DateTime}: seconds since the epoch as UInt32, clamped to the type's range (1970 to
   * 2106) so a wild client clock cannot wrap around.
   */
  public RowBinary dateTime(long epochMillis) {
    long seconds = Math.floorDiv(epochMillis, 1000L);
    return uint32(Math.max(0L, Math.min(seconds, 0xFFFF_FFFFL)));
  }

  public RowBinary stringArray(List<String> values) {
    varint(values.size());
    for (String value : values) {
      string(value);
    }
    return this;
  }

  public RowBinary nullableString(String value) {
    if (value == null) {
      return uint8(1);
    }
    return uint8(0).string(value);
  }

  public RowBinary nullableInt64(Long value) {
    if (value == null) {
      return uint8(1);
    }
    return uint8(0).int64(value);
  }

  public RowBinary nullableInt32(Integer value) {
    if (value == null) {
      return uint8(1);
    }
    return uint8(0).int32(value);
  }

  public RowBinary nullableFloat64(Double value) {
    if (value == null) {
      return uint8(1);
    }
    return uint8(0).float64(value);
  }

  /** Bytes written so far. */
  public int size() {
    return out.size();
  }

  /** A copy of the bytes written so far. */
  public byte[] toByteArray() {
    return out.toByteArray();
  }

  public void reset() {
    out.reset();
  }

  private void littleEndian(long value, int bytes) {
    for (int i = 0; i < bytes; i++) {
      out.write((int) (value >>> (8 * i)) & 0xFF);
    }
  }
}
