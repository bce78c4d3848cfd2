package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.schemas.avro.MetricBatch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

class MetricBatchEncoderTest {
  private static final String[] NAME_PARTS = {
    "loss", "train/acc", "val_loss", "lr", "é", "grad.norm", "层", "😀", " x", "(a)[b]<c>", ""
  };

  private static byte[] avro(MetricBatch batch) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    new SpecificDatumWriter<>(MetricBatch.class).write(batch, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static byte[] fast(
      MetricBatchEncoder encoder, MetricPoints points, long sequence, int reserved) {
    EncodeBuffer buffer = new EncodeBuffer(4);
    buffer.reset(reserved);
    encoder.encode(points, sequence, buffer);
    return Arrays.copyOfRange(buffer.array(), reserved, buffer.size());
  }

  @Test
  void shouldEncodeTheSchemaTheSdkWasBuiltWith() {
    assertThat(MetricBatchEncoder.describe(MetricBatch.getClassSchema()))
        .as("MetricBatch changed: update MetricBatchEncoder to write the new schema")
        .hasSize(8);
    assertThat(MetricBatchEncoder.SUPPORTED).isTrue();
  }

  @Test
  void shouldWriteRepeatedNamesAndRunFieldsExactlyAsAvroDoes() throws IOException {
    Random random = new Random(7);
    String[] pool = {"loss", "acc", "lr", "val/loss", "é", "grad norm", "x".repeat(100)};
    String[] runIds = {"run1", new String("run1"), "run2"};
    MetricBatchEncoder encoder = new MetricBatchEncoder();
    String[] names = {"loss", "acc"};
    for (int i = 0; i < 1_000; i++) {
      // The same array again, a new array of the same strings, another order, one name
      // replaced, one fewer, one more, none: the kept encodings must follow every change.
      switch (random.nextInt(7)) {
        case 0 -> {}
        case 1 -> names = names.clone();
        case 2 -> {
          names = names.clone();
          if (names.length > 1) {
            String first = names[0];
            names[0] = names[names.length - 1];
            names[names.length - 1] = first;
          }
        }
        case 3 -> {
          names = names.clone();
          if (names.length > 0) {
            names[random.nextInt(names.length)] = pool[random.nextInt(pool.length)];
          }
        }
        case 4 -> names = Arrays.copyOf(names, Math.max(0, names.length - 1));
        case 5 -> {
          names = Arrays.copyOf(names, names.length + 1);
          names[names.length - 1] = pool[random.nextInt(pool.length)];
        }
        default -> names = new String[0];
      }
      double[] values = random.doubles(names.length).toArray();
      MetricPoints points =
          new MetricPoints(
              runIds[random.nextInt(runIds.length)],
              random.nextBoolean() ? "team" : "",
              "proj",
              i,
              1_700_000_000_000L + i,
              names,
              values);
      assertThat(fast(encoder, points, i, 5)).as("batch %d", i).isEqualTo(avro(points.toAvro(i)));
    }
  }

  @Test
  void shouldWriteExactlyWhatAvrosOwnWriterWrites() throws IOException {
    Random random = new Random(42);
    double[] special = {
      Double.NaN,
      Double.longBitsToDouble(0x7ff8_0000_0000_0001L), // a NaN with a payload
      Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY,
      -0.0,
      Double.MIN_VALUE,
      Double.MAX_VALUE
    };
    long[] longs = {0, 1, -1, 63, 64, -64, -65, 8191, 8192, Long.MAX_VALUE, Long.MIN_VALUE};
    // Every string cached, none cached, and a cache that fills up part way.
    MetricBatchEncoder cached = new MetricBatchEncoder();
    MetricBatchEncoder uncached = new MetricBatchEncoder(0);
    MetricBatchEncoder small = new MetricBatchEncoder(50);
    for (int i = 0; i < 2_000; i++) {
      int n = i % 50 == 0 ? 0 : 1 + random.nextInt(i % 7 == 0 ? 200 : 12);
      String[] names = new String[n];
      double[] values = new double[n];
      for (int j = 0; j < n; j++) {
        StringBuilder name = new StringBuilder();
        int parts = 1 + random.nextInt(i % 11 == 0 ? 40 : 3);
        for (int k = 0; k < parts; k++) {
          name.append(NAME_PARTS[random.nextInt(NAME_PARTS.length)]);
        }
        names[j] = name.toString();
        values[j] =
            random.nextInt(4) == 0
                ? special[random.nextInt(special.length)]
                : random.nextGaussian() * Math.pow(10, random.nextInt(40) - 20);
      }
      MetricPoints points =
          new MetricPoints(
              i % 3 == 0 ? "run1" : "ränn-" + i,
              i % 5 == 0 ? "" : "team",
              "p".repeat(random.nextInt(130)),
              longs[random.nextInt(longs.length)] + random.nextInt(3),
              System.currentTimeMillis() + random.nextInt(),
              names,
              values);
      long sequence = longs[random.nextInt(longs.length)];

      byte[] expected = avro(points.toAvro(sequence));
      assertThat(fast(cached, points, sequence, i % 6)).as("batch %d", i).isEqualTo(expected);
      assertThat(fast(uncached, points, sequence, 0)).as("batch %d", i).isEqualTo(expected);
      assertThat(fast(small, points, sequence, 5)).as("batch %d", i).isEqualTo(expected);
      MetricBatch decoded =
          new SpecificDatumReader<>(MetricBatch.class)
              .read(null, DecoderFactory.get().binaryDecoder(expected, null));
      assertThat(decoded.getNames()).containsExactly(names);
      assertThat(decoded.getSequence()).isEqualTo(sequence);
    }
  }
}
