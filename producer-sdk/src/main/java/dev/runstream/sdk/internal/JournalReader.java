package dev.runstream.sdk.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
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
 * A zero length ends the written part of a segment (the rest of a segment the writer mapped but did
 * not fill, or a frame it died writing before its length).
 *
 * <p>Segments are read through read-only memory maps. A reader given the live {@link JournalWriter}
 * of its own process reads the segment being written only up to what the writer published, so it
 * never sees a frame half written.
 *
 * <p>A reader is a cursor: {@link #next()} may be called again after it returned null, and it
 * returns frames appended since. Not thread-safe.
 */
final class JournalReader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JournalReader.class);

  private final Path dir;
  private final long fromSequence;
  private final JournalWriter live;
  private final int headroom;
  private final CRC32C crc = new CRC32C();
  private List<Path> segments = List.of();
  private int index = -1;
  private MappedByteBuffer map;
  private int position;
  private long skippedBytes;
  private int damagedSegments;
  // Whether the segment read is the live writer's current one, as last computed for liveSegment.
  private Path liveSegment;
  private boolean liveIsRead;

  JournalReader(Path dir, long fromSequence) {
    this(dir, fromSequence, null);
  }

  /**
   * @param live the writer of this journal in this process, or null when no process writes it
   */
  JournalReader(Path dir, long fromSequence, JournalWriter live) {
    this(dir, fromSequence, live, 0);
  }

  /**
   * @param headroom bytes left free before each record's body in its {@link
   *     JournalRecord#buffer()}, for a header its user writes there
   */
  JournalReader(Path dir, long fromSequence, JournalWriter live, int headroom) {
    this.dir = dir;
    this.fromSequence = fromSequence;
    this.live = live;
    this.headroom = headroom;
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
   * Bytes after the last whole frame of the current segment up to its last non-zero byte: a torn
   * tail when the writer is gone (the zeros a writer mapped and did not fill are not counted).
   */
  long tailBytes() {
    if (map == null) {
      return 0;
    }
    int end = map.capacity();
    while (end > position && map.get(end - 1) == 0) {
      end--;
    }
    return Math.max(0, end - position);
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
      if (map == null && !openNext()) {
        return null;
      }
      Path segment = segments.get(index);
      boolean writing = false;
      int limit = map.capacity();
      if (live != null) {
        // The writer publishes a new segment's name after resetting its count: a count read
        // between two reads of the same name belongs to that segment (or is a new one's 0).
        Path current = live.segment();
        int published = live.written();
        if (current == live.segment() && isLive(segment, current)) {
          writing = true;
          limit = Math.min(published, limit);
        }
      }
      int length = 0;
      if (limit - position >= JournalWriter.HEADER) {
        length = map.getInt(position);
        int expected = map.getInt(position + 4);
        if (length != 0) {
          if (length < JournalWriter.PAYLOAD_HEADER || length > JournalWriter.MAX_FRAME) {
            damaged(limit);
            continue;
          }
          if (limit - position - JournalWriter.HEADER >= length) {
            int at = position + JournalWriter.HEADER;
            // A frame of the live segment was published by this process's writer after it was
            // written whole (a checksum only catches what a crash tore): no need to check it.
            if (!writing) {
              crc.reset();
              crc.update(map.slice(at, length));
              if ((int) crc.getValue() != expected) {
                damaged(limit);
                continue;
              }
            }
            position += JournalWriter.HEADER + length;
            long sequence = map.getLong(at);
            RecordKind kind = RecordKind.of(map.get(at + 8));
            int points = map.getInt(at + 9);
            long step = map.getLong(at + 13);
            if (sequence < fromSequence) {
              continue;
            }
            int bodyLength = length - JournalWriter.PAYLOAD_HEADER;
            byte[] buffer = new byte[headroom + bodyLength];
            map.get(at + JournalWriter.PAYLOAD_HEADER, buffer, headroom, bodyLength);
            if (kind == null) {
              log.warn(
                  "journal {} holds a record of an unknown kind at sequence {}", dir, sequence);
              continue;
            }
            return new JournalRecord(sequence, kind, points, step, buffer, headroom);
          }
        }
      }
      // The segment ends here for now: move on only if a later segment exists (then this one is
      // complete, and any partial frame at its end is a torn tail). The segment being written has
      // none.
      if (writing) {
        return null;
      }
      if (!hasLaterSegment()) {
        if (grown(segment)) {
          continue;
        }
        return null;
      }
      if (length != 0 && limit > position) {
        damaged(limit);
        continue;
      }
      map = null;
    }
  }

  // Compared again only when the writer rolled to another segment or the reader moved on.
  private boolean isLive(Path segment, Path current) {
    if (current != liveSegment) {
      liveSegment = current;
      liveIsRead = segment.equals(current);
    }
    return liveIsRead;
  }

  // A segment of an older writer that appended to its file, or one another process maps larger.
  private boolean grown(Path segment) throws IOException {
    long size;
    try {
      size = Files.size(segment);
    } catch (IOException e) {
      return false;
    }
    if (size <= map.capacity()) {
      return false;
    }
    map = mapOf(segment);
    return true;
  }

  private void damaged(long size) {
    skippedBytes += size - position;
    damagedSegments++;
    log.warn(
        "journal segment {} is damaged at byte {}; {} bytes after it are skipped",
        segments.get(index),
        position,
        size - position);
    map = null;
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
    map = mapOf(segments.get(index));
    position = 0;
    liveSegment = null;
    return true;
  }

  private static MappedByteBuffer mapOf(Path segment) throws IOException {
    try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ)) {
      long size = Math.min(channel.size(), Integer.MAX_VALUE);
      return channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
    }
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
    // The mapping is released by the garbage collector; nothing to close before.
    map = null;
  }
}
