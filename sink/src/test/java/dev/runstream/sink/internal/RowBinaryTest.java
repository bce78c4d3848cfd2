package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.query.internal.Tables;
import dev.runstream.schemas.avro.MetricBatch;
import java.util.List;
import org.junit.jupiter.api.Test;

class RowBinaryTest {

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  @Test
  void shouldWriteStringAsVarintLengthThenUtf8() {
    assertThat(new RowBinary().string("ab").toByteArray()).containsExactly(bytes(2, 'a', 'b'));
    assertThat(new RowBinary().string("").toByteArray()).containsExactly(bytes(0));
    // "é" is two UTF-8 bytes: the length counts bytes, not chars.
    assertThat(new RowBinary().string("é").toByteArray()).containsExactly(bytes(2, 0xC3, 0xA9));
  }

  @Test
  void shouldWriteLeb128Varints() {
    assertThat(new RowBinary().varint(0).toByteArray()).containsExactly(bytes(0));
    assertThat(new RowBinary().varint(127).toByteArray()).containsExactly(bytes(0x7F));
    assertThat(new RowBinary().varint(128).toByteArray()).containsExactly(bytes(0x80, 0x01));
    assertThat(new RowBinary().varint(300).toByteArray()).containsExactly(bytes(0xAC, 0x02));
    String longText = "x".repeat(200);
    byte[] encoded = new RowBinary().string(longText).toByteArray();
    assertThat(encoded).hasSize(202);
    assertThat(encoded[0]).isEqualTo((byte) 0xC8);
    assertThat(encoded[1]).isEqualTo((byte) 0x01);
  }

  @Test
  void shouldWriteNumbersLittleEndian() {
    assertThat(new RowBinary().int64(1).toByteArray())
        .containsExactly(bytes(1, 0, 0, 0, 0, 0, 0, 0));
    assertThat(new RowBinary().int64(-1).toByteArray())
        .containsExactly(bytes(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF));
    assertThat(new RowBinary().int32(0x01020304).toByteArray()).containsExactly(bytes(4, 3, 2, 1));
    assertThat(new RowBinary().uint64(258).toByteArray())
        .containsExactly(bytes(2, 1, 0, 0, 0, 0, 0, 0));
    assertThat(new RowBinary().float64(1.0).toByteArray())
        .containsExactly(bytes(0, 0, 0, 0, 0, 0, 0xF0, 0x3F));
    assertThat(new RowBinary().bool(true).bool(false).toByteArray()).containsExactly(bytes(1, 0));
  }

  @Test
  void shouldKeepNonFiniteFloatBitsAsTheyAre() {
    assertThat(new RowBinary().float64(Double.NaN).toByteArray())
        .containsExactly(bytes(0, 0, 0, 0, 0, 0, 0xF8, 0x7F));
    assertThat(new RowBinary().float64(Double.POSITIVE_INFINITY).toByteArray())
        .containsExactly(bytes(0, 0, 0, 0, 0, 0, 0xF0, 0x7F));
    assertThat(new RowBinary().float64(Double.NEGATIVE_INFINITY).toByteArray())
        .containsExactly(bytes(0, 0, 0, 0, 0, 0, 0xF0, 0xFF));
  }

  @Test
  void shouldWriteDateTimeAsUInt32SecondsClamped() {
    assertThat(new RowBinary().dateTime(1_500).toByteArray()).containsExactly(bytes(1, 0, 0, 0));
    assertThat(new RowBinary().dateTime(1_700_000_000_999L).toByteArray())
        .containsExactly(bytes(0x00, 0xF1, 0x53, 0x65));
    assertThat(new RowBinary().dateTime(-5_000).toByteArray()).containsExactly(bytes(0, 0, 0, 0));
    assertThat(new RowBinary().dateTime(Long.MAX_VALUE).toByteArray())
        .containsExactly(bytes(0xFF, 0xFF, 0xFF, 0xFF));
  }

  @Test
  void shouldWriteArraysAsCountThenItems() {
    assertThat(new RowBinary().stringArray(List.of("x", "yz")).toByteArray())
        .containsExactly(bytes(2, 1, 'x', 2, 'y', 'z'));
    assertThat(new RowBinary().stringArray(List.of()).toByteArray()).containsExactly(bytes(0));
  }

  @Test
  void shouldWriteNullableAsFlagThenValue() {
    assertThat(new RowBinary().nullableString(null).toByteArray()).containsExactly(bytes(1));
    assertThat(new RowBinary().nullableString("a").toByteArray()).containsExactly(bytes(0, 1, 'a'));
    assertThat(new RowBinary().nullableInt64(2L).toByteArray())
        .containsExactly(bytes(0, 2, 0, 0, 0, 0, 0, 0, 0));
    assertThat(new RowBinary().nullableInt32(null).toByteArray()).containsExactly(bytes(1));
    assertThat(new RowBinary().nullableFloat64(null).toByteArray()).containsExactly(bytes(1));
  }

  @Test
  void shouldEncodeAMetricRowInTableColumnOrder() {
    MetricBatch batch =
        MetricBatch.newBuilder()
            .setRunId("r")
            .setEntity("t")
            .setProject("p")
            .setStep(3)
            .setTimestampMs(2_000)
            .setSequence(7)
            .setNames(List.of("m"))
            .setValues(List.of(Double.NaN))
            .build();

    EncodedRows rows = RecordMapper.metricBatch(Tables.METRICS, batch);

    assertThat(rows.rows()).isEqualTo(1);
    assertThat(rows.bytes())
        .containsExactly(
            bytes(
                1,
                't', // team
                1,
                'p', // project
                1,
                'r', // run_id
                1,
                'm', // metric
                3,
                0,
                0,
                0,
                0,
                0,
                0,
                0, // step Int64
                2,
                0,
                0,
                0, // time DateTime
                0,
                0,
                0,
                0,
                0,
                0,
                0xF8,
                0x7F, // value Float64 NaN
                7,
                0,
                0,
                0,
                0,
                0,
                0,
                0 // seq UInt64
                ));
  }
}
