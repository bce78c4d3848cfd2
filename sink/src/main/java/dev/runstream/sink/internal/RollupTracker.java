package dev.runstream.sink.internal;

import dev.runstream.query.internal.RollupLevels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code metric_rollups} a pure function of the deduplicated points while the sink inserts
 * them, without reading points back on the common path.
 *
 * <p>A touched bucket gets its new row in one of two ways:
 *
 * <ul>
 *   <li><b>appended</b>: the tracker knows the series (its highest stored step and, at every level,
 *       the bucket holding that step) and the new point's step is above the highest. The point is
 *       folded into the known buckets in memory; at the end of the interval the changed buckets are
 *       written as rows. This is a live run logging its next steps: no read at all. A series is
 *       learned before its first batch is inserted ({@link #prepare}: a few small queries, and
 *       nothing to learn for a new run) and again after each recomputation.
 *   <li><b>recomputed</b>: every other case — a series that could not be learned (stored points its
 *       rollups do not cover: a crash between the insert and the rollup write), or a step at or
 *       below the highest stored one (a replayed batch, a run synced twice, a step logged again,
 *       the same step twice in one batch). The series' touched range is recomputed from the
 *       deduplicated points ({@link Rollups#refreshStatements}), then the buckets holding its
 *       highest step are read back, so its next points append again.
 * </ul>
 *
 * Both give the same row: counts, steps, min and max exactly (ties go to the earliest step in
 * both), the sum up to floating-point rounding (the order of the additions differs). Knowing a
 * series is safe only while no one else writes it: the sink's partitions are keyed by run id, so
 * {@link #forgetAll()} runs whenever partitions move. A crash loses the tracker, never correctness:
 * a series is learned only when its rollups cover every stored point, so the points of a replayed
 * batch are either above what is covered (folded once) or not (recomputed).
 *
 * <p>{@link #flush} is resumable: when it fails part-way, what it completed is not repeated and the
 * rest is tried again by the next call. {@link #takeAppendedRows} lets a caller write the appended
 * buckets on another thread while batches go on being inserted and added.
 *
 * <p>Not thread-safe: owned by the worker thread.
 */
public final class RollupTracker {
  /** Series known at most, unless set: {@value}; least recently written ones are forgotten. */
  public static final int DEFAULT_MAX_KNOWN = 100_000;

  private static final Logger log = LoggerFactory.getLogger(RollupTracker.class);
  private static final int LEVELS = RollupLevels.LEVELS.size();
  private static final int[] WIDTHS =
      RollupLevels.LEVELS.stream().mapToInt(Integer::intValue).toArray();

  /** Series in the order of the rollup table's key, which puts the metric before the run. */
  private static final Comparator<Rollups.Series> KEY_ORDER =
      Comparator.comparing(Rollups.Series::team, MetricRows.UTF8_ORDER)
          .thenComparing(Rollups.Series::project, MetricRows.UTF8_ORDER)
          .thenComparing(Rollups.Series::metric, MetricRows.UTF8_ORDER)
          .thenComparing(Rollups.Series::runId, MetricRows.UTF8_ORDER);

  /** The aggregate of one bucket of one level, growing as points are appended. */
  static final class Bucket {
    final int width;
    final long index;
    // The first step after the bucket.
    final long end;
    long firstStep;
    long lastStep;
    long points;
    long finite;
    double sum;
    double min;
    long minStep;
    double max;
    long maxStep;
    double last;
    boolean dirty;

    Bucket(int width, long index) {
      this.width = width;
      this.index = index;
      this.end = (index + 1) * width;
    }

    static Bucket of(Rollups.Row r) {
      Bucket b = new Bucket(r.width(), r.bucket());
      b.firstStep = r.firstStep();
      b.lastStep = r.lastStep();
      b.points = r.points();
      b.finite = r.finite();
      b.sum = r.sum();
      b.min = r.min();
      b.minStep = r.minStep();
      b.max = r.max();
      b.maxStep = r.maxStep();
      b.last = r.last();
      return b;
    }

    /** Folds in a point whose step is above every step in the bucket. */
    void append(long step, double value) {
      if (points == 0) {
        firstStep = step;
      }
      points++;
      lastStep = step;
      last = value;
      if (Double.isFinite(value)) {
        if (finite == 0) {
          sum = value;
          min = value;
          max = value;
          minStep = step;
          maxStep = step;
        } else {
          sum += value;
          // Strictly better only: a tie keeps the earlier step, as the SQL recomputation does.
          if (value < min) {
            min = value;
            minStep = step;
          }
          if (value > max) {
            max = value;
            maxStep = step;
          }
        }
        finite++;
      }
    }

    Rollups.Row row(Rollups.Series series) {
      return new Rollups.Row(
          series, width, index, firstStep, lastStep, points, finite, sum, min, minStep, max,
          maxStep, last);
    }
  }

  /** What the tracker knows of a series: its highest stored step and the buckets holding it. */
  static final class Known {
    long maxStep;
    final Bucket[] open = new Bucket[LEVELS];
  }

  /**
   * The buckets of a series that an interval changed, per level, each level's in ascending order
   * (they become dirty so): the rows are written level by level, and scanning one list of all
   * levels once per level was most of the cost of a rollup write.
   */
  static final class Dirty {
    final Bucket[][] byLevel = new Bucket[LEVELS][];
    final int[] counts = new int[LEVELS];

    void add(int level, Bucket b) {
      Bucket[] at = byLevel[level];
      int n = counts[level];
      if (at == null) {
        // Level 0 gets most: a live run's interval of a few hundred steps fills a few dozen.
        at = byLevel[level] = new Bucket[level == 0 ? 64 : 8];
      } else if (n == at.length) {
        at = byLevel[level] = Arrays.copyOf(at, n * 2);
      }
      at[n] = b;
      counts[level] = n + 1;
    }

    int size() {
      int n = 0;
      for (int c : counts) {
        n += c;
      }
      return n;
    }

    void clean() {
      for (int level = 0; level < LEVELS; level++) {
        for (int i = 0; i < counts[level]; i++) {
          byLevel[level][i].dirty = false;
        }
      }
    }
  }

  private record RunKey(String team, String project, String runId) {}

  /**
   * A run's series by metric name, the same instances every time, and the entries of the names its
   * last record logged. A record's strings are new (decoded), so looking its series up by the run
   * first hashes them once per record instead of once per point; and a run usually logs the same
   * names step after step, so comparing them with the last record's finds the entries without any
   * hashing.
   */
  private static final class RunCache {
    final Map<String, Rollups.Series> series = new HashMap<>();
    List<String> names;
    Entry[] entries;
    long generation = -1;
  }

  /** A series' state: what is known, and what this interval changed. */
  private static final class Entry {
    final Rollups.Series series;
    // The add() call that last wrote it: the least recently written are forgotten first.
    long lastWritten;
    Known known;
    boolean touched;
    long touchedMin;
    long touchedMax;
    boolean recompute;
    // Its levels disagree with each other (an interrupted recomputation, or a sink of an earlier
    // version that wrote fewer levels): recomputed from its first step, not only where touched.
    boolean rebuild;
    // The buckets this interval changed; null: none.
    Dirty dirty;

    Entry(Rollups.Series series) {
      this.series = series;
    }
  }

  private final int maxKnown;
  private final Map<Rollups.Series, Entry> entries = new HashMap<>();
  private final Map<Rollups.Series, Entry> touched = new HashMap<>();
  private final Map<RunKey, RunCache> runs = new HashMap<>();
  // Changes whenever an entry leaves `entries`, so no RunCache hands out an entry no longer there.
  private long generation;
  private long writes;
  private long appendedPoints;
  private long recomputedSeries;
  private long learnedSeries;

  public RollupTracker() {
    this(DEFAULT_MAX_KNOWN);
  }

  public RollupTracker(int maxKnown) {
    if (maxKnown < 0) {
      throw new IllegalArgumentException("maxKnown must not be negative: " + maxKnown);
    }
    this.maxKnown = maxKnown;
  }

  /**
   * Before {@code points} are inserted: learns what ClickHouse holds of their series that this
   * tracker does not know yet (a new run, or any run after a start or a rebalance), so their points
   * can be folded rather than recomputed. A series is trusted only when its rollups cover exactly
   * the points stored (the highest stored step is the highest rolled-up one) or nothing of it is
   * stored; otherwise — a crash left points without rollups, another sink is writing it — it is
   * recomputed. Blocks for up to three small queries when there is something to learn; a failure
   * only costs speed, so it is logged, not thrown.
   */
  public void prepare(List<MetricPoints> points, TableWriter writer) {
    Set<Rollups.Series> unknown = new HashSet<>();
    for (MetricPoints p : points) {
      RunCache run = runOf(p);
      Entry[] cached = cachedEntries(run, p);
      for (int i = 0; i < p.names().size(); i++) {
        Entry e = cached != null ? cached[i] : entries.get(seriesOf(run, p, i));
        if (e == null) {
          unknown.add(seriesOf(run, p, i));
        } else if (e.known == null && !e.touched) {
          unknown.add(e.series);
        }
      }
    }
    if (unknown.isEmpty()) {
      return;
    }
    Learned loaded;
    try {
      loaded = load(writer, unknown);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.warn(
          "cannot read what ClickHouse holds of {} series; their rollups are recomputed: {}",
          unknown.size(),
          ErrorClassifier.reason(e));
      return;
    }
    loaded.known().forEach((series, k) -> entries.computeIfAbsent(series, Entry::new).known = k);
    loaded
        .disagreeing()
        .forEach(series -> entries.computeIfAbsent(series, Entry::new).rebuild = true);
    learnedSeries += loaded.known().size();
  }

  /** Takes in points that are now stored in {@code metrics}. */
  public void add(List<MetricPoints> stored) {
    long write = ++writes;
    for (MetricPoints p : stored) {
      long step = p.step();
      Entry[] ofRecord = entriesOf(p);
      for (int i = 0; i < ofRecord.length; i++) {
        Entry e = ofRecord[i];
        e.lastWritten = write;
        if (!e.touched) {
          e.touched = true;
          e.touchedMin = step;
          e.touchedMax = step;
          touched.put(e.series, e);
        } else {
          e.touchedMin = Math.min(e.touchedMin, step);
          e.touchedMax = Math.max(e.touchedMax, step);
        }
        if (e.recompute) {
          continue;
        }
        Known k = e.known;
        if (k != null && step > k.maxStep) {
          append(e, k, step, p.value(i));
        } else {
          // The touched range covers every bucket appended to this interval: recomputing it
          // rewrites them from the stored points, so the pending appended rows are dropped.
          e.known = null;
          e.dirty = null;
          e.recompute = true;
        }
      }
    }
  }

  private RunCache runOf(MetricPoints p) {
    if (runs.size() > Math.max(1024, maxKnown)) {
      runs.clear(); // only a cache
    }
    return runs.computeIfAbsent(new RunKey(p.team(), p.project(), p.runId()), k -> new RunCache());
  }

  /** The entries of a record's names when its run's last record logged the same names, or null. */
  private Entry[] cachedEntries(RunCache run, MetricPoints p) {
    return run.generation == generation && MetricRows.sameNames(p.names(), run.names)
        ? run.entries
        : null;
  }

  private Rollups.Series seriesOf(RunCache run, MetricPoints p, int i) {
    return run.series.computeIfAbsent(
        p.names().get(i), n -> new Rollups.Series(p.team(), p.project(), p.runId(), n));
  }

  /** The entries of a record's points, parallel to its names, created where missing. */
  private Entry[] entriesOf(MetricPoints p) {
    RunCache run = runOf(p);
    Entry[] cached = cachedEntries(run, p);
    if (cached != null) {
      return cached;
    }
    Entry[] out = new Entry[p.names().size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = entries.computeIfAbsent(seriesOf(run, p, i), Entry::new);
    }
    run.names = p.names();
    run.entries = out;
    run.generation = generation;
    return out;
  }

  private void append(Entry e, Known k, long step, double value) {
    for (int level = 0; level < LEVELS; level++) {
      Bucket b = k.open[level];
      // Steps only grow here, and the open bucket holds the highest step so far: the step is in
      // it unless it is past its end.
      if (b == null || step >= b.end) {
        b = new Bucket(WIDTHS[level], step / WIDTHS[level]);
        k.open[level] = b;
      }
      b.append(step, value);
      if (!b.dirty) {
        b.dirty = true;
        if (e.dirty == null) {
          e.dirty = new Dirty();
        }
        e.dirty.add(level, b);
      }
    }
    k.maxStep = step;
    appendedPoints++;
  }

  /** Whether points were added since the last complete {@link #flush}. */
  public boolean hasPending() {
    return !touched.isEmpty();
  }

  /** Series touched since the last complete {@link #flush}. */
  public int pendingSeries() {
    return touched.size();
  }

  /** Points folded in memory so far (the fast path). */
  public long appendedPoints() {
    return appendedPoints;
  }

  /** Series learned from ClickHouse before their first batch so far. */
  public long learnedSeries() {
    return learnedSeries;
  }

  /** Series recomputed from stored points so far (the slow path). */
  public long recomputedSeries() {
    return recomputedSeries;
  }

  /**
   * Whether some series touched since the last complete {@link #flush} must be recomputed from the
   * stored points (rather than written from the buckets folded in memory).
   */
  public boolean hasRecomputations() {
    for (Entry e : touched.values()) {
      if (e.recompute) {
        return true;
      }
    }
    return false;
  }

  /**
   * Hands over the rows of the buckets appended in memory since they were last handed over or
   * flushed, and forgets that they changed, so the caller can write them on another thread while
   * more points come in: the caller owns them now and must write them (retrying until ClickHouse
   * answers) before it asks for rows again, since the tracker will not hand them out twice. The
   * rows are values, not views of the buckets, and come in the table's key order. Series to
   * recompute are left for {@link #flush}, and the touched state stays until it runs.
   */
  public List<Rollups.Row> takeAppendedRows() {
    List<Rollups.Row> rows = dirtyRows();
    clearDirty();
    return rows;
  }

  private void clearDirty() {
    for (Entry e : touched.values()) {
      if (e.dirty != null) {
        e.dirty.clean();
        e.dirty = null;
      }
    }
  }

  /**
   * Writes the appended buckets, recomputes the rest, and reads back what the recomputed series now
   * hold. Blocks; throws what {@code writer} throws, after which calling again resumes.
   */
  public void flush(TableWriter writer) throws Exception {
    List<Rollups.Row> rows = dirtyRows();
    if (!rows.isEmpty()) {
      writer.insertRollups(rows);
      clearDirty();
    }
    Map<Rollups.Series, Rollups.StepRange> recompute = new HashMap<>();
    touched.forEach(
        (series, e) -> {
          if (e.recompute) {
            recompute.put(
                series, new Rollups.StepRange(e.rebuild ? 0 : e.touchedMin, e.touchedMax));
          }
        });
    if (!recompute.isEmpty()) {
      writer.refreshRollups(recompute);
      recomputedSeries += recompute.size();
      Map<Rollups.Series, Known> loaded = loadQuietly(writer, recompute.keySet()).known();
      recompute.keySet().forEach(s -> touched.get(s).known = loaded.get(s));
      touched
          .values()
          .forEach(
              e -> {
                e.recompute = false;
                e.rebuild = false;
              });
    }
    for (Map.Entry<Rollups.Series, Entry> t : touched.entrySet()) {
      t.getValue().touched = false;
      if (t.getValue().known == null) {
        entries.remove(t.getKey());
        generation++;
      }
    }
    touched.clear();
    if (entries.size() > maxKnown) {
      List<Entry> eldest = new ArrayList<>(entries.values());
      eldest.sort(Comparator.comparingLong(e -> e.lastWritten));
      for (Entry e : eldest.subList(0, entries.size() - maxKnown)) {
        entries.remove(e.series);
      }
      generation++;
    }
  }

  /**
   * The changed buckets in the order of the table's key (team, project, metric, width, run,
   * bucket), which spares ClickHouse sorting the block ({@link MetricRows} says why that matters):
   * series sorted by (team, project, metric, run), and within each (team, project, metric) every
   * level in turn. A series' buckets of one level became dirty in ascending order.
   */
  private List<Rollups.Row> dirtyRows() {
    List<Map.Entry<Rollups.Series, Entry>> changed = new ArrayList<>();
    int count = 0;
    for (Map.Entry<Rollups.Series, Entry> t : touched.entrySet()) {
      if (t.getValue().dirty != null) {
        changed.add(t);
        count += t.getValue().dirty.size();
      }
    }
    changed.sort(Map.Entry.comparingByKey(KEY_ORDER));
    List<Rollups.Row> rows = new ArrayList<>(count);
    int from = 0;
    while (from < changed.size()) {
      Rollups.Series first = changed.get(from).getKey();
      int to = from + 1;
      while (to < changed.size() && sameMetric(first, changed.get(to).getKey())) {
        to++;
      }
      for (int level = 0; level < LEVELS; level++) {
        for (int i = from; i < to; i++) {
          Rollups.Series series = changed.get(i).getKey();
          Dirty dirty = changed.get(i).getValue().dirty;
          Bucket[] buckets = dirty.byLevel[level];
          for (int j = 0; j < dirty.counts[level]; j++) {
            rows.add(buckets[j].row(series));
          }
        }
      }
      from = to;
    }
    return rows;
  }

  private static boolean sameMetric(Rollups.Series a, Rollups.Series b) {
    return a.metric().equals(b.metric())
        && a.project().equals(b.project())
        && a.team().equals(b.team());
  }

  /**
   * What the recomputed series hold now. A failure here costs only speed (those series recompute
   * again next time), so it is logged rather than thrown.
   */
  private Learned loadQuietly(TableWriter writer, Collection<Rollups.Series> series) {
    try {
      return load(writer, series);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.warn(
          "cannot read back the rollups of {} series; they are recomputed again when next written:"
              + " {}",
          series.size(),
          ErrorClassifier.reason(e));
      return new Learned(Map.of(), Set.of());
    }
  }

  /**
   * What was learned of some series: those whose rollups cover exactly their stored points, and
   * those whose levels disagree with each other.
   */
  private record Learned(Map<Rollups.Series, Known> known, Set<Rollups.Series> disagreeing) {}

  /**
   * The series of {@code series} whose stored points the rollups cover exactly, with the buckets
   * holding their highest step; an empty state for series with nothing stored.
   */
  private static Learned load(TableWriter writer, Collection<Rollups.Series> series)
      throws Exception {
    Map<Rollups.Series, Known> rolledUp = new HashMap<>();
    for (Rollups.Row r : writer.loadRollups(series)) {
      int level = RollupLevels.LEVELS.indexOf(r.width());
      if (level >= 0 && series.contains(r.series())) {
        rolledUp.computeIfAbsent(r.series(), s -> new Known()).open[level] = Bucket.of(r);
      }
    }
    // Every level must hold a bucket ending at the same highest step.
    Set<Rollups.Series> disagreeing = new HashSet<>();
    rolledUp
        .entrySet()
        .removeIf(
            e -> {
              Known k = e.getValue();
              boolean agree = k.open[0] != null;
              if (agree) {
                k.maxStep = k.open[0].lastStep;
                for (Bucket b : k.open) {
                  agree &= b != null && b.lastStep == k.maxStep && b.index == k.maxStep / b.width;
                }
              }
              if (!agree) {
                disagreeing.add(e.getKey());
              }
              return !agree;
            });
    Map<Rollups.Series, Long> from = new HashMap<>();
    for (Rollups.Series s : series) {
      Known k = rolledUp.get(s);
      from.put(s, k == null ? 0L : k.maxStep);
    }
    Map<Rollups.Series, Long> stored = writer.maxStoredSteps(from);
    Map<Rollups.Series, Known> out = new HashMap<>();
    for (Rollups.Series s : series) {
      Known k = rolledUp.get(s);
      Long max = stored.get(s);
      if (k == null && max == null) {
        Known nothing = new Known();
        nothing.maxStep = -1; // steps are not negative: any step appends
        out.put(s, nothing);
      } else if (k != null && max != null && max == k.maxStep) {
        out.put(s, k);
      }
    }
    return new Learned(out, disagreeing);
  }

  /** Forgets everything, pending rows included: another sink may write these series now. */
  public void forgetAll() {
    entries.clear();
    touched.clear();
    generation++;
  }

  /** Series known now; for tests and logs. */
  int knownSeries() {
    int n = 0;
    for (Entry e : entries.values()) {
      if (e.known != null) {
        n++;
      }
    }
    return n;
  }
}
