package dev.runstream.sdk.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Appends records to a run directory's journal: append-only segment files {@code segment-<first
 * sequence>.log} of frames {@code [int length][int crc32c][payload]}, the payload being {@code
 * [long sequence][byte kind][int points][long step][Avro body]}, big-endian.
 *
 * <p>A new segment is started by every writer (so a torn tail left by a crash is never appended to)
 * and when a segment exceeds its size limit. Frames are buffered in memory; {@link #flush()} hands
 * them to the operating system (they then survive the death of the JVM, e.g. {@code kill -9});
 * {@link #sync()} also forces them to the device (they then survive a power cut).
 *
 * <p>Not thread-safe: the owner serialises calls.
 */
final class JournalWriter implements Closeable {
  static final int HEADER = 8;
  static final int PAYLOAD_HEADER = 8 + 1 + 4 + 8;
  static final int MAX_FRAME = 64 * 1024 * 1024;

  private final Path dir;
  private final long segmentBytes;
  private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
  private final CRC32C crc = new CRC32C();
  private FileChannel channel;
  private Path segment;
  private long segmentSize;
  private boolean dirty;

  JournalWriter(Path dir, long firstSequence, long segmentBytes) throws IOException {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    openSegment(firstSequence);
  }

  static String segmentName(long firstSequence) {
    return String.format("segment-%020d.log", firstSequence);
  }

  private void openSegment(long firstSequence) throws IOException {
    Path path = dir.resolve(segmentName(firstSequence));
    for (int i = 1; Files.exists(path); i++) {
      // A segment with this first sequence holds no valid record (the last writer died before
      // its first frame reached the disk); keep it for inspection and write beside it.
      path = dir.resolve(String.format("segment-%020d.%d.log", firstSequence, i));
    }
    channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    segment = path;
    segmentSize = 0;
    // The new file's directory entry must be durable too, or an fsync of the file alone may
    // leave it unreachable after a power cut.
    forceDirectory(dir);
  }

  static void forceDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Some platforms (Windows) cannot open directories; the file's own fsync is the best we get.
    }
  }

  /** The segment being written. */
  Path segment() {
    return segment;
  }

  /**
   * Appends one frame to the buffer; rolls to a new segment first when this one is full. The body
   * is {@code body[bodyOffset .. bodyOffset + bodyLength)}.
   */
  void append(
      long sequence,
      RecordKind kind,
      int points,
      long step,
      byte[] body,
      int bodyOffset,
      int bodyLength)
      throws IOException {
    int payload = PAYLOAD_HEADER + bodyLength;
    if (payload > MAX_FRAME) {
      throw new IOException("record of " + payload + " bytes exceeds the journal's frame limit");
    }
    if (segmentSize > 0 && segmentSize + HEADER + payload > segmentBytes) {
      sync();
      channel.close();
      openSegment(sequence);
    }
    ByteBuffer frame;
    boolean direct = HEADER + payload > buffer.capacity();
    if (direct) {
      flush();
      frame = ByteBuffer.allocate(HEADER + payload);
    } else {
      if (buffer.remaining() < HEADER + payload) {
        flush();
      }
      frame = buffer;
    }
    int start = frame.position();
    frame.putInt(payload).putInt(0);
    frame.putLong(sequence).put(kind.code).putInt(points).putLong(step);
    frame.put(body, bodyOffset, bodyLength);
    crc.reset();
    crc.update(frame.array(), start + HEADER, payload);
    frame.putInt(start + 4, (int) crc.getValue());
    segmentSize += HEADER + payload;
    dirty = true;
    if (direct) {
      frame.flip();
      writeFully(frame);
    }
  }

  /** Hands buffered frames to the operating system. */
  void flush() throws IOException {
    if (buffer.position() > 0) {
      buffer.flip();
      writeFully(buffer);
      buffer.clear();
    }
  }

  /** Flushes and forces the segment to the storage device, if anything changed since last time. */
  void sync() throws IOException {
    flush();
    if (dirty) {
      channel.force(false);
      dirty = false;
    }
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      sync();
    } finally {
      channel.close();
    }
  }
}
