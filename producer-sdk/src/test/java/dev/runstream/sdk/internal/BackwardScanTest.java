package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.Heartbeat;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunResumed;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.RunSummary;
import dev.runstream.schemas.avro.Severity;
import dev.runstream.sdk.internal.BackwardScan.Goal;
import dev.runstream.sdk.internal.BackwardScan.Source;
import dev.runstream.sdk.internal.RunHistory.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The backward scan over in-memory partitions, read the way {@link KafkaRunLookup} reads a
 * consumer's: seek to each window, fetch a bounded number of records, report the position.
 */
class BackwardScanTest {
  private static final String RUN = "run-a";
  private static final long T0 = 1_700_000_000_000L;

  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final AvroSerializer<SpecificRecord> serializer = new AvroSerializer<>(registry);
  private final Map<Source, List<Rec>> logs = new EnumMap<>(Source.class);

  private record Rec(String key, byte[] value, long timestamp) {}

  /** What a scan read: its result and how many records the fake consumer delivered. */
  private record Run(RunHistory history, long delivered, List<Long> seeks) {}

  private List<Rec> log(Source source) {
    return logs.computeIfAbsent(source, s -> new ArrayList<>());
  }

  private void append(Source source, String key, SpecificRecord value, long timestamp) {
    log(source)
        .add(new Rec(key, serializer.serialize(source.name().toLowerCase(), value), timestamp));
  }

  /** {@code n} records of other runs, one per second from {@code from}. */
  private void others(Source source, int n, long from) {
    for (int i = 0; i < n; i++) {
      String other = "other-" + (i % 7);
      long ts = from + i * 1000L;
      switch (source) {
        case RUNS -> append(source, other, event(other, i, new Heartbeat((long) i)), ts);
        case METRICS, SYSTEM -> append(source, other, batch(other, i, i), ts);
        case ALERTS -> append(source, other, alert(other, "user", other + "-" + i, (long) i), ts);
        case SUMMARIES -> append(source, other, summary(other, "name-of-" + other), ts);
      }
    }
  }

  private static RunEvent event(String run, long sequence, SpecificRecord payload) {
    return new RunEvent(run, "team", "tinyllm", T0, sequence, payload);
  }

  private static MetricBatch batch(String run, long step, long sequence) {
    return new MetricBatch(
        run, "team", "tinyllm", step, T0, sequence, List.of("loss"), List.of(1.0));
  }

  private static Alert alert(String run, String rule, String episode, Long step) {
    return Alert.newBuilder()
        .setRunId(run)
        .setTimestampMs(T0)
        .setRule(rule)
        .setSeverity(Severity.WARNING)
        .setMessage("m")
        .setEpisodeId(episode)
        .setStep(step)
        .build();
  }

  private static RunSummary summary(String run, String name) {
    return RunSummary.newBuilder()
        .setRunId(run)
        .setState(RunState.RUNNING)
        .setUpdatedMs(T0)
        .setName(name)
        .build();
  }

  private static RunStarted started(String name) {
    return RunStarted.newBuilder().setName(name).build();
  }

  /**
   * Scans the logs like the lookup's consumer loop, delivering at most {@code fetch} records per
   * partition and round, for at most {@code rounds} rounds (the time budget).
   */
  private Run scan(Goal goal, boolean wantName, int fetch, int rounds) {
    BackwardScan scan = new BackwardScan(RUN, goal, wantName, new WireDecoder(registry));
    Map<TopicPartition, List<Rec>> partitions = new LinkedHashMap<>();
    for (Source source : BackwardScan.sources(goal, wantName)) {
      List<Rec> records = logs.get(source);
      if (records == null) {
        continue; // no such topic
      }
      TopicPartition tp = new TopicPartition(source.name().toLowerCase(), 0);
      partitions.put(tp, records);
      scan.add(source, tp, 0, records.size());
    }
    Map<TopicPartition, Long> positions = new LinkedHashMap<>();
    List<Long> seeks = new ArrayList<>();
    long delivered = 0;
    for (int round = 0; round < rounds && !scan.done(); round++) {
      scan.takeSeeks()
          .forEach(
              (tp, offset) -> {
                positions.put(tp, offset);
                seeks.add(offset);
              });
      for (TopicPartition tp : scan.reading()) {
        List<Rec> records = partitions.get(tp);
        long position = positions.get(tp);
        long until = Math.min(records.size(), position + fetch);
        for (long o = position; o < until; o++) {
          Rec r = records.get((int) o);
          scan.record(tp, o, r.timestamp(), r.key().getBytes(StandardCharsets.UTF_8), r.value());
          delivered++;
        }
        positions.put(tp, until);
        scan.position(tp, until);
      }
      scan.takeTimeFloors()
          .forEach(
              (tp, time) -> {
                List<Rec> records = partitions.get(tp);
                long offset = Long.MAX_VALUE;
                for (int o = 0; o < records.size(); o++) {
                  if (records.get(o).timestamp() >= time) {
                    offset = o;
                    break;
                  }
                }
                scan.floor(tp, offset);
              });
    }
    return new Run(scan.result(), delivered, seeks);
  }

