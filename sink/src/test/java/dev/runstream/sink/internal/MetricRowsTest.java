package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MetricRowsTest {
  /** A decoded metrics row. */
  private record Row(
      String team,
      String project,
      String run,
      String metric,
      long step,
      long time,
      double value,
      long seq) {}

  private static MetricPoints record(
      String run, long step, long seq, List<String> names, List<Double> values) {
    return new MetricPoints("t", "p", run, step, step * 1000, seq, names, values);
  }

  @Test
  void shouldEncodeEveryPointInTheTablesKeyOrder() {
    List<MetricPoints> batch =
        List.of(
            record("run-b", 0, 1, List.of("loss", "acc"), List.of(1.0, 0.1)),
            record("run-a", 0, 1, List.of("loss", "acc"), List.of(2.0, 0.2)),
            record("run-b", 1, 2, List.of("loss", "acc"), List.of(3.0, 0.3)),
            // Another set of names: a metric only some steps log.
            record("run-a", 1, 2, List.of("lr", "loss"), List.of(0.01, 4.0)),
            record("run-a", 2, 3, List.of("loss", "acc"), List.of(5.0, 0.5)));

    List<Row> rows = decode(MetricRows.encode(batch));

    assertThat(rows)
        .extracting(r -> r.run() + "/" + r.metric() + "/" + r.step() + "=" + r.value())
        .containsExactly(
            "run-a/acc/0=0.2",
            "run-a/acc/2=0.5",
            "run-a/loss/0=2.0",
            "run-a/loss/1=4.0",
            "run-a/loss/2=5.0",
            "run-a/lr/1=0.01",
            "run-b/acc/0=0.1",
            "run-b/acc/1=0.3",
            "run-b/loss/0=1.0",
            "run-b/loss/1=3.0");
    assertThat(rows)
        .allSatisfy(
            r -> {
              assertThat(r.team()).isEqualTo("t");
              assertThat(r.project()).isEqualTo("p");
              assertThat(r.time()).isEqualTo(r.step());
              assertThat(r.seq()).isEqualTo(r.step() + 1);
            });
  }

  @Test
  void shouldSortStepsThatArriveOutOfOrderKeepingArrivalOrderWithinAStep() {
    List<MetricPoints> batch =
        List.of(
            record("r", 5, 9, List.of("loss"), List.of(5.0)),
            record("r", 2, 3, List.of("loss"), List.of(2.0)),
            record("r", 5, 4, List.of("loss"), List.of(5.5)),
            record("r", 3, 4, List.of("loss"), List.of(3.0)));

    assertThat(decode(MetricRows.encode(batch)))
        .extracting(r -> r.step() + ":" + r.seq())
        .containsExactly("2:3", "3:4", "5:9", "5:4");
  }

  @Test
  void shouldEncodeTheSameRowsAsOneRecordAtATime() {
    MetricPoints p = record("r", 7, 8, List.of("b", "a"), List.of(Double.NaN, -0.0));
    byte[] sorted = MetricRows.encode(List.of(p));
    RowBinary expected = new RowBinary();
    for (int i : new int[] {1, 0}) {
      expected
          .string("t")
          .string("p")
          .string("r")
          .string(p.names().get(i))
          .int64(7)
          .dateTime(7000)
          .float64(p.values().get(i))
          .uint64(8);
    }
    assertThat(sorted).containsExactly(expected.toByteArray());
  }

  @Test
  void shouldCompareStringsAsClickHouseComparesTheirUtf8Bytes() {
    // U+FFFF sorts before U+10000 in UTF-8, while Java's compareTo puts the surrogate first.
    assertThat(MetricRows.compareUtf8("\uFFFF", "\uD800\uDC00")).isNegative();
    assertThat("\uFFFF".compareTo("\uD800\uDC00")).isPositive();
    Random random = new Random(5);
    String alphabet = "aZ\u00e9\u4e2d\uE000\uFFFF\uD83D\uDE00"; // the last two chars: one emoji
    Comparator<byte[]> bytes = Arrays::compareUnsigned;
    for (int i = 0; i < 10_000; i++) {
      String a = randomString(random, alphabet);
      String b = randomString(random, alphabet);
      assertThat(Integer.signum(MetricRows.compareUtf8(a, b)))
          .as("%s vs %s", a, b)
          .isEqualTo(
              Integer.signum(
                  bytes.compare(
                      a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8))));
    }
  }

  private static String randomString(Random random, String alphabet) {
    StringBuilder s = new StringBuilder();
    int n = random.nextInt(4);
    for (int i = 0; i < n; i++) {
      int c = random.nextInt(alphabet.length() - 1);
      if (c == alphabet.length() - 2) {
        s.append(alphabet, c, c + 2); // the emoji's two halves together
      } else {
        s.append(alphabet.charAt(c));
      }
    }
    return s.toString();
  }

  /** The rows of RowBinary {@code bytes} whose strings are all shorter than 128 bytes. */
  private static List<Row> decode(byte[] bytes) {
    List<Row> out = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    while (in.hasRemaining()) {
      String team = string(in);
      String project = string(in);
      String run = string(in);
      String metric = string(in);
      long step = in.getLong();
      long time = in.getInt() & 0xFFFF_FFFFL;
      double value = in.getDouble();
      long seq = in.getLong();
      out.add(new Row(team, project, run, metric, step, time, value, seq));
    }
    return out;
  }

  private static String string(ByteBuffer in) {
    int length = in.get(); // short strings: one LEB128 byte
    byte[] b = new byte[length];
    in.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
