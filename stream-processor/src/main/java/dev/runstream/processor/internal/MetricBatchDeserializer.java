package dev.runstream.processor.internal;

import dev.runstream.schemas.AvroDeserializer;
import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.WireFormat;
import dev.runstream.schemas.avro.MetricBatch;
import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads {@link MetricBatch} records as {@link AvroDeserializer} does, but decodes the Avro binary
 * of a writer schema whose fields are the reader's (same names, order and types: the same parsing
 * canonical form) by hand, without Avro's resolving decoder and generic arrays: the processor's
 * stream thread spent more on decoding each batch than on applying it. Records of any other writer
 * schema (an older compatible one) and the first record of each schema id, whose schema the
 * registry must give first, go through {@link AvroDeserializer}, errors included.
 *
 * <p>A run sends the same metric names batch after batch: each thread remembers, per run, the last
 * batch's names (and the run id, entity and project strings) and returns the same unmodifiable list
 * when the bytes are equal, so no string is built for them and the processor recognises the names
 * by identity. The values come as a list over a {@code double[]} ({@link Values}).
 *
 * <p>Anything malformed fails with a {@link SerializationException} saying what was wrong, as with
 * {@link AvroDeserializer}. Thread-safe: Kafka Streams shares a source's deserializer between its
 * stream threads.
 */
public final class MetricBatchDeserializer implements Deserializer<MetricBatch> {
  private static final long READER_FINGERPRINT =
      SchemaNormalization.parsingFingerprint64(MetricBatch.getClassSchema());

  /** Runs remembered per thread (direct-mapped by a hash of the run id's bytes). */
  private static final int RUNS = 4096;

  private final SchemaRegistry registry;
  private final AvroDeserializer<MetricBatch> generic;
  private final Map<Integer, Boolean> direct = new ConcurrentHashMap<>();
  private final ThreadLocal<Run[]> runs = ThreadLocal.withInitial(() -> new Run[RUNS]);

  public MetricBatchDeserializer(SchemaRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.generic = new AvroDeserializer<>(MetricBatch.class, registry);
  }

  @Override
  public MetricBatch deserialize(String topic, byte[] data) {
    if (data == null || data.length < WireFormat.HEADER_SIZE || data[0] != WireFormat.MAGIC_BYTE) {
      return generic.deserialize(topic, data);
    }
    int id =
        ((data[1] & 0xff) << 24)
            | ((data[2] & 0xff) << 16)
            | ((data[3] & 0xff) << 8)
            | (data[4] & 0xff);
    Boolean byHand = direct.get(id);
    if (byHand == null) {
      // The first record of a schema id: the registry is asked (and its failures reported) by the
      // generic path, which then has the schema cached.
      MetricBatch value = generic.deserialize(topic, data);
      try {
        Schema writer = registry.schemaById(id);
        direct.put(id, SchemaNormalization.parsingFingerprint64(writer) == READER_FINGERPRINT);
      } catch (RuntimeException e) {
        // Asked again with the next record of this id.
      }
      return value;
    }
    if (!byHand) {
      return generic.deserialize(topic, data);
    }
    try {
      return new Reader(data, runs.get()).read();
    } catch (RuntimeException e) {
      throw new SerializationException(
          "value on " + topic + " is not a valid MetricBatch (schema id " + id + "): " + e, e);
    }
  }

  /** The strings of one run's last batch, with the bytes they were decoded from. */
  private static final class Run {
    byte[] runIdBytes;
    String runId;
    byte[] entityBytes;
    String entity;
    byte[] projectBytes;
    String project;
    byte[][] nameBytes;
    Names names;
  }

  /** One record's decoding: Avro's binary encoding of the {@code MetricBatch} fields in order. */
  private static final class Reader {
    private final byte[] b;
    private final Run[] runs;
    private int pos = WireFormat.HEADER_SIZE;

    Reader(byte[] b, Run[] runs) {
      this.b = b;
      this.runs = runs;
    }

    MetricBatch read() {
      int runIdLen = length();
      int runIdAt = pos;
      skip(runIdLen);
      int h = 1;
      for (int i = runIdAt; i < runIdAt + runIdLen; i++) {
        h = 31 * h + b[i];
      }
      int slot = (h ^ (h >>> 16)) & (RUNS - 1);
      Run run = runs[slot];
      if (run == null || !same(runIdAt, runIdLen, run.runIdBytes)) {
        run = new Run();
        run.runIdBytes = Arrays.copyOfRange(b, runIdAt, runIdAt + runIdLen);
        run.runId = new String(run.runIdBytes, StandardCharsets.UTF_8);
        runs[slot] = run;
      }
      int entityLen = length();
      if (!same(pos, entityLen, run.entityBytes)) {
        run.entityBytes = Arrays.copyOfRange(b, pos, pos + entityLen);
        run.entity = new String(run.entityBytes, StandardCharsets.UTF_8);
      }
      skip(entityLen);
      int projectLen = length();
      if (!same(pos, projectLen, run.projectBytes)) {
        run.projectBytes = Arrays.copyOfRange(b, pos, pos + projectLen);
        run.project = new String(run.projectBytes, StandardCharsets.UTF_8);
      }
      skip(projectLen);
      long step = readLong();
      long timestampMs = readLong();
      long sequence = readLong();
      List<String> names = names(run);
      Values values = values();
      if (pos != b.length) {
        throw new IllegalArgumentException("bytes left after a complete MetricBatch");
      }
      MetricBatch batch = new MetricBatch();
      batch.setRunId(run.runId);
      batch.setEntity(run.entity);
      batch.setProject(run.project);
      batch.setStep(step);
      batch.setTimestampMs(timestampMs);
      batch.setSequence(sequence);
      batch.setNames(names);
      batch.setValues(values);
      return batch;
    }

