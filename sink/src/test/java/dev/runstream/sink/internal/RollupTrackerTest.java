package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.query.internal.RollupLevels;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RollupTrackerTest {
  private static final Rollups.Series LOSS = new Rollups.Series("t", "p", "r1", "loss");

  /** A bucket of one series at one level. */
  private record Key(Rollups.Series series, int width, long bucket) {}

  /**
   * ClickHouse in memory: the stored points deduplicated as the tables do (the highest seq of a
   * step wins), rollup rows where the newest write of a bucket wins, and recomputation from the
   * points. {@link #expected()} is what every rollup row must be: computed here from scratch, the
   * way the SQL defines it.
   */
  private static final class Store implements TableWriter {
    final Map<Rollups.Series, TreeMap<Long, double[]>> points = new HashMap<>();
    final Map<Key, Rollups.Row> rollups = new HashMap<>();
    int insertFailures;
    int refreshFailures;
    int loadFailures;
    int refreshes;

    void store(List<MetricPoints> batch) {
      for (MetricPoints p : batch) {
        for (int i = 0; i < p.names().size(); i++) {
          Rollups.Series s = new Rollups.Series(p.team(), p.project(), p.runId(), p.names().get(i));
          double[] seqValue = {p.seq(), p.values().get(i)};
          points
              .computeIfAbsent(s, k -> new TreeMap<>())
              .merge(p.step(), seqValue, (old, neu) -> neu[0] >= old[0] ? neu : old);
        }
      }
    }

    @Override
    public void insert(String table, byte[] rowBinary, int rows) {
      throw new UnsupportedOperationException("rollups only");
    }

    @Override
    public void insertRollups(List<Rollups.Row> rows) throws Exception {
      if (insertFailures-- > 0) {
        throw new ConnectException("down");
      }
      rows.forEach(r -> rollups.put(new Key(r.series(), r.width(), r.bucket()), r));
    }

    @Override
    public void refreshRollups(Map<Rollups.Series, Rollups.StepRange> touched) throws Exception {
      if (refreshFailures-- > 0) {
        throw new ConnectException("down");
      }
      refreshes++;
      touched.forEach(
          (s, range) -> {
            for (int width : RollupLevels.LEVELS) {
              for (long b = range.min() / width; b <= range.max() / width; b++) {
                Rollups.Row row = compute(s, width, b);
                if (row != null) {
                  rollups.put(new Key(s, width, b), row);
                }
              }
            }
          });
    }

    @Override
    public Map<Rollups.Series, Long> maxStoredSteps(Map<Rollups.Series, Long> from)
        throws Exception {
      if (loadFailures > 0) {
        throw new ConnectException("down");
      }
      Map<Rollups.Series, Long> out = new HashMap<>();
      from.forEach(
          (s, step) -> {
            TreeMap<Long, double[]> stored = points.get(s);
            if (stored != null && stored.lastKey() >= step) {
              out.put(s, stored.lastKey());
            }
          });
      return out;
    }

    @Override
    public List<Rollups.Row> loadRollups(Collection<Rollups.Series> series) throws Exception {
      if (loadFailures-- > 0) {
        throw new ConnectException("down");
      }
      List<Rollups.Row> out = new ArrayList<>();
      for (Rollups.Series s : series) {
        TreeMap<Long, double[]> stored = points.get(s);
        if (stored == null) {
          continue;
        }
        long max = stored.lastKey();
        for (int width : RollupLevels.LEVELS) {
          Rollups.Row row = rollups.get(new Key(s, width, max / width));
          if (row != null) {
            out.add(row);
          }
        }
      }
      return out;
    }

    /** A bucket from the deduplicated points: ties of min and max go to the earliest step. */
    Rollups.Row compute(Rollups.Series s, int width, long bucket) {
      Map<Long, double[]> in =
          points
              .getOrDefault(s, new TreeMap<>())
              .subMap(bucket * width, true, bucket * width + width - 1, true);
      if (in.isEmpty()) {
        return null;
      }
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      long finite = 0;
      double sum = 0;
      double min = 0;
      double max = 0;
      long minStep = 0;
      long maxStep = 0;
      double lastValue = 0;
      for (Map.Entry<Long, double[]> e : in.entrySet()) {
        long step = e.getKey();
        double v = e.getValue()[1];
        first = Math.min(first, step);
        if (step > last) {
          last = step;
          lastValue = v;
        }
        if (Double.isFinite(v)) {
          if (finite == 0 || v < min || (v == min && step < minStep)) {
            min = v;
            minStep = step;
          }
          if (finite == 0 || v > max || (v == max && step < maxStep)) {
            max = v;
            maxStep = step;
          }
          sum += v;
          finite++;
        }
      }
      return new Rollups.Row(
          s, width, bucket, first, last, in.size(), finite, sum, min, minStep, max, maxStep,
          lastValue);
    }

    Map<Key, Rollups.Row> expected() {
      Map<Key, Rollups.Row> out = new HashMap<>();
      points.forEach(
          (s, stored) -> {
            for (int width : RollupLevels.LEVELS) {
              for (long step : stored.keySet()) {
                out.computeIfAbsent(
                    new Key(s, width, step / width), k -> compute(s, width, step / width));
              }
            }
          });
      return out;
    }

    /** Exact in everything but the sum, which may differ by the rounding of another order. */
    void assertRollupsAreExact() {
      Map<Key, Rollups.Row> expected = expected();
      assertThat(rollups.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
      List<String> wrong = new ArrayList<>();
      expected.forEach(
          (key, want) -> {
            Rollups.Row got = rollups.get(key);
            // A record's equals compares doubles with Double.compare: NaN equals NaN.
            if (Math.abs(got.sum() - want.sum()) > 1e-9 || !withSum(got, want.sum()).equals(want)) {
              wrong.add("expected " + want + " but was " + got);
            }
          });
      assertThat(wrong).isEmpty();
    }

    private static Rollups.Row withSum(Rollups.Row r, double sum) {
      return new Rollups.Row(
          r.series(),
          r.width(),
          r.bucket(),
          r.firstStep(),
          r.lastStep(),
          r.points(),
          r.finite(),
          sum,
          r.min(),
          r.minStep(),
          r.max(),
          r.maxStep(),
          r.last());
    }
  }

  private final Store store = new Store();

  private static MetricPoints point(Rollups.Series s, long step, long seq, double value) {
    return new MetricPoints(
        s.team(), s.project(), s.runId(), step, 0, seq, List.of(s.metric()), List.of(value));
  }

  private static List<MetricPoints> steps(Rollups.Series s, long from, long to, long seqBase) {
    List<MetricPoints> out = new ArrayList<>();
    for (long step = from; step < to; step++) {
      out.add(point(s, step, seqBase + step, 1.0 / (step + 1)));
    }
    return out;
  }

  /** What the worker does: prepared, stored, then handed over; flushed at the interval. */
  private void write(RollupTracker tracker, List<MetricPoints> batch) {
    tracker.prepare(batch, store);
    store.store(batch);
    tracker.add(batch);
  }

  @Test
  void shouldAppendTheNextStepsOfAKnownSeriesWithoutRecomputing() throws Exception {
    RollupTracker tracker = new RollupTracker();
    write(tracker, steps(LOSS, 0, 10, 0));
    tracker.flush(store);
    assertThat(tracker.learnedSeries()).as("learned: nothing stored yet").isEqualTo(1);
    store.assertRollupsAreExact();

    int appended = 10;
    for (int from = 10; from < 1000; from += 37) {
      write(tracker, steps(LOSS, from, from + 37, 0));
      appended += 37;
      tracker.flush(store);
      store.assertRollupsAreExact();
    }
    assertThat(tracker.recomputedSeries()).isZero();
    assertThat(store.refreshes).isZero();
    assertThat(tracker.appendedPoints()).isEqualTo(appended);
    assertThat(tracker.learnedSeries()).isEqualTo(1);
    assertThat(tracker.hasPending()).isFalse();
  }

  @Test
  void shouldWriteTheBucketsOfAnIntervalInTheOrderOfTheTablesKey() throws Exception {
    RollupTracker tracker = new RollupTracker();
    List<Rollups.Series> series = new ArrayList<>();
    for (String run : List.of("r9", "r10", "r1")) {
      for (String metric : List.of("z", "loss", "acc")) {
        series.add(new Rollups.Series("t", "p", run, metric));
      }
    }
    for (int from = 0; from < 600; from += 150) {
      List<MetricPoints> batch = new ArrayList<>();
      for (Rollups.Series s : series) {
        batch.addAll(steps(s, from, from + 150, 0));
      }
      write(tracker, batch);
    }
    List<List<Rollups.Row>> writes = new ArrayList<>();
    tracker.flush(
        new TableWriter() {
          @Override
          public void insert(String table, byte[] rowBinary, int rows) {
            throw new UnsupportedOperationException();
          }

          @Override
          public void insertRollups(List<Rollups.Row> rows) throws Exception {
            writes.add(List.copyOf(rows));
            store.insertRollups(rows);
          }
        });

    assertThat(writes).hasSize(1);
    List<Rollups.Row> rows = writes.get(0);
    int buckets = 0;
    for (int width : RollupLevels.LEVELS) {
      buckets += (600 + width - 1) / width; // steps 0..599
    }
    assertThat(rows).hasSize(series.size() * buckets);
    Comparator<Rollups.Row> keyOrder =
        Comparator.comparing((Rollups.Row r) -> r.series().metric())
            .thenComparingInt(Rollups.Row::width)
            .thenComparing(r -> r.series().runId())
            .thenComparingLong(Rollups.Row::bucket);
    assertThat(rows).isSortedAccordingTo(keyOrder);
    store.assertRollupsAreExact();
  }

  @Test
  void shouldRebuildASeriesWhoseLevelsDisagreeAfterASinkWithFewerLevelsWroteIt() throws Exception {
    RollupTracker tracker = new RollupTracker();
    write(tracker, steps(LOSS, 0, 300, 0));
    tracker.flush(store);
    // A sink of the version before widths 32 and 128 writes steps 300..599: its rows, and its
    // rollups at the four widths it knew.
    List<MetricPoints> older = steps(LOSS, 300, 600, 0);
    store.store(older);
    for (int width : Rollups.LEVELS_V2) {
      for (long b = 300 / width; b <= 599 / width; b++) {
        store.rollups.put(new Key(LOSS, width, b), store.compute(LOSS, width, b));
      }
    }

    RollupTracker next = new RollupTracker();
    write(next, steps(LOSS, 600, 650, 0));
    next.flush(store);

    assertThat(next.recomputedSeries()).as("its levels disagreed: not learned").isEqualTo(1);
    store.assertRollupsAreExact(); // widths 32 and 128 of steps 300..599 too
    write(next, steps(LOSS, 650, 700, 0));
    next.flush(store);
    assertThat(next.recomputedSeries()).as("appended after the rebuild").isEqualTo(1);
    store.assertRollupsAreExact();
  }

  @Test
  void shouldRecomputeWhenAStepIsNotAboveTheHighestStoredOne() throws Exception {
    RollupTracker tracker = new RollupTracker();
    write(tracker, steps(LOSS, 0, 300, 0));
    tracker.flush(store);

    // A replayed batch: the same points again.
    write(tracker, steps(LOSS, 200, 300, 0));
    tracker.flush(store);
    assertThat(tracker.recomputedSeries()).isEqualTo(1);
    store.assertRollupsAreExact();

    // A step logged again with a new value (a run resumed from a checkpoint), then more appends.
    write(tracker, List.of(point(LOSS, 17, 10_000, -5.0)));
    tracker.flush(store);
    store.assertRollupsAreExact();
    assertThat(store.rollups.get(new Key(LOSS, 256, 0)).min()).isEqualTo(-5.0);
    write(tracker, steps(LOSS, 300, 310, 20_000));
    tracker.flush(store);
    assertThat(tracker.recomputedSeries()).as("appended after the recomputation").isEqualTo(2);
    store.assertRollupsAreExact();

    // The same step twice in one batch cannot be folded: recomputed.
    write(tracker, List.of(point(LOSS, 310, 30_000, 1.0), point(LOSS, 310, 30_001, 2.0)));
    tracker.flush(store);
    assertThat(tracker.recomputedSeries()).isEqualTo(3);
    store.assertRollupsAreExact();
    assertThat(store.rollups.get(new Key(LOSS, 4, 77)).last()).isEqualTo(2.0);
  }

  @Test
  void shouldRecomputeAppendedBucketsOfAnIntervalWhenAStepGoesBackInIt() throws Exception {
    RollupTracker tracker = new RollupTracker();
    write(tracker, steps(LOSS, 0, 100, 0));
    tracker.flush(store);
    // Appended (steps 100..199), then in the same interval a step below: the appended buckets are
    // not written from memory but recomputed with the rest.
    write(tracker, steps(LOSS, 100, 200, 0));
    write(tracker, List.of(point(LOSS, 5, 1000, 42.0)));
    tracker.flush(store);
    store.assertRollupsAreExact();
    assertThat(store.rollups.get(new Key(LOSS, 256, 0)).points()).isEqualTo(200);
  }

  @Test
  void shouldKeepMinAndMaxOverFiniteValuesWithTheEarliestStepOfATie() throws Exception {
    RollupTracker tracker = new RollupTracker();
    write(tracker, List.of(point(LOSS, 0, 1, 3.0)));
    tracker.flush(store);
    double[] values = {Double.NaN, 1.0, 5.0, 1.0, Double.POSITIVE_INFINITY, 5.0, -0.0};
    for (int i = 0; i < values.length; i++) {
      write(tracker, List.of(point(LOSS, i + 1, i + 2, values[i])));
    }
    tracker.flush(store);
    store.assertRollupsAreExact();
    Rollups.Row b = store.rollups.get(new Key(LOSS, 16, 0));
    assertThat(b.points()).isEqualTo(8);
    assertThat(b.finite()).isEqualTo(6);
    assertThat(b.min()).isEqualTo(-0.0);
    assertThat(b.minStep()).isEqualTo(7);
    assertThat(b.max()).isEqualTo(5.0);
    assertThat(b.maxStep()).as("the earlier of two 5.0").isEqualTo(3);
    assertThat(b.last()).isEqualTo(-0.0);
  }

  @Test
  void shouldResumeAFailedFlushWithoutRepeatingWhatItCompleted() throws Exception {
    RollupTracker tracker = new RollupTracker();
    Rollups.Series acc = new Rollups.Series("t", "p", "r1", "acc");
    write(tracker, steps(LOSS, 0, 10, 0));
    write(tracker, steps(acc, 0, 10, 0));
    tracker.flush(store);
    write(tracker, steps(LOSS, 10, 20, 0)); // appended
    write(tracker, steps(acc, 5, 10, 0)); // replayed: recomputed

    store.insertFailures = 1;
    assertThatThrownBy(() -> tracker.flush(store)).isInstanceOf(ConnectException.class);
    assertThat(tracker.hasPending()).isTrue();
    store.refreshFailures = 1;
    assertThatThrownBy(() -> tracker.flush(store)).isInstanceOf(ConnectException.class);
    assertThat(tracker.hasPending()).isTrue();
    tracker.flush(store);

    assertThat(tracker.hasPending()).isFalse();
    store.assertRollupsAreExact();
    assertThat(store.refreshes).isEqualTo(1);
  }

  @Test
  void shouldRecomputeASeriesWhosePointsWereStoredWithoutTheirRollups() throws Exception {
    RollupTracker tracker = new RollupTracker();
    write(tracker, steps(LOSS, 0, 50, 0));
    tracker.flush(store);
    write(tracker, steps(LOSS, 50, 100, 0));
    // Killed after the insert, before the rollups were written: a new sink reads the batch again.
    RollupTracker restarted = new RollupTracker();
    write(restarted, steps(LOSS, 50, 100, 0));
    assertThat(restarted.learnedSeries()).as("stored beyond its rollups").isZero();
    restarted.flush(store);
    assertThat(restarted.recomputedSeries()).isEqualTo(1);
    store.assertRollupsAreExact();

    // Killed after the rollups were written, before the commit: read again, at or below them.
    write(restarted, steps(LOSS, 100, 150, 0));
    restarted.flush(store);
    RollupTracker again = new RollupTracker();
    write(again, steps(LOSS, 100, 150, 0));
    assertThat(again.learnedSeries()).isEqualTo(1);
    again.flush(store);
    assertThat(again.recomputedSeries()).isEqualTo(1);
    assertThat(again.appendedPoints()).isZero();
    store.assertRollupsAreExact();
    assertThat(store.rollups.get(new Key(LOSS, 256, 0)).points()).isEqualTo(150);
  }

  @Test
  void shouldLearnASeriesAgainWhenItCouldNotBeReadBack() throws Exception {
    RollupTracker tracker = new RollupTracker();
    write(tracker, steps(LOSS, 0, 10, 0));
    tracker.flush(store);
    store.loadFailures = 1; // the read-back after the recomputation
    write(tracker, steps(LOSS, 5, 15, 0));
    tracker.flush(store);
    assertThat(tracker.recomputedSeries()).isEqualTo(1);
    assertThat(tracker.knownSeries()).isZero();
    write(tracker, steps(LOSS, 15, 25, 0));
    tracker.flush(store);
    assertThat(tracker.recomputedSeries()).as("learned before the insert").isEqualTo(1);
    assertThat(tracker.knownSeries()).isEqualTo(1);
    assertThat(tracker.learnedSeries()).isEqualTo(2);
    store.assertRollupsAreExact();
  }

  @Test
  void shouldForgetTheLeastRecentlyWrittenSeriesBeyondItsLimit() throws Exception {
    RollupTracker tracker = new RollupTracker(2);
    List<Rollups.Series> series = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      series.add(new Rollups.Series("t", "p", "r" + i, "loss"));
      write(tracker, steps(series.get(i), 0, 10, 0));
      tracker.flush(store);
    }
    assertThat(tracker.knownSeries()).isEqualTo(2);
    assertThat(tracker.learnedSeries()).isEqualTo(3);
    write(tracker, steps(series.get(0), 10, 20, 0));
    tracker.flush(store);
    assertThat(tracker.learnedSeries()).as("r0 was forgotten, then learned again").isEqualTo(4);
    assertThat(tracker.recomputedSeries()).isZero();
    store.assertRollupsAreExact();
  }

  /**
   * Random runs logging, replaying, rewinding and logging the same step twice, with crashes (the
   * uncommitted batches replayed into a new tracker), rebalances and flaky writes: after every
   * complete flush every rollup row equals the one computed from the stored points.
   */
  @Test
  void shouldKeepEveryRollupExactUnderReplaysRewindsCrashesAndFailures() throws Exception {
    Random random = new Random(7);
    List<Rollups.Series> series = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      series.add(new Rollups.Series("t", i % 2 == 0 ? "p" : "q", "r" + i / 2, "m" + i % 3));
    }
    Map<Rollups.Series, Long> next = new HashMap<>();
    RollupTracker tracker = new RollupTracker(4);
    List<List<MetricPoints>> uncommitted = new ArrayList<>();
    long seq = 0;
    long appended = 0;
    for (int round = 0; round < 400; round++) {
      List<MetricPoints> batch = new ArrayList<>();
      for (int n = random.nextInt(20); n > 0; n--) {
        Rollups.Series s = series.get(random.nextInt(series.size()));
        long step = next.getOrDefault(s, 0L);
        int kind = random.nextInt(20);
        if (kind == 0 && step > 0) {
          step = random.nextInt((int) step); // a step logged again
        } else if (kind == 1 && step > 0) {
          step--; // the same step twice
        } else {
          next.put(s, step + 1 + (random.nextInt(10) == 0 ? random.nextInt(300) : 0));
        }
        double value =
            random.nextInt(15) == 0 ? Double.NaN : Math.floor(random.nextGaussian() * 8) / 4;
        batch.add(point(s, step, ++seq, value));
      }
      write(tracker, batch);
      uncommitted.add(batch);
      switch (random.nextInt(10)) {
        case 0 -> { // crash: a new sink reads the uncommitted batches again
          appended += tracker.appendedPoints();
          tracker = new RollupTracker(4);
          for (List<MetricPoints> replayed : uncommitted) {
            write(tracker, replayed);
          }
        }
        case 1 -> { // partitions moved: the batches are dropped and read again
          tracker.forgetAll();
          for (List<MetricPoints> replayed : uncommitted) {
            write(tracker, replayed);
          }
        }
        case 2, 3, 4 -> {
          store.insertFailures = random.nextInt(2);
          store.refreshFailures = random.nextInt(2);
          store.loadFailures = random.nextInt(2);
          for (int attempt = 0; ; attempt++) {
            try {
              tracker.flush(store);
              break;
            } catch (ConnectException e) {
              assertThat(attempt).isLessThan(3);
            }
          }
          uncommitted.clear();
          store.assertRollupsAreExact();
        }
        default -> {}
      }
    }
    assertThat(appended + tracker.appendedPoints()).as("the fast path was taken").isPositive();
    assertThat(store.refreshes).as("and the slow one").isPositive();
  }
}