  private Run scan(Goal goal, boolean wantName) {
    return scan(goal, wantName, 500, 100_000);
  }

  @Test
  void shouldTakeTheLastStepAndSequenceFromTheNewestWindowAndStopThere() {
    others(Source.RUNS, 30_000, T0);
    append(Source.RUNS, RUN, event(RUN, 0, started("first-name")), T0);
    others(Source.RUNS, 20_000, T0);
    append(Source.RUNS, RUN, event(RUN, 41, new Heartbeat(39L)), T0 + 100_000);
    append(Source.RUNS, RUN, event(RUN, 43, new RunFinished(1, 40L)), T0 + 101_000);
    others(Source.RUNS, 300, T0 + 102_000);
    others(Source.METRICS, 40_000, T0);
    for (int step = 0; step <= 40; step++) {
      append(Source.METRICS, RUN, batch(RUN, step, step + 1), T0 + 60_000 + step * 1000L);
      others(Source.METRICS, 10, T0 + 60_000);
    }
    append(Source.METRICS, RUN, batch(RUN, 40, 42), T0 + 101_000);
    others(Source.METRICS, 700, T0 + 102_000);

    Run run = scan(Goal.RESUME, false);

    assertThat(run.history().outcome()).isEqualTo(Outcome.FOUND);
    assertThat(run.history().complete()).isTrue();
    assertThat(run.history().lastStep()).isEqualTo(40);
    assertThat(run.history().lastSequence()).isEqualTo(43);
    assertThat(run.history().name()).isNull();
    assertThat(run.history().project()).isEqualTo("tinyllm");
    assertThat(run.history().entity()).isEqualTo("team");
    // Only the newest window of each partition holding the run's records was needed.
    assertThat(run.delivered()).isLessThan(5_000);
  }