    /** The names, the run's previous list when every name's bytes are the same. */
    private List<String> names(Run run) {
      byte[][] known = run.nameBytes;
      int start = pos;
      int count = 0;
      boolean same = known != null;
      for (long block = blockCount(1); block != 0; block = blockCount(1)) {
        for (long i = 0; i < block; i++) {
          int len = length();
          if (same && (count >= known.length || !same(pos, len, known[count]))) {
            same = false;
          }
          skip(len);
          count++;
        }
      }
      if (same && count == known.length) {
        return run.names;
      }
      // Not the previous names: decode them, and remember them for the run's next batch.
      int end = pos;
      pos = start;
      byte[][] bytes = new byte[count][];
      String[] strings = new String[count];
      int n = 0;
      for (long block = blockCount(1); block != 0; block = blockCount(1)) {
        for (long i = 0; i < block; i++) {
          int len = length();
          bytes[n] = Arrays.copyOfRange(b, pos, pos + len);
          strings[n] = new String(bytes[n], StandardCharsets.UTF_8);
          skip(len);
          n++;
        }
      }
      pos = end;
      run.nameBytes = bytes;
      run.names = new Names(strings);
      return run.names;
    }

    private Values values() {
      double[] values = new double[16];
      int n = 0;
      for (long block = blockCount(8); block != 0; block = blockCount(8)) {
        if (n + block > values.length) {
          values = Arrays.copyOf(values, (int) Math.max(values.length * 2L, n + block));
        }
        for (long i = 0; i < block; i++) {
          need(8);
          long bits =
              (b[pos] & 0xffL)
                  | (b[pos + 1] & 0xffL) << 8
                  | (b[pos + 2] & 0xffL) << 16
                  | (b[pos + 3] & 0xffL) << 24
                  | (b[pos + 4] & 0xffL) << 32
                  | (b[pos + 5] & 0xffL) << 40
                  | (b[pos + 6] & 0xffL) << 48
                  | (b[pos + 7] & 0xffL) << 56;
          values[n++] = Double.longBitsToDouble(bits);
          pos += 8;
        }
      }
      return new Values(values, n);
    }

    /**
     * The item count of the next array block (0 ends the array); a negative count is followed by
     * the block's size in bytes. Each item takes at least {@code minItemBytes}, so a count the
     * remaining bytes cannot hold is malformed rather than an allocation to attempt.
     */
    private long blockCount(int minItemBytes) {
      long count = readLong();
      if (count < 0) {
        count = -count;
        readLong();
      }
      if (count > (long) (b.length - pos) / minItemBytes) {
        throw new IllegalArgumentException("array block of " + count + " items in too few bytes");
      }
      return count;
    }

    private int length() {
      long len = readLong();
      if (len < 0) {
        throw new IllegalArgumentException("negative length " + len);
      }
      if (len > b.length - pos) {
        throw new IllegalArgumentException("length " + len + " beyond the end of the record");
      }
      return (int) len;
    }

    /** An Avro long: zig-zag varint, at most 10 bytes. */
    private long readLong() {
      long raw = 0;
      for (int shift = 0; shift < 70; shift += 7) {
        need(1);
        int x = b[pos++];
        raw |= (long) (x & 0x7f) << shift;
        if (x >= 0) {
          return (raw >>> 1) ^ -(raw & 1);
        }
      }
      throw new IllegalArgumentException("invalid long encoding");
    }

    private boolean same(int at, int len, byte[] known) {
      return known != null && known.length == len && Arrays.equals(b, at, at + len, known, 0, len);
    }

    private void skip(int len) {
      need(len);
      pos += len;
    }

    private void need(int len) {
      if (len > b.length - pos) {
        throw new IllegalArgumentException("the record ends early");
      }
    }
  }

  /**
   * A batch's names, unmodifiable, shared by the batches of a run that repeat them; remembers that
   * {@link RejectedRecordException#check} found them valid, so that it judges them once.
   */
  static final class Names extends AbstractList<String> implements RandomAccess {
    private final String[] names;

    /** Set once the names were found non-blank and distinct. */
    boolean valid;

    Names(String[] names) {
      this.names = names;
    }

    @Override
    public String get(int index) {
      return names[index];
    }

    @Override
    public int size() {
      return names.length;
    }
  }

  /**
   * A batch's values, unmodifiable, over the {@code double[]} they were decoded into; {@link
   * #getDouble} reads one without boxing.
   */
  public static final class Values extends AbstractList<Double> implements RandomAccess {
    private final double[] values;
    private final int size;

    Values(double[] values, int size) {
      this.values = values;
      this.size = size;
    }

    /** The value at {@code index}, unboxed. */
    public double getDouble(int index) {
      Objects.checkIndex(index, size);
      return values[index];
    }

    @Override
    public Double get(int index) {
      return getDouble(index);
    }

    @Override
    public int size() {
      return size;
    }
  }
}
