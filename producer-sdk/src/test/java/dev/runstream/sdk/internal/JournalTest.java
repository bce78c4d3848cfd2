package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
  @TempDir Path dir;

  private static byte[] body(int i) {
    return ("record-" + i).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void shouldReadBackEveryRecordFromAnySequenceAcrossSegments() throws IOException {
    try (JournalWriter w = new JournalWriter(dir, 0, 200)) {
      for (int i = 0; i < 20; i++) {
        w.append(i, RecordKind.METRICS, 2, i, body(i), 0, body(i).length);
      }
    }
    assertThat(JournalReader.segments(dir)).hasSizeGreaterThan(1);
    List<JournalRecord> all = JournalReader.readAll(dir, 0);
    assertThat(all)
        .extracting(JournalRecord::sequence)
        .containsExactlyElementsOf(KafkaRunTest.steps(20));
    assertThat(all.get(7).body()).isEqualTo(body(7));
    assertThat(all.get(7).points()).isEqualTo(2);
    assertThat(JournalReader.readAll(dir, 13))
        .extracting(JournalRecord::sequence)
        .startsWith(13L)
        .hasSize(7);
  }

  @Test
  void shouldStopAtATornTailAndGoOnWithTheNextSegment() throws IOException {
    try (JournalWriter w = new JournalWriter(dir, 0, 1 << 20)) {
      for (int i = 0; i < 5; i++) {
        w.append(i, RecordKind.METRICS, 1, i, body(i), 0, body(i).length);
      }
    }
    Path first = JournalReader.segments(dir).get(0);
    try (FileChannel c = FileChannel.open(first, StandardOpenOption.WRITE)) {
      c.truncate(Files.size(first) - 3); // a crash in the middle of the last frame
    }
    try (JournalWriter w = new JournalWriter(dir, 4, 1 << 20)) {
      w.append(4, RecordKind.METRICS, 1, 4, body(4), 0, body(4).length);
    }
    try (JournalReader r = new JournalReader(dir, 0)) {
      int n = 0;
      while (r.next() != null) {
        n++;
      }
      assertThat(n).isEqualTo(5);
      assertThat(r.skippedBytes()).isPositive();
      assertThat(r.damagedSegments()).isEqualTo(1);
    }
  }

  @Test
  void shouldSkipAFrameWhoseChecksumDoesNotMatch() throws IOException {
    try (JournalWriter w = new JournalWriter(dir, 0, 1 << 20)) {
      for (int i = 0; i < 3; i++) {
        w.append(i, RecordKind.METRICS, 1, i, body(i), 0, body(i).length);
      }
    }
    Path seg = JournalReader.segments(dir).get(0);
    byte[] bytes = Files.readAllBytes(seg);
    bytes[bytes.length - 2] ^= 0x5a; // flip bits in the last record's body
    Files.write(seg, bytes);
    assertThat(JournalReader.readAll(dir, 0))
        .extracting(JournalRecord::sequence)
        .containsExactly(0L, 1L);
  }

  @Test
  void shouldStartWithASmallSegmentAndDoubleItUpToTheLimit() throws IOException {
    byte[] body = new byte[10_000];
    try (JournalWriter w = new JournalWriter(dir, 0, 64L << 20)) {
      for (int i = 0; i < 400; i++) { // about 4 MB: segments of 1, 2 and then 4 MiB
        w.append(i, RecordKind.METRICS, 1, i, body, 0, body.length);
      }
      List<Path> segments = JournalReader.segments(dir);
      assertThat(segments).hasSize(3);
      assertThat(Files.size(segments.get(0))).isEqualTo(1L << 20);
      assertThat(Files.size(segments.get(1))).isEqualTo(2L << 20);
      assertThat(Files.size(segments.get(2))).isEqualTo(4L << 20);
    }
    // Closed: the last segment is trimmed to its frames.
    List<Path> segments = JournalReader.segments(dir);
    assertThat(Files.size(segments.get(2))).isLessThan(4L << 20);
    assertThat(JournalReader.readAll(dir, 0))
        .extracting(JournalRecord::sequence)
        .containsExactlyElementsOf(KafkaRunTest.steps(400));
  }

  @Test
  void shouldReadTheLiveSegmentOnlyUpToWhatItsWriterPublished() throws IOException {
    try (JournalWriter w = new JournalWriter(dir, 0, 1 << 20);
        JournalReader r = new JournalReader(dir, 0, w)) {
      assertThat(r.next()).isNull();
      w.append(0, RecordKind.METRICS, 1, 0, body(0), 0, body(0).length);
      assertThat(r.next().sequence()).isEqualTo(0);
      assertThat(r.next()).isNull();
      w.append(1, RecordKind.METRICS, 1, 1, body(1), 0, body(1).length);
      w.append(2, RecordKind.METRICS, 1, 2, body(2), 0, body(2).length);
      assertThat(r.next().sequence()).isEqualTo(1);
      assertThat(r.next().sequence()).isEqualTo(2);
      assertThat(r.next()).isNull();
      assertThat(r.skippedBytes()).isZero();
    }
  }

  @Test
  void shouldLeaveRoomForAHeaderBeforeEachBodyAndFollowTheWriterAcrossSegments()
      throws IOException {
    // Segments of 200 bytes: the live reader follows the writer from segment to segment.
    try (JournalWriter w = new JournalWriter(dir, 0, 200);
        JournalReader r = new JournalReader(dir, 0, w, 5)) {
      List<Long> sequences = new java.util.ArrayList<>();
      for (int i = 0; i < 30; i++) {
        w.append(i, RecordKind.METRICS, 1, i, body(i), 0, body(i).length);
        if (i % 7 == 0) {
          for (JournalRecord rec = r.next(); rec != null; rec = r.next()) {
            assertThat(rec.offset()).isEqualTo(5);
            assertThat(rec.buffer()).hasSize(5 + body((int) rec.sequence()).length);
            assertThat(rec.body()).isEqualTo(body((int) rec.sequence()));
            sequences.add(rec.sequence());
          }
        }
      }
      for (JournalRecord rec = r.next(); rec != null; rec = r.next()) {
        sequences.add(rec.sequence());
      }
      assertThat(JournalReader.segments(dir)).hasSizeGreaterThan(3);
      assertThat(sequences).containsExactlyElementsOf(steps(0, 30));
      assertThat(r.damagedSegments()).isZero();
    }
  }

  @Test
  void shouldKeepWhatAProcessWroteBeforeItDiedWithoutClosingAndGoOnAfterIt() throws IOException {
    // The first "process" appends and dies: no close, no sync; its mapping is all that wrote.
    JournalWriter dead = new JournalWriter(dir, 0, 64L << 20);
    for (int i = 0; i < 10; i++) {
      dead.append(i, RecordKind.METRICS, 1, i, body(i), 0, body(i).length);
    }
    Path first = dead.segment();
    assertThat(Files.size(first)).as("mapped, not trimmed").isEqualTo(1L << 20);

    List<JournalRecord> seen = JournalReader.readAll(dir, 0);
    assertThat(seen).extracting(JournalRecord::sequence).containsExactlyElementsOf(steps(0, 10));

    // The next process starts a segment of its own after the zeros the dead one left.
    try (JournalWriter next = new JournalWriter(dir, 10, 64L << 20)) {
      for (int i = 10; i < 15; i++) {
        next.append(i, RecordKind.METRICS, 1, i, body(i), 0, body(i).length);
      }
    }
    try (JournalReader r = new JournalReader(dir, 0)) {
      List<Long> sequences = new java.util.ArrayList<>();
      for (JournalRecord rec = r.next(); rec != null; rec = r.next()) {
        sequences.add(rec.sequence());
      }
      assertThat(sequences).containsExactlyElementsOf(steps(0, 15));
      assertThat(r.damagedSegments()).as("unwritten zeros are no damage").isZero();
    }
  }

  @Test
  void shouldIgnoreAFrameTheProcessDiedWritingByItsChecksum() throws IOException {
    JournalWriter dead = new JournalWriter(dir, 0, 64L << 20);
    for (int i = 0; i < 3; i++) {
      dead.append(i, RecordKind.METRICS, 1, i, body(i), 0, body(i).length);
    }
    int end = dead.written();
    Path segment = dead.segment();
    // A frame torn by the kill: its length is there, its payload only in part.
    try (FileChannel c = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer torn = java.nio.ByteBuffer.allocate(8 + 12);
      torn.putInt(JournalWriter.PAYLOAD_HEADER + 7).putInt(12345).putLong(3L).flip();
      c.write(torn, end);
    }
    try (JournalWriter next = new JournalWriter(dir, 3, 64L << 20)) {
      next.append(3, RecordKind.METRICS, 1, 3, body(3), 0, body(3).length);
    }
    try (JournalReader r = new JournalReader(dir, 0)) {
      List<Long> sequences = new java.util.ArrayList<>();
      for (JournalRecord rec = r.next(); rec != null; rec = r.next()) {
        sequences.add(rec.sequence());
      }
      assertThat(sequences).containsExactly(0L, 1L, 2L, 3L);
      assertThat(r.damagedSegments()).isEqualTo(1);
    }
  }

  private static List<Long> steps(long from, long to) {
    return java.util.stream.LongStream.range(from, to).boxed().toList();
  }
}