  @Test
  void shouldGiveTheHighestSequenceOfEachTopicApart() {
    append(Source.RUNS, RUN, event(RUN, 0, started("n")), T0);
    append(Source.RUNS, RUN, event(RUN, 5, new Heartbeat(3L)), T0 + 1_000);
    others(Source.RUNS, 50, T0 + 2_000);
    for (int step = 0; step < 20; step++) {
      append(Source.METRICS, RUN, batch(RUN, step, 10 + step), T0 + 1_000 + step);
      others(Source.METRICS, 3, T0 + 1_000);
    }
    append(Source.SYSTEM, RUN, batch(RUN, 0, 7), T0 + 1_000);
    append(Source.ALERTS, RUN, alert(RUN, "user", RUN + "-8", 4L), T0 + 1_000);
    // The processor's alerts are not the run's records: they do not count.
    append(Source.ALERTS, RUN, alert(RUN, "nan", "nan-episode-99", 4L), T0 + 2_000);

    RunHistory history = scan(Goal.RESUME, false).history();

    assertThat(history.lastSequence()).isEqualTo(29);
    assertThat(history.highestByKind())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                RecordKind.RUN_EVENT, 5L,
                RecordKind.METRICS, 29L,
                RecordKind.SYSTEM, 7L,
                RecordKind.ALERT, 8L));
  }

  @Test
  void shouldReadFurtherBackForTheRunStartedEventWhenTheNameIsWanted() {
    others(Source.RUNS, 100, T0);
    append(Source.RUNS, RUN, event(RUN, 0, started("brisk-river-42")), T0);
    others(Source.RUNS, 20_000, T0);
    append(Source.RUNS, RUN, event(RUN, 7, new Heartbeat(5L)), T0 + 30_000);
    append(Source.METRICS, RUN, batch(RUN, 5, 6), T0 + 29_000);

    Run withName = scan(Goal.RESUME, true);
    Run withoutName = scan(Goal.RESUME, false);

    assertThat(withName.history().name()).isEqualTo("brisk-river-42");
    assertThat(withName.history().complete()).isTrue();
    assertThat(withName.history().lastStep()).isEqualTo(5);
    assertThat(withName.history().lastSequence()).isEqualTo(7);
    assertThat(withoutName.history().name()).isNull();
    assertThat(withoutName.history().lastSequence()).isEqualTo(7);
    assertThat(withoutName.delivered()).isLessThan(withName.delivered());
  }

  @Test
  void shouldTakeTheNameFromTheRunSummaryWithoutReadingBackToTheStart() {
    append(Source.RUNS, RUN, event(RUN, 0, started("from-run-started")), T0);
    others(Source.RUNS, 200_000, T0);
    append(Source.RUNS, RUN, event(RUN, 3, new Heartbeat(2L)), T0 + 300_000);
    others(Source.SUMMARIES, 5_000, T0);
    append(Source.SUMMARIES, RUN, summary(RUN, "from-summary"), T0 + 290_000);
    others(Source.SUMMARIES, 50, T0 + 300_000);

    Run run = scan(Goal.RESUME, true);

    assertThat(run.history().name()).isEqualTo("from-summary");
    assertThat(run.history().complete()).isTrue();
    assertThat(run.history().lastStep()).isEqualTo(2);
    assertThat(run.delivered()).isLessThan(50_000);
  }

  @Test
  void shouldSayAbsentWhenTheRunsPartitionHoldsNoRecordOfTheRun() {
    others(Source.RUNS, 3_000, T0);
    others(Source.METRICS, 200_000, T0);

    Run run = scan(Goal.RESUME, true);

    assertThat(run.history().outcome()).isEqualTo(Outcome.ABSENT);
    assertThat(run.history().complete()).isTrue();
    assertThat(run.history().lastStep()).isEqualTo(-1);
    assertThat(run.history().lastSequence()).isEqualTo(-1);
    // The metrics partition need not be read to its start once the runs partition was.
    assertThat(run.delivered()).isLessThan(100_000);
  }

  @Test
  void shouldSayAbsentWhenTheTopicsDoNotExist() {
    Run run = scan(Goal.RESUME, true);

    assertThat(run.history().outcome()).isEqualTo(Outcome.ABSENT);
    assertThat(run.history().complete()).isTrue();
    assertThat(run.history().detail()).contains("no topics");
  }

  @Test
  void shouldNotReadPartitionsWithoutTheRunBelowTheTimeOfItsNewestEvent() {
    long runTime = T0 + 200_000_000;
    others(Source.RUNS, 1_000, T0);
    append(Source.RUNS, RUN, event(RUN, 0, started("n")), runTime);
    append(Source.RUNS, RUN, event(RUN, 9, new RunFinished(0, 7L)), runTime + 100_000);
    // System metrics off and no alerts: these partitions hold nothing of the run, and all they
    // hold is older than its last event.
    others(Source.SYSTEM, 150_000, T0);
    others(Source.ALERTS, 150_000, T0);
    others(Source.METRICS, 1_000, runTime - 1_000_000);
    for (int step = 0; step < 8; step++) {
      append(Source.METRICS, RUN, batch(RUN, step, step + 1), runTime + 50_000);
    }

    Run run = scan(Goal.RESUME, false);

    assertThat(run.history().outcome()).isEqualTo(Outcome.FOUND);
    assertThat(run.history().complete()).isTrue();
    assertThat(run.history().lastStep()).isEqualTo(7);
    assertThat(run.history().lastSequence()).isEqualTo(9);
    assertThat(run.delivered()).isLessThan(20_000);
  }

  @Test
  void shouldReadBackThroughGrowingWindowsToAnOldRun() {
    append(Source.RUNS, RUN, event(RUN, 0, started("old")), T0);
    append(Source.RUNS, RUN, event(RUN, 2, new RunFinished(0, 0L)), T0);
    others(Source.RUNS, 10_000, T0);
    append(Source.METRICS, RUN, batch(RUN, 0, 1), T0);

    Run run = scan(Goal.RESUME, false);

    assertThat(run.history().outcome()).isEqualTo(Outcome.FOUND);
    assertThat(run.history().lastSequence()).isEqualTo(2);
    assertThat(run.history().lastStep()).isZero();
    // Windows of the runs partition (10,002 offsets): 1,000, then 2,000, 4,000 and the rest.
    assertThat(run.seeks()).containsSubsequence(9_002L, 7_002L, 3_002L, 0L);
  }

  @Test
  void shouldCountSequencesOfUserAlertsButNotOfTheProcessorsAlerts() {
    append(Source.RUNS, RUN, event(RUN, 0, started("a")), T0);
    append(Source.RUNS, RUN, event(RUN, 5, new Heartbeat(3L)), T0 + 1_000);
    append(Source.ALERTS, RUN, alert(RUN, "user", RUN + "-11", 9L), T0 + 2_000);
    append(Source.ALERTS, RUN, alert(RUN, "divergence", "episode-77", 50L), T0 + 3_000);
    append(Source.SYSTEM, RUN, batch(RUN, T0 + 2_500, 12), T0 + 2_500);

    Run run = scan(Goal.RESUME, false);

    assertThat(run.history().lastSequence()).isEqualTo(12);
    // A system sample's step is its time, and a processor's alert is not the run's own step.
    assertThat(run.history().lastStep()).isEqualTo(9);
  }

  @Test
  void shouldTakeTheStepBeforeTheResumedStepFromARunResumedEvent() {
    append(Source.RUNS, RUN, event(RUN, 0, started("a")), T0);
    append(Source.RUNS, RUN, event(RUN, 100, new RunResumed(60L)), T0 + 1_000);

    Run run = scan(Goal.RESUME, false);

    assertThat(run.history().lastStep()).isEqualTo(59);
    assertThat(run.history().lastSequence()).isEqualTo(100);
  }

  @Test
  void shouldStopAtTheFirstRecordOfTheRunWhenOnlyExistenceMatters() {
    append(Source.RUNS, RUN, event(RUN, 0, started("a")), T0);
    others(Source.RUNS, 50_000, T0);
    append(Source.RUNS, RUN, event(RUN, 4, new Heartbeat(1L)), T0 + 60_000);
    others(Source.RUNS, 100, T0 + 61_000);
    others(Source.METRICS, 100, T0);

    Run run = scan(Goal.EXISTS, true);

    assertThat(run.history().outcome()).isEqualTo(Outcome.FOUND);
    assertThat(run.history().complete()).isTrue();
    assertThat(run.delivered()).isLessThanOrEqualTo(BackwardScan.FIRST_WINDOW);
  }

  @Test
  void shouldNotReadMetricsWhenOnlyExistenceMatters() {
    others(Source.RUNS, 2_000, T0);
    append(Source.METRICS, RUN, batch(RUN, 0, 1), T0);

    Run run = scan(Goal.EXISTS, false);

    assertThat(BackwardScan.sources(Goal.EXISTS, false)).doesNotContain(Source.METRICS);
    assertThat(run.history().outcome()).isEqualTo(Outcome.ABSENT);
    assertThat(run.delivered()).isEqualTo(2_000);
  }

  @Test
  void shouldReportUnknownAndIncompleteWhenTheBudgetEndsFirst() {
    append(Source.RUNS, RUN, event(RUN, 0, started("a")), T0);
    others(Source.RUNS, 100_000, T0);

    Run run = scan(Goal.RESUME, true, 500, 3);

    assertThat(run.history().outcome()).isEqualTo(Outcome.UNKNOWN);
    assertThat(run.history().complete()).isFalse();
    assertThat(run.history().detail()).contains("not finished: runs-0");
  }

  @Test
  void shouldKeepWhatItFoundButSayIncompleteWhenTheBudgetEndsBeforeTheName() {
    append(Source.RUNS, RUN, event(RUN, 0, started("far-back")), T0);
    others(Source.RUNS, 100_000, T0);
    append(Source.RUNS, RUN, event(RUN, 8, new Heartbeat(6L)), T0 + 200_000);
    append(Source.METRICS, RUN, batch(RUN, 6, 7), T0 + 199_000);

    Run run = scan(Goal.RESUME, true, 500, 4);

    assertThat(run.history().outcome()).isEqualTo(Outcome.FOUND);
    assertThat(run.history().complete()).isFalse();
    assertThat(run.history().lastStep()).isEqualTo(6);
    assertThat(run.history().lastSequence()).isEqualTo(8);
    assertThat(run.history().name()).isNull();
  }

  @Test
  void shouldCountARecordOfTheRunThatCannotBeDecodedAsExisting() {
    log(Source.RUNS).add(new Rec(RUN, new byte[] {9, 9, 9}, T0));

    Run run = scan(Goal.EXISTS, false);

    assertThat(run.history().outcome()).isEqualTo(Outcome.FOUND);
    assertThat(run.history().lastSequence()).isEqualTo(-1);
    assertThat(run.history().detail()).contains("1 record(s) of the run could not be decoded");
  }

  @Test
  void shouldIgnoreRecordsOutsideTheWindowBeingRead() {
    BackwardScan scan = new BackwardScan(RUN, Goal.RESUME, false, new WireDecoder(registry));
    TopicPartition runs = new TopicPartition("runs", 0);
    scan.add(Source.RUNS, runs, 0, 5_000);
    assertThat(scan.takeSeeks()).containsEntry(runs, 4_000L);
    byte[] heartbeat = serializer.serialize("runs", event(RUN, 99, new Heartbeat(50L)));
    byte[] key = RUN.getBytes(StandardCharsets.UTF_8);

    // A record before the window (already past) and one a consumer prefetched past its end.
    scan.record(runs, 3_999, T0, key, heartbeat);
    scan.record(runs, 5_000, T0, key, heartbeat);

    assertThat(scan.result().outcome()).isEqualTo(Outcome.UNKNOWN);
    scan.record(runs, 4_500, T0, key, heartbeat);
    scan.position(runs, 5_000);
    assertThat(scan.done()).isTrue();
    assertThat(scan.result().lastSequence()).isEqualTo(99);
    assertThat(scan.result().recordsRead()).isEqualTo(1);
  }
}
