package dev.runstream.sink.internal;

import static dev.runstream.query.internal.Tables.ATTR_CONFIG;
import static dev.runstream.query.internal.Tables.ATTR_NOTES;
import static dev.runstream.query.internal.Tables.ATTR_SUMMARY;
import static dev.runstream.query.internal.Tables.ATTR_TAGS;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runstream.query.internal.ConfigFlattener;
import dev.runstream.query.internal.Tables;
import dev.runstream.schemas.AvroDeserializer;
import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.ConfigUpdated;
import dev.runstream.schemas.avro.Heartbeat;
import dev.runstream.schemas.avro.MetricAggregate;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.MetricDefined;
import dev.runstream.schemas.avro.NotesUpdated;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunResumed;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.RunSummary;
import dev.runstream.schemas.avro.SummaryUpdated;
import dev.runstream.schemas.avro.TagsUpdated;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the value bytes of a record from one of the sink's topics into rows for its tables. The
 * team column is the team that owns the topics, when the sink is bound to one (teams sharing a
 * cluster each own a topic prefix, and Kafka's ACLs decide who may write there, so the topic is
 * what says whose a record is, never its payload); otherwise the record's {@code entity} field.
 *
 * <p>Thread-safe. Each record's rows are encoded into their own buffers, so a record that fails
 * half-way leaves nothing behind in the batch.
 */
public final class RecordMapper {
  /** Kinds of {@code run_events} rows, one per payload type of {@link RunEvent}. */
  public static final String STARTED = "started";

  public static final String CONFIG_UPDATED = "config_updated";
  public static final String TAGS_UPDATED = "tags_updated";
  public static final String HEARTBEAT = "heartbeat";
  public static final String FINISHED = "finished";
  public static final String RESUMED = "resumed";
  public static final String METRIC_DEFINED = "metric_defined";
  public static final String SUMMARY_UPDATED = "summary_updated";
  public static final String NOTES_UPDATED = "notes_updated";

