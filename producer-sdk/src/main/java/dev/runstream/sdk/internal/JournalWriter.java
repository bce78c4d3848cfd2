package dev.runstream.sdk.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Appends records to a run directory's journal: append-only segment files {@code segment-<first
 * sequence>.log} of frames {@code [int length][int crc32c][payload]}, the payload being {@code
 * [long sequence][byte kind][int points][long step][Avro body]}, big-endian.
 *
 * <p>Segments are written through memory maps: a frame is in the kernel's page cache as soon as
 * {@link #append} returns, so it survives the death of the process (SIGKILL included) without a
 * system call per record; {@link #sync()} forces it to the device (then it survives a power cut). A
 * segment is created at {@link #INITIAL_SEGMENT_BYTES} (or the limit, if smaller) and each next one
 * twice as large up to the limit, so an idle run costs a small sparse file. The bytes after the
 * last frame are zeros; a frame's length is written last, so a zero length ends what was written (a
 * frame the process died in the middle of included) and a reader never needs the file size.
 *
 * <p>A new segment is started by every writer (so a torn tail left by a crash is never appended to)
 * and when the current one cannot take the next frame: creating and mapping a file, the one bounded
 * file operation an append may wait for (the full segment is forced by the next {@link #sync()}).
 * {@link #close()} forces the journal and trims the last segment to its frames.
 *
 * <p>Not thread-safe: the owner serialises calls. {@link #segment()} and {@link #written()} may be
 * read from any thread (a reader in the same process reads the live segment up to {@code written}).
 */
final class JournalWriter implements Closeable {
  static final int HEADER = 8;
  static final int PAYLOAD_HEADER = 8 + 1 + 4 + 8;
  static final int MAX_FRAME = 64 * 1024 * 1024;
  static final long INITIAL_SEGMENT_BYTES = 1L << 20;

  private final Path dir;
  private final long segmentBytes;
  private final CRC32C crc = new CRC32C();
  private final byte[] payloadHeaderBytes = new byte[PAYLOAD_HEADER];
  private final ByteBuffer payloadHeader = ByteBuffer.wrap(payloadHeaderBytes);
  private MappedByteBuffer map;
  private long nextSize;
  private volatile Path segment;
  // Bytes of whole frames in the current segment; published after each frame.
  private volatile int written;
  // The part of the current segment not yet forced, [syncedTo, written).
  private int syncedTo;
  // Full segments not forced yet.
  private final List<Unsynced> rolled = new ArrayList<>();

  /**
   * @param segmentBytes the largest segment; the first is the smaller of this and {@link
   *     #INITIAL_SEGMENT_BYTES}
   */
  JournalWriter(Path dir, long firstSequence, long segmentBytes) throws IOException {
    this.dir = dir;
    this.segmentBytes = Math.min(segmentBytes, Integer.MAX_VALUE);
    this.nextSize = Math.min(this.segmentBytes, INITIAL_SEGMENT_BYTES);
    openSegment(firstSequence, 0);
  }

  static String segmentName(long firstSequence) {
    return String.format("segment-%020d.log", firstSequence);
  }

  private void openSegment(long firstSequence, int atLeast) throws IOException {
    Path path = dir.resolve(segmentName(firstSequence));
    for (int i = 1; Files.exists(path); i++) {
      // A segment with this first sequence holds no valid record (the last writer died before
      // its first frame reached the disk); keep it for inspection and write beside it.
      path = dir.resolve(String.format("segment-%020d.%d.log", firstSequence, i));
    }
    long size = Math.max(nextSize, atLeast);
    nextSize = Math.min(segmentBytes, nextSize * 2);
    try (FileChannel channel =
        FileChannel.open(
            path,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      // Mapping past the end extends the file (sparse: disk blocks are taken as frames land).
      map = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
    }
    written = 0;
    syncedTo = 0;
    segment = path;
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

  /** Bytes of whole frames in {@link #segment()}. */
  int written() {
    return written;
  }

  /**
   * Appends one frame; rolls to a new segment first when this one cannot take it. The body is
   * {@code body[bodyOffset .. bodyOffset + bodyLength)}. When this returns, the frame survives the
   * death of the process.
   *
   * @throws IOException when the frame is too large or the disk refuses it (a full disk); nothing
   *     of it is readable then
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
    int frame = HEADER + payload;
    int start = written;
    if (map.capacity() - start < frame) {
      // The full segment is forced by the next sync (within the fsync interval, or at once if the
      // owner asks), not here: a 64 MiB force must not stall the caller's log().
      rolled.add(takeUnsynced());
      openSegment(sequence, frame);
      start = 0;
    }
    // The payload's header is built on the heap and checksummed there with the body: the same
    // checksum as over the mapped bytes, without a view of the mapping per frame.
    payloadHeader.putLong(0, sequence).put(8, kind.code).putInt(9, points).putLong(13, step);
    crc.reset();
    crc.update(payloadHeaderBytes, 0, PAYLOAD_HEADER);
    crc.update(body, bodyOffset, bodyLength);
    try {
      map.put(start + HEADER, payloadHeaderBytes, 0, PAYLOAD_HEADER)
          .put(start + HEADER + PAYLOAD_HEADER, body, bodyOffset, bodyLength);
      map.putInt(start + 4, (int) crc.getValue());
      // The length last: until it is there, the frame does not exist for a reader.
      map.putInt(start, payload);
    } catch (InternalError e) {
      // What the JVM makes of SIGBUS on a mapped page the file system cannot back (a full disk).
      throw new IOException("the file system refused a page of " + segment + ": " + e, e);
    }
    written = start + frame;
  }

  /** Kept for callers of the buffered journal: frames reach the operating system in append. */
  void flush() {}

  /** Forces what was appended since the last time to the storage device. */
  void sync() throws IOException {
    for (Unsynced u : takeAllUnsynced()) {
      u.force();
    }
  }

  /** Whether segments filled since the last {@link #takeAllUnsynced()} wait to be forced. */
  boolean rolledSinceSync() {
    return !rolled.isEmpty();
  }

  /**
   * What was appended since the last call and is not forced yet (full segments first), to be forced
   * later, possibly outside the owner's lock, concurrently with appends.
   */
  List<Unsynced> takeAllUnsynced() {
    List<Unsynced> all = new ArrayList<>(rolled);
    rolled.clear();
    all.add(takeUnsynced());
    return all;
  }

  private Unsynced takeUnsynced() {
    int to = written;
    Unsynced u = new Unsynced(map, syncedTo, to - syncedTo);
    syncedTo = to;
    return u;
  }

  /** A range of a mapped segment to force. */
  record Unsynced(MappedByteBuffer map, int from, int length) {
    void force() throws IOException {
      if (length == 0) {
        return;
      }
      try {
        map.force(from, length);
      } catch (java.io.UncheckedIOException e) {
        throw e.getCause();
      }
    }
  }

  @Override
  public void close() throws IOException {
    sync();
    // Trim the zeros after the last frame: a finished run's segments are only its frames. The
    // mapping stays valid for the garbage collector to release; nothing reads past written.
    try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      channel.truncate(written);
    } catch (IOException e) {
      // The zeros are harmless to a reader.
    }
  }
}
