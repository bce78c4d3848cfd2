package dev.runstream.sink.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes the points of a batch as RowBinary rows of {@code metrics} or {@code system_metrics} (the
 * columns of {@link Tables#COLUMNS}) in the order of the tables' key: team, project, run, metric,
 * step.
 *
 * <p>Why the order: ClickHouse sorts every inserted block by the table's key unless it finds the
 * block sorted already (18.16 checks, and counts {@code MergeTreeDataWriterBlocksAlreadySorted}).
 * Its sort compares string columns row by row and was most of the server's cost of an insert (a
 * sorted block of 50,000 points was inserted in about half the time of the same rows in arrival
 * order, a block of 200,000 in a third). Here the order costs little: a record holds one step of
 * one run, so grouping records by run and emitting each metric's steps in turn sorts the batch. The
 * order is only a hint: rows that are not in order (steps of a run arriving out of order are sorted
 * here too, but names outside the Basic Multilingual Plane may compare differently) are sorted by
 * the server, so correctness never depends on it.
 *
 * <p>Thread-safe (stateless).
 */
public final class MetricRows {
  /** Strings in the order ClickHouse compares them: by their UTF-8 bytes, unsigned. */
  public static final Comparator<String> UTF8_ORDER = MetricRows::compareUtf8;

  private MetricRows() {}

  /** The rows of {@code points}, in key order. */
  public static byte[] encode(List<MetricPoints> points) {
    Map<RunKey, Run> byRun = new HashMap<>();
    for (MetricPoints p : points) {
      byRun.computeIfAbsent(new RunKey(p.team(), p.project(), p.runId()), Run::new).add(p);
    }
    List<Run> runs = new ArrayList<>(byRun.values());
    runs.sort(Comparator.comparing((Run r) -> r.key));
    long size = 0;
    for (Run run : runs) {
      size += run.prepare();
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("a batch of " + size + " bytes of metric rows");
    }
    // Sized exactly: the buffer is the answer, without a copy of megabytes.
    RowBinary out = new RowBinary((int) size);
    for (Run run : runs) {
      run.encode(out);
    }
    return out.toByteArray();
  }

  private record RunKey(String team, String project, String runId) implements Comparable<RunKey> {
    @Override
    public int compareTo(RunKey o) {
      int c = compareUtf8(team, o.team);
      if (c == 0) {
        c = compareUtf8(project, o.project);
      }
      return c != 0 ? c : compareUtf8(runId, o.runId);
    }
  }

  /** The records of one run in a batch, in arrival order. */
  private static final class Run {
    // The fixed part of a row: step Int64, time DateTime (4 bytes), value Float64, seq UInt64.
    static final int NUMBERS = 8 + 4 + 8 + 8;

    final RunKey key;
    final List<MetricPoints> records = new ArrayList<>();
    boolean ascending = true;
    // Set by prepare(): the team, project and run encoded once; the metrics in key order, encoded;
    // and for each record where it holds each metric (-1: not logged in that record).
    byte[] prefix;
    byte[][] metrics;
    int[][] positions;

    Run(RunKey key) {
      this.key = key;
    }

    void add(MetricPoints p) {
      if (!records.isEmpty() && p.step() < records.get(records.size() - 1).step()) {
        ascending = false;
      }
      records.add(p);
    }

    /** Orders and indexes the records; returns how many bytes {@link #encode} writes. */
    long prepare() {
      if (!ascending) {
        // Stable: points of one step keep their arrival order, as the server's own sort keeps it.
        records.sort(Comparator.comparingLong(MetricPoints::step));
      }
      // Every metric the run logged in this batch, in key order, and for each record where each
      // one sits among its names; records of one run usually log the same names, so the position
      // table of the previous record is reused when its names are equal.
      Map<String, Integer> index = new HashMap<>();
      List<String> names = new ArrayList<>();
      for (MetricPoints p : records) {
        for (String name : p.names()) {
          if (index.putIfAbsent(name, 0) == null) {
            names.add(name);
          }
        }
      }
      names.sort(UTF8_ORDER);
      for (int k = 0; k < names.size(); k++) {
        index.put(names.get(k), k);
      }
      positions = new int[records.size()][];
      List<String> previousNames = null;
      int[] previous = null;
      for (int r = 0; r < records.size(); r++) {
        List<String> logged = records.get(r).names();
        if (previous == null || !sameNames(logged, previousNames)) {
          previous = new int[names.size()];
          Arrays.fill(previous, -1);
          for (int i = 0; i < logged.size(); i++) {
            previous[index.get(logged.get(i))] = i;
          }
          previousNames = logged;
        }
        positions[r] = previous;
      }
      prefix =
          new RowBinary(64).string(key.team).string(key.project).string(key.runId).toByteArray();
      metrics = new byte[names.size()][];
      long size = 0;
      for (int k = 0; k < names.size(); k++) {
        metrics[k] = new RowBinary(32).string(names.get(k)).toByteArray();
        int rows = 0;
        for (int[] p : positions) {
          if (p[k] >= 0) {
            rows++;
          }
        }
        size += (long) rows * (prefix.length + metrics[k].length + NUMBERS);
      }
      return size;
    }

    /** Writes the rows: metric by metric, each in ascending steps. */
    void encode(RowBinary out) {
      for (int k = 0; k < metrics.length; k++) {
        byte[] metric = metrics[k];
        for (int r = 0; r < records.size(); r++) {
          int i = positions[r][k];
          if (i < 0) {
            continue;
          }
          MetricPoints p = records.get(r);
          out.raw(prefix, 0, prefix.length)
              .raw(metric, 0, metric.length)
              .int64(p.step())
              .dateTime(p.timestampMs())
              .float64(p.value(i))
              .uint64(p.seq());
        }
      }
    }
  }

  /**
   * Whether two lists hold equal names in the same order; cheaper than {@code equals} of Avro's
   * arrays, which compares through the schema.
   */
  static boolean sameNames(List<String> a, List<String> b) {
    if (a == b) {
      return true;
    }
    if (b == null || a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!a.get(i).equals(b.get(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Compares strings by code point, which is the order of their UTF-8 bytes; {@link
   * String#compareTo} compares UTF-16 units, which differs for characters above U+FFFF against
   * those from U+E000.
   */
  static int compareUtf8(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char x = a.charAt(i);
      char y = b.charAt(i);
      if (x != y) {
        if (x >= 0xD800 && y >= 0xD800) {
          // Surrogates (U+D800..U+DFFF, halves of code points above U+FFFF) sort after U+FFFF.
          x = (char) (x >= 0xE000 ? x - 0x800 : x + 0x2000);
          y = (char) (y >= 0xE000 ? y - 0x800 : y + 0x2000);
        }
        return x - y;
      }
    }
    return a.length() - b.length();
  }
}
