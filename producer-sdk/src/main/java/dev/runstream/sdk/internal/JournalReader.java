package dev.runstream.sdk.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a run directory's journal (see {@link JournalWriter}) in sequence order, from any sequence.
 * A frame with a bad length or checksum ends its segment: that is the torn tail a crash leaves; the
 * bytes after it are counted as {@link #skippedBytes()} and reading goes on with the next segment.
 *
 * <p>A reader is a cursor: {@link #next()} may be called again after it returned null, and it
 * returns frames appended since. Not thread-safe.
 */
final class JournalReader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JournalReader.class);

  private final Path dir;
  private final long fromSequence;
  private final CRC32C crc = new CRC32C();
  private final ByteBuffer header = ByteBuffer.allocate(JournalWriter.HEADER);
  private List<Path> segments = List.of();
  private int index = -1;
  private FileChannel channel;
  private long position;
  private long skippedBytes;
  private int damagedSegments;

  JournalReader(Path dir, long fromSequence) {
    this.dir = dir;
    this.fromSequence = fromSequence;
  }

  /** Segment files in sequence order. */
  static List<Path> segments(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().startsWith("segment-"))
          .filter(p -> p.getFileName().toString().endsWith(".log"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list journal segments in " + dir, e);
    }
  }

  /** Bytes skipped after damaged frames (a torn tail after a crash). */
  long skippedBytes() {
    return skippedBytes;
  }

  /**
   * Bytes after the last whole frame of the current segment: a torn tail when the writer is gone.
   */
  long tailBytes() throws IOException {
    return channel == null ? 0 : Math.max(0, channel.size() - position);
  }

  /** Segments that ended in a damaged frame. */
  int damagedSegments() {
    return damagedSegments;
  }

  /**
   * The next record at or after the starting sequence, or null when none is readable now (call
   * again later for records appended since).
   */
  JournalRecord next() throws IOException {
    while (true) {
      if (channel == null && !openNext()) {
        return null;
      }
      long size = channel.size();
      if (size - position >= JournalWriter.HEADER) {
        header.clear();
        readFully(header, position);
        int length = header.getInt(0);
        int expected = header.getInt(4);
        if (length < JournalWriter.PAYLOAD_HEADER || length > JournalWriter.MAX_FRAME) {
          damaged(size);
          continue;
        }
        if (size - position - JournalWriter.HEADER >= length) {
          ByteBuffer payload = ByteBuffer.allocate(length);
          readFully(payload, position + JournalWriter.HEADER);
          crc.reset();
          crc.update(payload.array(), 0, length);
          if ((int) crc.getValue() != expected) {
            damaged(size);
            continue;
          }
          position += JournalWriter.HEADER + length;
          payload.flip();
          long sequence = payload.getLong();
          RecordKind kind = RecordKind.of(payload.get());
          int points = payload.getInt();
          long step = payload.getLong();
          byte[] body = new byte[payload.remaining()];
          payload.get(body);
          if (kind == null) {
            log.warn("journal {} holds a record of an unknown kind at sequence {}", dir, sequence);
            continue;
          }
          if (sequence >= fromSequence) {
            return new JournalRecord(sequence, kind, points, step, body);
          }
          continue;
        }
      }
      // The segment ends here for now: move on only if a later segment exists (then this one is
      // complete, and any partial frame at its end is a torn tail).
      if (!hasLaterSegment()) {
        return null;
      }
      if (size > position) {
        damaged(size);
        continue;
      }
      closeChannel();
    }
  }

  private void damaged(long size) throws IOException {
    skippedBytes += size - position;
    damagedSegments++;
    log.warn(
        "journal segment {} is damaged at byte {}; {} bytes after it are skipped",
        segments.get(index),
        position,
        size - position);
    closeChannel();
  }

  private boolean hasLaterSegment() {
    if (index + 1 < segments.size()) {
      return true;
    }
    segments = segments(dir);
    return index + 1 < segments.size();
  }

  private boolean openNext() throws IOException {
    if (index + 1 >= segments.size()) {
      segments = segments(dir);
      if (index + 1 >= segments.size()) {
        return false;
      }
    }
    if (index < 0) {
      index = firstSegmentFor(segments, fromSequence);
    } else {
      index++;
    }
    channel = FileChannel.open(segments.get(index), StandardOpenOption.READ);
    position = 0;
    return true;
  }

  // Skips whole segments that end before the starting sequence: a segment's name is its first
  // sequence, so the one to start in is the last whose name is not after fromSequence.
  private static int firstSegmentFor(List<Path> segments, long fromSequence) {
    int start = 0;
    for (int i = 0; i < segments.size(); i++) {
      if (firstSequenceOf(segments.get(i)) <= fromSequence) {
        start = i;
      }
    }
    return start;
  }

  static long firstSequenceOf(Path segment) {
    String name = segment.getFileName().toString();
    try {
      return Long.parseLong(name.substring("segment-".length(), "segment-".length() + 20));
    } catch (RuntimeException e) {
      return 0;
    }
  }

  private void readFully(ByteBuffer b, long at) throws IOException {
    long p = at;
    while (b.hasRemaining()) {
      int n = channel.read(b, p);
      if (n < 0) {
        throw new IOException("unexpected end of " + segments.get(index));
      }
      p += n;
    }
  }

  private void closeChannel() throws IOException {
    if (channel != null) {
      channel.close();
      channel = null;
    }
  }

  /** Reads every record from {@code fromSequence}. */
  static List<JournalRecord> readAll(Path dir, long fromSequence) throws IOException {
    List<JournalRecord> all = new ArrayList<>();
    try (JournalReader reader = new JournalReader(dir, fromSequence)) {
      for (JournalRecord r = reader.next(); r != null; r = reader.next()) {
        all.add(r);
      }
    }
    return all;
  }

  @Override
  public void close() throws IOException {
    closeChannel();
  }
}
