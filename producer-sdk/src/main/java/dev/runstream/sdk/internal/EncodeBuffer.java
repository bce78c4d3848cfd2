package dev.runstream.sdk.internal;

import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer that records are encoded into once and read from without a copy: Avro's
 * encoders write to it as an {@link OutputStream}, {@link MetricBatchEncoder} through its Avro
 * primitives. Unlike {@link java.io.ByteArrayOutputStream} its methods are not synchronized. Not
 * thread-safe.
 */
final class EncodeBuffer extends OutputStream {
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private byte[] buf;
  private int size;

  EncodeBuffer(int capacity) {
    buf = new byte[capacity];
  }

  /** Empties the buffer and leaves {@code reserved} bytes (zeros) at its start for a header. */
  void reset(int reserved) {
    ensure(reserved);
    Arrays.fill(buf, 0, reserved, (byte) 0);
    size = reserved;
  }

  /** The bytes written so far are {@code array()[0 .. size())}. */
  byte[] array() {
    return buf;
  }

  int size() {
    return size;
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }

  @Override
  public void write(int b) {
    ensure(1);
    buf[size++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) {
    ensure(len);
    System.arraycopy(b, off, buf, size, len);
    size += len;
  }

  /** An Avro {@code long} (or {@code int}, or an array block count): zig-zag, then a varint. */
  void writeLong(long n) {
    ensure(10);
    long v = (n << 1) ^ (n >> 63);
    while ((v & ~0x7FL) != 0) {
      buf[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[size++] = (byte) v;
  }

  /** Avro {@code double}s: the raw IEEE 754 bits, little-endian (NaN payloads kept). */
  void writeDoubles(double[] values) {
    ensure(8 * values.length);
    for (double d : values) {
      LONG_LE.set(buf, size, Double.doubleToRawLongBits(d));
      size += 8;
    }
  }

  /** An Avro {@code string}: its UTF-8 length, then its UTF-8 bytes. */
  void writeString(String s) {
    int length = s.length();
    ensure(5 + length);
    int start = size;
    // Metric names are nearly always ASCII: write those chars straight after a length of one or
    // two bytes; anything else goes the way Avro's own encoder does (String.getBytes).
    if (length < 64) {
      size++;
      for (int i = 0; i < length; i++) {
        char c = s.charAt(i);
        if (c >= 0x80) {
          size = start;
          writeUtf8(s);
          return;
        }
        buf[size++] = (byte) c;
      }
      buf[start] = (byte) (length << 1);
      return;
    }
    writeUtf8(s);
  }

  private void writeUtf8(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    writeLong(bytes.length);
    write(bytes, 0, bytes.length);
  }
}
