package dev.runstream.sdk.internal;

import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.Heartbeat;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunResumed;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.RunSummary;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The logic of reading a run's partitions backwards from their end, apart from Kafka: which window
 * of offsets to read next in each partition, what the records read say about the run, and when to
 * stop. {@link KafkaRunLookup} feeds it the records and positions of a consumer; tests feed it
 * directly.
 *
 * <p>Each partition is read in windows, newest first: the last {@value #FIRST_WINDOW} offsets, then
 * the ones before, each window twice as large as the one after it (at most {@value #MAX_WINDOW}).
 * What each partition is read for:
 *
 * <ul>
 *   <li>The last step and highest sequence ({@link Goal#RESUME}): the runs, metrics, system and
 *       alerts partitions are read back to the newest window that holds a record of the run. A
 *       record's sequence is assigned in the order its run sent it, so the newest window holds the
 *       run's newest records. Once the runs partition gave the run's newest lifecycle record, sent
 *       at time T, the other partitions need not be read below the offset of time {@code T - }
 *       {@value #CLOCK_MARGIN_MS} ms ({@link #takeTimeFloors()}): every record the run sent after
 *       it carries a later time, and a record sent before it has a lower sequence and a step no
 *       higher than that event's {@code lastStep}.
 *   <li>Whether the run exists at all: by the runs partition, where every process of a run leaves
 *       events (started or resumed, heartbeats, finished). When it was read to its start without a
 *       record of the run, the run is {@link RunHistory.Outcome#ABSENT} and the scan stops.
 *   <li>Its display name (when wanted): the runs partition is read further back to the run's {@code
 *       RunStarted} event, and the compacted run-summaries partition, where the processor keeps the
 *       name of every run and which a recent run's summary sits near the end of, is read back to
 *       the run's newest summary, whichever gives the name first.
 * </ul>
 *
 * <p>Not thread-safe.
 */
final class BackwardScan {
  private static final Logger log = LoggerFactory.getLogger(BackwardScan.class);

  /** Offsets in the first (newest) window of each partition. */
  static final int FIRST_WINDOW = 1_000;

  /** The largest window: each window doubles the one after it up to this many offsets. */
  static final int MAX_WINDOW = 128_000;

  /**
   * How much earlier than the run's newest lifecycle event its other records may be stamped: covers
   * a clock stepped back on the run's machine and topics stamped by the broker's clock.
   */
  static final long CLOCK_MARGIN_MS = 60_000;

  /** Which of the team's topics a partition belongs to. */
  enum Source {
    RUNS,
    METRICS,
    SYSTEM,
    ALERTS,
    SUMMARIES
  }

  /** What the scan is for. */
  enum Goal {
    /** Only whether the run exists ({@code Resume.NEVER}). */
    EXISTS,
    /**
     * Whether it exists, its last step and highest sequence ({@code Resume.ALLOW}, {@code MUST}).
     */
    RESUME
  }

  /**
   * Decodes a record value of a source: a {@link RunEvent} (runs), a {@link MetricBatch} (metrics,
   * system), an {@link Alert} or a {@link RunSummary}.
   */
  interface Decoder {
    /**
     * @throws RuntimeException when the value cannot be decoded
     */
    Object decode(Source source, byte[] value);
  }

  private static final class Part {
    final Source source;
    final TopicPartition tp;
    final long begin;
    final long end;
    long floor;
    long windowStart;
    long windowEnd;
    long readDownTo; // every offset from here to the end was read
    int size = FIRST_WINDOW;
    boolean reading;
    boolean hit; // the current window holds a decoded record of the run
    boolean hitEver;
    boolean stepsDone; // the newest window with a record of the run was read, or the floor reached
    boolean exhausted; // read down to the floor

    Part(Source source, TopicPartition tp, long begin, long end) {
      this.source = source;
      this.tp = tp;
      this.begin = begin;
      this.end = end;
      this.floor = begin;
      this.readDownTo = end;
    }
  }

  private final String runId;
  private final byte[] key;
  private final Goal goal;
  private final boolean wantName;
  private final Decoder decoder;
  private final Map<TopicPartition, Part> parts = new LinkedHashMap<>();
  private final Map<TopicPartition, Long> seeks = new LinkedHashMap<>();

  private boolean found;
  private long lastStep = -1;
  private long lastSequence = -1;
  private final Map<RecordKind, Long> highestByKind = new EnumMap<>(RecordKind.class);
  private String name;
  private String entity;
  private String project;
  private long newestEventSequence = -1;
  private long newestEventTime = -1;
  private boolean floorsTaken;
  private long recordsRead;
  private long undecodable;

  BackwardScan(String runId, Goal goal, boolean wantName, Decoder decoder) {
    this.runId = runId;
    this.key = runId.getBytes(StandardCharsets.UTF_8);
    this.goal = goal;
    this.wantName = wantName && goal == Goal.RESUME;
    this.decoder = decoder;
  }

  /** The topics to read for {@code goal}. */
  static Set<Source> sources(Goal goal, boolean wantName) {
    if (goal == Goal.EXISTS) {
      return EnumSet.of(Source.RUNS, Source.SUMMARIES);
    }
    Set<Source> sources = EnumSet.of(Source.RUNS, Source.METRICS, Source.SYSTEM, Source.ALERTS);
    if (wantName) {
      sources.add(Source.SUMMARIES);
    }
    return sources;
  }

  /** Adds a partition holding offsets {@code [begin, end)} when the lookup started. */
  void add(Source source, TopicPartition tp, long begin, long end) {
    Part p = new Part(source, tp, begin, end);
    parts.put(tp, p);
    if (end <= begin) {
      p.exhausted = true;
      p.stepsDone = true;
      return;
    }
    p.reading = true;
    p.windowEnd = end;
    p.windowStart = Math.max(begin, end - p.size);
    seeks.put(tp, p.windowStart);
  }

  /** The partitions to seek, each to the start of its next window; cleared by the call. */
  Map<TopicPartition, Long> takeSeeks() {
    Map<TopicPartition, Long> taken = new LinkedHashMap<>(seeks);
    seeks.clear();
    return taken;
  }

  /** The partitions still to be read (the others can be paused). */
  Set<TopicPartition> reading() {
    Set<TopicPartition> reading = new LinkedHashSet<>();
    for (Part p : parts.values()) {
      if (p.reading && active(p)) {
        reading.add(p.tp);
      }
    }
    return reading;
  }

  /** One record a consumer read; records outside the partition's current window are ignored. */
  void record(TopicPartition tp, long offset, long timestamp, byte[] recordKey, byte[] value) {
    Part p = parts.get(tp);
    if (p == null || !p.reading || offset < p.windowStart || offset >= p.windowEnd) {
      return;
    }
    recordsRead++;
    if (!Arrays.equals(key, recordKey)) {
      return;
    }
    // The key is the run id on every topic: a record of the run, even one that cannot be decoded.
    found = true;
    if (value == null) {
      return;
    }
    Object decoded;
    try {
      decoded = decoder.decode(p.source, value);
    } catch (RuntimeException e) {
      if (undecodable++ == 0) {
        log.warn(
            "a record of run {} at {} offset {} cannot be decoded and is passed over: {}",
            runId,
            tp,
            offset,
            e.getMessage());
      }
      return;
    }
    switch (p.source) {
      case RUNS -> event(p, (RunEvent) decoded, timestamp);
      case METRICS -> {
        MetricBatch batch = (MetricBatch) decoded;
        p.hit = true;
        step(batch.getStep());
        sequence(RecordKind.METRICS, batch.getSequence(), batch.getEntity(), batch.getProject());
      }
      case SYSTEM -> {
        MetricBatch batch = (MetricBatch) decoded;
        p.hit = true;
        // The step of a system sample is its time, not a training step.
        sequence(RecordKind.SYSTEM, batch.getSequence(), batch.getEntity(), batch.getProject());
      }
      case ALERTS -> alert(p, (Alert) decoded);
      case SUMMARIES -> {
        RunSummary summary = (RunSummary) decoded;
        p.hit = true;
        if (name == null && summary.getName() != null && !summary.getName().isBlank()) {
          name = summary.getName();
        }
      }
    }
  }

  private void event(Part p, RunEvent event, long timestamp) {
    p.hit = true;
    long sequence = event.getSequence();
    if (sequence > newestEventSequence) {
      newestEventSequence = sequence;
      newestEventTime = timestamp;
    }
    sequence(RecordKind.RUN_EVENT, sequence, event.getEntity(), event.getProject());
    Object payload = event.getPayload();
    if (payload instanceof RunStarted started) {
      if (name == null && !started.getName().isBlank()) {
        name = started.getName();
      }
    } else if (payload instanceof Heartbeat heartbeat) {
      step(heartbeat.getLastStep());
    } else if (payload instanceof RunFinished finished) {
      step(finished.getLastStep());
    } else if (payload instanceof RunResumed resumed) {
      step(resumed.getFromStep() - 1);
    }
  }

  private void alert(Part p, Alert alert) {
    // Only alerts from run.alert() carry the run's sequence (episode id "<run id>-<sequence>");
    // the processor's alerts are not the run's own records.
    String prefix = runId + "-";
    if (!"user".equals(alert.getRule()) || !alert.getEpisodeId().startsWith(prefix)) {
      return;
    }
    long sequence;
    try {
      sequence = Long.parseLong(alert.getEpisodeId().substring(prefix.length()));
    } catch (NumberFormatException e) {
      return;
    }
    p.hit = true;
    sequence(RecordKind.ALERT, sequence, alert.getEntity(), alert.getProject());
    if (alert.getStep() != null) {
      step(alert.getStep());
    }
  }

  private void step(long step) {
    lastStep = Math.max(lastStep, step);
  }

  private void sequence(RecordKind kind, long sequence, String recordEntity, String recordProject) {
    highestByKind.merge(kind, sequence, Math::max);
    if (sequence > lastSequence || entity == null) {
      entity = recordEntity;
      project = recordProject;
    }
    lastSequence = Math.max(lastSequence, sequence);
  }

  /**
   * The consumer's position in {@code tp}: at or past the end of the current window, that window
   * has been read and the partition moves on to the window before it, if it is still needed.
   */
  void position(TopicPartition tp, long position) {
    Part p = parts.get(tp);
    if (p != null && p.reading && position >= p.windowEnd) {
      advance(p);
    }
  }

  private void advance(Part p) {
    p.readDownTo = Math.min(p.readDownTo, Math.max(p.windowStart, p.floor));
    if (p.hit) {
      p.stepsDone = true;
      p.hitEver = true;
      p.hit = false;
    }
    if (p.windowStart <= p.floor) {
      p.exhausted = true;
      p.stepsDone = true;
    }
    if (!active(p)) {
      p.reading = false;
      return;
    }
    p.windowEnd = p.windowStart;
    p.size = (int) Math.min(MAX_WINDOW, 2L * p.size);
    p.windowStart = Math.max(p.floor, p.windowEnd - p.size);
    seeks.put(p.tp, p.windowStart);
  }

  /**
   * Once the runs partition gave the run's newest lifecycle event, the time below which the other
   * partitions still being read need not be read, for the caller to turn into offsets ({@link
   * #floor}); empty otherwise, and after the first non-empty answer.
   */
  Map<TopicPartition, Long> takeTimeFloors() {
    if (floorsTaken || goal != Goal.RESUME || newestEventTime < 0) {
      return Map.of();
    }
    for (Part p : parts.values()) {
      if (p.source == Source.RUNS && !p.stepsDone) {
        return Map.of();
      }
    }
    floorsTaken = true;
    Map<TopicPartition, Long> floors = new LinkedHashMap<>();
    for (Part p : parts.values()) {
      boolean steps =
          p.source == Source.METRICS || p.source == Source.SYSTEM || p.source == Source.ALERTS;
      if (steps && !p.stepsDone) {
        floors.put(p.tp, Math.max(0, newestEventTime - CLOCK_MARGIN_MS));
      }
    }
    return floors;
  }

  /**
   * Raises the lowest offset of {@code tp} that needs reading; {@code offset} at or past the
   * partition's end (no record that recent) ends it.
   */
  void floor(TopicPartition tp, long offset) {
    Part p = parts.get(tp);
    if (p == null || offset <= p.floor) {
      return;
    }
    p.floor = Math.min(offset, p.end);
    if (p.reading && p.windowEnd <= p.floor) {
      // The window being read lies wholly below the floor: nothing in it is needed.
      p.hit = false;
      p.windowStart = p.floor;
      advance(p);
    }
  }

  /** Whether the scan has what it was for. */
  boolean done() {
    if (absent() || (goal == Goal.EXISTS && found)) {
      return true;
    }
    for (Part p : parts.values()) {
      if (active(p)) {
        return false;
      }
    }
    return true;
  }

  private boolean absent() {
    if (found) {
      return false;
    }
    for (Part p : parts.values()) {
      if (p.source == Source.RUNS && !p.exhausted) {
        return false;
      }
    }
    return true;
  }

  private boolean active(Part p) {
    if (p.exhausted || absent()) {
      return false;
    }
    if (goal == Goal.EXISTS) {
      return !found;
    }
    boolean steps = p.source != Source.SUMMARIES && !p.stepsDone;
    boolean nameSource = p.source == Source.RUNS || (p.source == Source.SUMMARIES && !p.hitEver);
    return steps || (wantName && name == null && nameSource);
  }

  /** What the scan found so far. */
  RunHistory result() {
    boolean complete = done();
    RunHistory.Outcome outcome =
        found
            ? RunHistory.Outcome.FOUND
            : absent() ? RunHistory.Outcome.ABSENT : RunHistory.Outcome.UNKNOWN;
    return new RunHistory(
        outcome,
        lastStep,
        lastSequence,
        name,
        entity,
        project,
        complete,
        recordsRead,
        describe(),
        highestByKind);
  }

  private String describe() {
    List<String> unfinished = new ArrayList<>();
    StringJoiner read = new StringJoiner(", ");
    for (Part p : parts.values()) {
      read.add(p.tp + " back to offset " + p.readDownTo + " of " + p.begin + ".." + p.end);
      if (active(p)) {
        unfinished.add(p.tp.toString());
      }
    }
    String text = recordsRead + " records read (" + (parts.isEmpty() ? "no topics" : read) + ")";
    if (!unfinished.isEmpty() && !done()) {
      text += "; not finished: " + String.join(", ", unfinished);
    }
    if (undecodable > 0) {
      text += "; " + undecodable + " record(s) of the run could not be decoded";
    }
    return text;
  }
}
