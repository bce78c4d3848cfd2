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
}
