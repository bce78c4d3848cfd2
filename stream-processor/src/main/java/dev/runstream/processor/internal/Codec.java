package dev.runstream.processor.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/** Small helpers of the binary formats of the internal stores. */
final class Codec {
  private Codec() {}

  /**
   * A growable byte array to write a store value into: {@link java.io.ByteArrayOutputStream}
   * without its lock, which the hot path paid on each of the hundreds of small writes of every
   * record's state. Not thread-safe.
   */
  static final class Bytes extends OutputStream {
    private byte[] buf;
    private int count;

    Bytes(int initialCapacity) {
      buf = new byte[initialCapacity];
    }

    @Override
    public void write(int b) {
      ensure(1);
      buf[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, buf, count, len);
      count += len;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, count);
    }

    private void ensure(int more) {
      if (count + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
      }
    }
  }

  static void writeNullable(DataOutputStream out, String s) throws IOException {
    out.writeBoolean(s != null);
    if (s != null) {
      out.writeUTF(s);
    }
  }

  static String readNullable(DataInputStream in) throws IOException {
    return in.readBoolean() ? in.readUTF() : null;
  }
}