  private static final Logger log = LoggerFactory.getLogger(RecordMapper.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Distinct claimed teams warned about; a flood of made-up names must not grow memory. */
  private static final int MAX_TEAM_WARNINGS = 100;

  private enum Kind {
    RUNS,
    METRICS,
    SYSTEM,
    SUMMARIES,
    ALERTS
  }

  private final Map<String, Kind> kinds;
  private final AvroDeserializer<RunEvent> runEvents;
  private final AvroDeserializer<MetricBatch> metricBatches;
  private final MetricBatchReader metricBatchReader;
  private final AvroDeserializer<RunSummary> summaries;
  private final AvroDeserializer<Alert> alerts;
  // The names of the last metric batch that passed the checks (see sharedPoints).
  private final AtomicReference<List<String>> lastNames = new AtomicReference<>(List.of());
  // Null: rows take the team their records name.
  private final String team;
  private final Set<String> warnedTeams = ConcurrentHashMap.newKeySet();

  /** A mapper that stores each record under the team (entity) the record names. */
  public RecordMapper(Topics topics, SchemaRegistry registry) {
    this(topics, registry, Optional.empty());
  }

  /**
   * A mapper for a sink bound to {@code team}'s topics: every row is stored under that team,
   * whatever the record names (a warning, once per claimed name, says when they differ).
   */
  public RecordMapper(Topics topics, SchemaRegistry registry, Optional<String> team) {
    this.kinds =
        Map.of(
            topics.runs.name(), Kind.RUNS,
            topics.metrics.name(), Kind.METRICS,
            topics.system.name(), Kind.SYSTEM,
            topics.runSummaries.name(), Kind.SUMMARIES,
            topics.alerts.name(), Kind.ALERTS);
    this.runEvents = new AvroDeserializer<>(RunEvent.class, registry);
    this.metricBatches = new AvroDeserializer<>(MetricBatch.class, registry);
    this.metricBatchReader = new MetricBatchReader(registry);
    this.summaries = new AvroDeserializer<>(RunSummary.class, registry);
    this.alerts = new AvroDeserializer<>(Alert.class, registry);
    this.team = team.orElse(null);
  }

  /**
   * The rows for a record of {@code topic}; empty for a tombstone.
   *
   * @throws org.apache.kafka.common.errors.SerializationException when the bytes do not decode
   * @throws IllegalArgumentException when the record decodes but cannot be stored
   */
  public List<EncodedRows> map(String topic, byte[] value) {
    if (value == null) {
      return List.of(); // a tombstone on the compacted summaries topic: nothing to store
    }
    Kind kind = kinds.get(topic);
    if (kind == null) {
      throw new IllegalArgumentException("the sink does not read topic " + topic);
    }
    return switch (kind) {
      case RUNS -> {
        RunEvent event = runEvents.deserialize(topic, value);
        event.setEntity(owner(event.getEntity(), topic, event.getRunId()));
        yield runEvent(event);
      }
      case METRICS, SYSTEM -> {
        MetricBatch batch = metricBatchReader.read(value);
        if (batch == null) {
          batch = metricBatches.deserialize(topic, value);
          metricBatchReader.learn(value);
        }
        batch.setEntity(owner(batch.getEntity(), topic, batch.getRunId()));
        String table = kind == Kind.METRICS ? Tables.METRICS : Tables.SYSTEM_METRICS;
        yield List.of(EncodedRows.points(table, sharedPoints(batch)));
      }
      case SUMMARIES -> {
        RunSummary summary = summaries.deserialize(topic, value);
        summary.setEntity(owner(summary.getEntity(), topic, summary.getRunId()));
        yield runSummary(summary);
      }
      case ALERTS -> {
        Alert alert = alerts.deserialize(topic, value);
        alert.setEntity(owner(alert.getEntity(), topic, alert.getRunId()));
        yield List.of(alert(alert));
      }
    };
  }

  /** The team a record is stored under: see the class comment. */
  private String owner(String claimed, String topic, String runId) {
    if (team == null) {
      return claimed;
    }
    if (!claimed.isEmpty()
        && !claimed.equals(team)
        && warnedTeams.size() < MAX_TEAM_WARNINGS
        && warnedTeams.add(claimed)) {
      log.warn(
          "a record of run {} on {} names team '{}', but this sink's topics belong to team '{}':"
              + " stored under '{}' (said once per name)",
          runId,
          topic,
          claimed,
          team,
          team);
    }
    return team;
  }

  /** Rows of {@code runs} (for RunStarted) and {@code run_events} (always). */
  public static List<EncodedRows> runEvent(RunEvent event) {
    Object payload = event.getPayload();
    List<EncodedRows> out = new ArrayList<>(2);
    ObjectNode json = JSON.createObjectNode();
    String kind;
    Integer exitCode = null;
    if (payload instanceof RunStarted started) {
      kind = STARTED;
      out.add(runRow(event, started));
      out.add(attribute(event, ATTR_CONFIG, config(event, started.getConfigJson())));
      out.add(attribute(event, ATTR_TAGS, started.getTags(), List.of(), ""));
      out.add(attribute(event, ATTR_NOTES, List.of(), List.of(), nullToEmpty(started.getNotes())));
      json.put("name", started.getName());
      json.put("notes", started.getNotes());
      ArrayNode tags = json.putArray("tags");
      started.getTags().forEach(tags::add);
      json.put("configJson", started.getConfigJson());
      json.put("group", started.getGroup());
      json.put("jobType", started.getJobType());
      ObjectNode env = json.putObject("environment");
      new TreeMap<>(started.getEnvironment()).forEach(env::put);
    } else if (payload instanceof ConfigUpdated updated) {
      kind = CONFIG_UPDATED;
      json.put("configJson", updated.getConfigJson());
      out.add(attribute(event, ATTR_CONFIG, config(event, updated.getConfigJson())));
    } else if (payload instanceof TagsUpdated updated) {
      kind = TAGS_UPDATED;
      ArrayNode tags = json.putArray("tags");
      updated.getTags().forEach(tags::add);
      out.add(attribute(event, ATTR_TAGS, updated.getTags(), List.of(), ""));
    } else if (payload instanceof NotesUpdated updated) {
      kind = NOTES_UPDATED;
      json.put("notes", updated.getNotes());
      out.add(attribute(event, ATTR_NOTES, List.of(), List.of(), updated.getNotes()));
    } else if (payload instanceof SummaryUpdated updated) {
      kind = SUMMARY_UPDATED;
      json.put("summaryJson", updated.getSummaryJson());
      out.add(attribute(event, ATTR_SUMMARY, config(event, updated.getSummaryJson())));
    } else if (payload instanceof MetricDefined defined) {
      kind = METRIC_DEFINED;
      json.put("name", defined.getName());
      json.put("goal", defined.getGoal().name());
      json.put("summary", defined.getSummary());
    } else if (payload instanceof Heartbeat heartbeat) {
      kind = HEARTBEAT;
      json.put("lastStep", heartbeat.getLastStep());
    } else if (payload instanceof RunFinished finished) {
      kind = FINISHED;
      exitCode = finished.getExitCode();
      json.put("exitCode", finished.getExitCode());
      json.put("lastStep", finished.getLastStep());
    } else if (payload instanceof RunResumed resumed) {
      kind = RESUMED;
      json.put("fromStep", resumed.getFromStep());
    } else {
      throw new IllegalArgumentException(
          "unknown run event payload " + (payload == null ? "null" : payload.getClass()));
    }
    RowBinary row =
        new RowBinary(256)
            .string(event.getEntity())
            .string(event.getProject())
            .string(event.getRunId())
            .int64(event.getSequence())
            .string(kind)
            .dateTime(event.getTimestampMs())
            .int64(event.getTimestampMs())
            .nullableInt32(exitCode)
            .string(json.toString());
    out.add(new EncodedRows(Tables.RUN_EVENTS, row.toByteArray(), 1));
    return out;
  }

  /** A JSON object flattened, with its text; a text that is not an object keeps only the text. */
  private record Flat(SortedMap<String, String> values, String json) {}

  private static Flat config(RunEvent event, String json) {
    try {
      return new Flat(ConfigFlattener.flatten(json), json);
    } catch (IllegalArgumentException e) {
      log.warn(
          "run {} sent a config or summary that is not a JSON object; storing it unflattened: {}",
          event.getRunId(),
          e.getMessage());
      return new Flat(new TreeMap<>(), json);
    }
  }

  private static EncodedRows attribute(RunEvent event, String attribute, Flat flat) {
    return attribute(
        event,
        attribute,
        new ArrayList<>(flat.values().keySet()),
        new ArrayList<>(flat.values().values()),
        flat.json());
  }

  /**
   * A {@code run_attributes} row. The version orders events by time, then by sequence, so the
   * latest update wins and a replayed event is the same row.
   */
  private static EncodedRows attribute(
      RunEvent event, String attribute, List<String> keys, List<String> values, String text) {
    long version =
        Math.max(0L, event.getTimestampMs()) * ATTRIBUTE_SEQUENCE_SLOTS
            + Math.min(Math.max(0L, event.getSequence()), ATTRIBUTE_SEQUENCE_SLOTS - 1);
    RowBinary row =
        new RowBinary(128)
            .string(event.getEntity())
            .string(event.getProject())
            .string(event.getRunId())
            .string(attribute)
            .stringArray(keys)
            .stringArray(values)
            .string(text)
            .uint64(version);
    return new EncodedRows(Tables.RUN_ATTRIBUTES, row.toByteArray(), 1);
  }

  /** Sequence numbers per millisecond that order attribute updates: 2^20. */
  static final long ATTRIBUTE_SEQUENCE_SLOTS = 1L << 20;

  private static EncodedRows runRow(RunEvent event, RunStarted started) {
    SortedMap<String, String> config;
    try {
      config = ConfigFlattener.flatten(started.getConfigJson());
    } catch (IllegalArgumentException e) {
      // The run is still a run: keep it, with its config text as given, rather than lose it.
      log.warn(
          "run {} has a config that is not a JSON object; storing it unflattened: {}",
          event.getRunId(),
          e.getMessage());
      config = new TreeMap<>();
    }
    SortedMap<String, String> env = new TreeMap<>(started.getEnvironment());
    RowBinary row =
        new RowBinary(512)
            .string(event.getEntity())
            .string(event.getProject())
            .string(event.getRunId())
            .string(started.getName())
            .string(nullToEmpty(started.getNotes()))
            .stringArray(started.getTags())
            .string(started.getConfigJson())
            .stringArray(new ArrayList<>(config.keySet()))
            .stringArray(new ArrayList<>(config.values()))
            .string(nullToEmpty(started.getGroup()))
            .string(nullToEmpty(started.getJobType()))
            .stringArray(new ArrayList<>(env.keySet()))
            .stringArray(new ArrayList<>(env.values()))
            .dateTime(event.getTimestampMs())
            .uint64(Math.max(0L, event.getTimestampMs()));
    return new EncodedRows(Tables.RUNS, row.toByteArray(), 1);
  }

  /**
   * One row per (name, value) of the batch, for {@code metrics} or {@code system_metrics}; for
   * {@code metrics} the points ride along so the downsampled curves can follow once they are
   * stored. (The sink itself keeps the points of a batch and encodes them together, in key order:
   * {@link #map} and {@link MetricRows}.)
   *
   * @throws IllegalArgumentException when the batch breaks the contract ({@link #points})
   */
  public static EncodedRows metricBatch(String table, MetricBatch batch) {
    MetricPoints points = points(batch);
    return new EncodedRows(
        table,
        MetricRows.encode(List.of(points)),
        points.names().size(),
        Tables.METRICS.equals(table) ? points : null);
  }

  /**
   * The points of a batch, checked against the contract.
   *
   * @throws IllegalArgumentException when the batch breaks the contract: an empty run id, a
   *     negative step, names and values of different lengths, or a metric name that is empty or
   *     appears twice (which of two values would be "the" value of that step is not defined)
   */
  public static MetricPoints points(MetricBatch batch) {
    return points(batch, List.of());
  }

  /**
   * {@link #points(MetricBatch)}, sharing one list of names among batches that log the same names.
   * A run logs the same names step after step, and runs of the same code log the same names, so
   * most batches are checked with one comparison instead of a set of their names, and share a list
   * that later stages compare by identity.
   */
  private MetricPoints sharedPoints(MetricBatch batch) {
    List<String> last = lastNames.get();
    MetricPoints p = points(batch, last);
    if (p.names() == last) {
      return p;
    }
    List<String> shared = List.copyOf(p.names());
    lastNames.set(shared);
    return new MetricPoints(
        p.team(), p.project(), p.runId(), p.step(), p.timestampMs(), p.seq(), shared, p.values());
  }

  /** The points of a batch; {@code checked}: names that passed the checks before. */
  private static MetricPoints points(MetricBatch batch, List<String> checked) {
    String runId = batch.getRunId();
    List<String> names = batch.getNames();
    List<Double> values = batch.getValues();
    if (runId.isEmpty()) {
      throw new IllegalArgumentException("metric batch has an empty run id");
    }
    if (batch.getStep() < 0) {
      throw new IllegalArgumentException(
          "metric batch of run " + runId + " has a negative step " + batch.getStep());
    }
    if (names.size() != values.size()) {
      throw new IllegalArgumentException(
          "metric batch of run "
              + runId
              + " has "
              + names.size()
              + " names but "
              + values.size()
              + " values");
    }
    if (MetricRows.sameNames(names, checked)) {
      names = checked;
    } else {
      Set<String> seen = new HashSet<>(names.size() * 2);
      for (String name : names) {
        if (name.isEmpty()) {
          throw new IllegalArgumentException("metric batch of run " + runId + " has an empty name");
        }
        if (!seen.add(name)) {
          throw new IllegalArgumentException(
              "metric batch of run " + runId + " names metric '" + name + "' twice");
        }
      }
    }
    return new MetricPoints(
        batch.getEntity(),
        batch.getProject(),
        runId,
        batch.getStep(),
        batch.getTimestampMs(),
        Math.max(0L, batch.getSequence()),
        names,
        values);
  }

  /** A {@code run_states} row and one {@code metric_summaries} row per metric. */
  public static List<EncodedRows> runSummary(RunSummary summary) {
    long updated = Math.max(0L, summary.getUpdatedMs());
    RowBinary state =
        new RowBinary(128)
            .string(summary.getEntity())
            .string(summary.getProject())
            .string(summary.getRunId())
            .string(summary.getState().name())
            .uint64(updated)
            .nullableInt64(summary.getStartedMs())
            .nullableInt64(summary.getFinishedMs())
            .nullableInt32(summary.getExitCode())
            .int64(summary.getLastSeenMs())
            .string(summary.getName())
            .int64(summary.getLastMetricMs())
            .int64(summary.getLastHeartbeatMs())
            .string(summary.getSummaryJson());
    SortedMap<String, MetricAggregate> metrics = new TreeMap<>(summary.getMetrics());
    RowBinary rows = new RowBinary(64 + metrics.size() * 160);
    metrics.forEach(
        (metric, a) ->
            rows.string(summary.getEntity())
                .string(summary.getProject())
                .string(summary.getRunId())
                .string(metric)
                .uint64(updated)
                .int64(a.getCount())
                .int64(a.getFiniteCount())
                .float64(a.getSum())
                .float64(a.getMin())
                .int64(a.getMinStep())
                .float64(a.getMax())
                .int64(a.getMaxStep())
                .float64(a.getFirst())
                .int64(a.getFirstStep())
                .float64(a.getLast())
                .int64(a.getLastStep())
                .int64(a.getLastTimestampMs())
                .int64(a.getNanCount())
                .int64(a.getInfCount())
                .float64(a.getEma())
                .float64(a.getEmVar())
                .nullableFloat64(a.getBest())
                .int64(a.getBestStep())
                .string(a.getGoal().name()));
    return List.of(
        new EncodedRows(Tables.RUN_STATES, state.toByteArray(), 1),
        new EncodedRows(Tables.METRIC_SUMMARIES, rows.toByteArray(), metrics.size()));
  }

  /** An {@code alerts} row. */
  public static EncodedRows alert(Alert alert) {
    RowBinary row =
        new RowBinary(256)
            .string(alert.getEntity())
            .string(alert.getProject())
            .string(alert.getRunId())
            .string(alert.getEpisodeId())
            .bool(alert.getResolved())
            .dateTime(alert.getTimestampMs())
            .int64(alert.getTimestampMs())
            .string(alert.getRule())
            .string(alert.getSeverity().name())
            .string(alert.getTitle())
            .string(alert.getMessage())
            .nullableString(alert.getMetric())
            .nullableInt64(alert.getStep())
            .nullableFloat64(alert.getValue())
            .nullableFloat64(alert.getBaseline());
    return new EncodedRows(Tables.ALERTS, row.toByteArray(), 1);
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
