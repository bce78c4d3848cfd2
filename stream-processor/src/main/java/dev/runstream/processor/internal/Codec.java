package dev.runstream.processor.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** Small helpers of the binary formats of the internal stores. */
final class Codec {
  private Codec() {}

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
