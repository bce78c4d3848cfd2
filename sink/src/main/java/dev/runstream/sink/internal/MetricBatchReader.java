package dev.runstream.sink.internal;

import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.WireFormat;
import dev.runstream.schemas.avro.MetricBatch;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * Decodes a {@link MetricBatch} written with the very schema this sink was built with straight from
 * its bytes, for the sink's busiest path: Avro's general reader turns every metric name into a new
 * string and every value into a boxed double, and the writer thread then hashed those new strings
 * again. Here the names of a record whose names are byte for byte those of a recent record are that
 * record's list (which later stages recognise by identity), a run's team, project and id are the
 * same string instances from record to record (their hashes computed once), and the values are one
 * array.
 *
 * <p>Anything else — a schema id not yet {@link #learn learned}, another schema version, bytes that
 * do not decode, bytes left over — returns null, and the caller decodes the record with Avro's
 * reader, which resolves schemas and says what is wrong: this only ever skips work, never decides
 * anything.
 *
 * <p>Thread-safe: the caches are per thread.
 */
final class MetricBatchReader {
  private static final Schema SCHEMA = MetricBatch.getClassSchema();
  // The fields in the order read below; if the schema ever changes, the fast path turns itself off.
  private static final boolean SUPPORTED = supported(SCHEMA);
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** Strings at most this long (in bytes) are kept as instances to reuse. */
  private static final int SHORT = 128;

  private final SchemaRegistry registry;
  // Schema ids whose schema is SCHEMA, or not.
  private final Map<Integer, Boolean> ours = new ConcurrentHashMap<>();
  private final ThreadLocal<Strings> strings = ThreadLocal.withInitial(Strings::new);

  MetricBatchReader(SchemaRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /** The record, or null when Avro's reader must decode it (see the class comment). */
  MetricBatch read(byte[] data) {
    if (!SUPPORTED
        || data.length < WireFormat.HEADER_SIZE
        || data[0] != WireFormat.MAGIC_BYTE
        || !ours(id(data))) {
      return null;
    }
    try {
      return new Cursor(data, strings.get()).batch();
    } catch (Malformed | ArrayIndexOutOfBoundsException e) {
      return null;
    }
  }

  private static int id(byte[] data) {
    return ((data[1] & 0xff) << 24)
        | ((data[2] & 0xff) << 16)
        | ((data[3] & 0xff) << 8)
        | (data[4] & 0xff);
  }

  private boolean ours(int id) {
    return ours.getOrDefault(id, false);
  }

  /**
   * Learns the schema of a record Avro's reader has just decoded, so the next ones of its schema
   * are read here. Only after Avro's reader: a registry that cannot answer then fails that reader,
   * which decides what happens to the record, not this cache.
   */
  void learn(byte[] data) {
    if (!SUPPORTED || data.length < WireFormat.HEADER_SIZE || ours.containsKey(id(data))) {
      return;
    }
    try {
      ours.put(id(data), SCHEMA.equals(registry.schemaById(id(data))));
    } catch (RuntimeException e) {
      // Asked again with the next record of this schema.
    }
  }

  private static boolean supported(Schema schema) {
    List<String> expected =
        List.of(
            "runId:STRING",
            "entity:STRING",
            "project:STRING",
            "step:LONG",
            "timestampMs:LONG",
            "sequence:LONG",
            "names:ARRAY",
            "values:ARRAY");
    List<String> actual =
        schema.getFields().stream().map(f -> f.name() + ":" + f.schema().getType()).toList();
    return actual.equals(expected)
        && schema.getField("names").schema().getElementType().getType() == Schema.Type.STRING
        && schema.getField("values").schema().getElementType().getType() == Schema.Type.DOUBLE;
  }

  /** Bytes that do not decode as this schema: Avro's reader says how. */
  private static final class Malformed extends Exception {
    static final Malformed INSTANCE = new Malformed();

    private Malformed() {
      super(null, null, false, false);
    }
  }

  /** One pass over a record's bytes. */
  private static final class Cursor {
    final byte[] buf;
    final Strings strings;
    int pos = WireFormat.HEADER_SIZE;

    Cursor(byte[] buf, Strings strings) {
      this.buf = buf;
      this.strings = strings;
    }

    MetricBatch batch() throws Malformed {
      String runId = string();
      String entity = string();
      String project = string();
      long step = varlong();
      long timestampMs = varlong();
      long sequence = varlong();
      List<String> names = names();
      List<Double> values = values();
      if (pos != buf.length) {
        throw Malformed.INSTANCE;
      }
      return new MetricBatch(runId, entity, project, step, timestampMs, sequence, names, values);
    }

    /** Avro's long: zig-zag, 7 bits a byte, low bits first. */
    long varlong() throws Malformed {
      long raw = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int b = buf[pos++];
        raw |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return (raw >>> 1) ^ -(raw & 1);
        }
      }
      throw Malformed.INSTANCE;
    }

    int length() throws Malformed {
      long n = varlong();
      if (n < 0 || n > buf.length - pos) {
        throw Malformed.INSTANCE;
      }
      return (int) n;
    }

    String string() throws Malformed {
      int n = length();
      String s = strings.get(buf, pos, n);
      pos += n;
      return s;
    }

    /** The names, as a recent record's list when their bytes are that record's. */
    List<String> names() throws Malformed {
      int start = pos;
      // Walk the blocks once to find where the array ends, without decoding a string.
      int count = 0;
      for (long items = blockCount(); items != 0; items = blockCount()) {
        for (long i = 0; i < items; i++) {
          int n = length(); // before the +=, which would read pos before length() moves it
          pos += n;
        }
        count += (int) items;
      }
      List<String> known = strings.names(buf, start, pos - start);
      if (known != null) {
        return known;
      }
      int end = pos;
      pos = start;
      String[] out = new String[count];
      int k = 0;
      for (long items = blockCount(); items != 0; items = blockCount()) {
        for (long i = 0; i < items; i++) {
          int n = length();
          out[k++] = new String(buf, pos, n, StandardCharsets.UTF_8);
          pos += n;
        }
      }
      List<String> names = List.of(out);
      strings.remember(buf, start, end - start, names);
      return names;
    }

    List<Double> values() throws Malformed {
      double[] out = new double[0];
      int count = 0;
      for (long items = blockCount(); items != 0; items = blockCount()) {
        if (items > (buf.length - pos) / 8) {
          throw Malformed.INSTANCE;
        }
        out = Arrays.copyOf(out, count + (int) items);
        for (int i = 0; i < items; i++) {
          out[count++] = Double.longBitsToDouble((long) LONG.get(buf, pos));
          pos += 8;
        }
      }
      return new Doubles(out);
    }

    /** The item count of the next array block; a negative count is followed by its byte size. */
    long blockCount() throws Malformed {
      long items = varlong();
      if (items < 0) {
        items = -items;
        varlong();
      }
      if (items > buf.length - pos) {
        throw Malformed.INSTANCE; // every item takes at least a byte
      }
      return items;
    }
  }

  /**
   * The strings a thread decoded recently, by their bytes: a small table that forgets on collision,
   * so its memory is bounded whatever the records name.
   */
  private static final class Strings {
    static final int SLOTS = 4096;
    static final int NAME_SLOTS = 64;
    final byte[][] keys = new byte[SLOTS][];
    final String[] values = new String[SLOTS];
    final byte[][] nameKeys = new byte[NAME_SLOTS][];
    final List<?>[] nameValues = new List<?>[NAME_SLOTS];

    String get(byte[] buf, int from, int n) {
      if (n > SHORT) {
        return new String(buf, from, n, StandardCharsets.UTF_8);
      }
      int slot = hash(buf, from, n) & (SLOTS - 1);
      byte[] key = keys[slot];
      if (key != null && Arrays.equals(key, 0, key.length, buf, from, from + n)) {
        return values[slot];
      }
      String s = new String(buf, from, n, StandardCharsets.UTF_8);
      keys[slot] = Arrays.copyOfRange(buf, from, from + n);
      values[slot] = s;
      return s;
    }

    @SuppressWarnings("unchecked")
    List<String> names(byte[] buf, int from, int n) {
      int slot = hash(buf, from, n) & (NAME_SLOTS - 1);
      byte[] key = nameKeys[slot];
      return key != null && Arrays.equals(key, 0, key.length, buf, from, from + n)
          ? (List<String>) nameValues[slot]
          : null;
    }

    void remember(byte[] buf, int from, int n, List<String> names) {
      int slot = hash(buf, from, n) & (NAME_SLOTS - 1);
      nameKeys[slot] = Arrays.copyOfRange(buf, from, from + n);
      nameValues[slot] = names;
    }

    static int hash(byte[] buf, int from, int n) {
      int h = n;
      for (int i = from; i < from + n; i++) {
        h = 31 * h + buf[i];
      }
      return h ^ (h >>> 16);
    }
  }

  /** Doubles as a read-only list, without a box per value until one is asked for. */
  static final class Doubles extends AbstractList<Double> implements RandomAccess {
    private final double[] values;

    Doubles(double[] values) {
      this.values = values;
    }

    @Override
    public Double get(int index) {
      return values[index];
    }

    /** The value at {@code index}, unboxed. */
    double at(int index) {
      return values[index];
    }

    @Override
    public int size() {
      return values.length;
    }
  }
}
