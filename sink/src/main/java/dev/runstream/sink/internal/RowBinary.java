package dev.runstream.sink.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
  // One store per number instead of a byte at a time: numbers are most of a metric row.
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  // A plain growable array: ByteArrayOutputStream takes a lock per byte written, which was most of
  // the cost of encoding a metric point.
  private byte[] buf;
  private int size;

  public RowBinary() {
    this(4096);
  }

  public RowBinary(int initialCapacity) {
    this.buf = new byte[Math.max(16, initialCapacity)];
  }

  public RowBinary string(String value) {
    return utf8(value.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A string already encoded as UTF-8: for values repeated in every row of a record (team, project,
   * run id), encoded once.
   */
  public RowBinary utf8(byte[] bytes) {
    varint(bytes.length);
    return raw(bytes, 0, bytes.length);
  }

  /** Bytes as they are, e.g. rows another {@link RowBinary} encoded. */
  public RowBinary raw(byte[] bytes, int offset, int length) {
    ensure(length);
    System.arraycopy(bytes, offset, buf, size, length);
    size += length;
    return this;
  }

  /** An unsigned LEB128 integer: 7 bits per byte, low bits first, high bit set on all but last. */
  public RowBinary varint(long value) {
    ensure(10);
    long v = value;
    while ((v & ~0x7FL) != 0) {
      buf[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[size++] = (byte) v;
    return this;
  }

  public RowBinary uint8(int value) {
    ensure(1);
    buf[size++] = (byte) value;
    return this;
  }

  public RowBinary bool(boolean value) {
    return uint8(value ? 1 : 0);
  }

  public RowBinary int32(int value) {
    ensure(4);
    INT.set(buf, size, value);
    size += 4;
    return this;
  }

  /** The low 32 bits of {@code value}. */
  public RowBinary uint32(long value) {
    return int32((int) value);
  }

  public RowBinary int64(long value) {
    ensure(8);
    LONG.set(buf, size, value);
    size += 8;
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
    return size;
  }

  /**
   * The bytes written so far: the buffer itself when they fill it exactly (a writer that knows the
   * size spares a copy of megabytes; a later write moves to a new buffer), else a copy.
   */
  public byte[] toByteArray() {
    return size == buf.length ? buf : Arrays.copyOf(buf, size);
  }

  /** The buffer itself; only its first {@link #size()} bytes are written. */
  byte[] array() {
    return buf;
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      long wanted = Math.max((long) buf.length * 2, (long) size + more);
      if (wanted > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("RowBinary buffer over 2 GiB");
      }
      buf = Arrays.copyOf(buf, (int) wanted);
    }
  }
}
