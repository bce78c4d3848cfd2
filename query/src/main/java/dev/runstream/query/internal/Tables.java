package dev.runstream.query.internal;

import java.util.List;
import java.util.Map;

/**
 * Table names and their DDL. The column order here is the order the sink's {@code RecordMapper}
 * writes RowBinary in; change both together (and add a migration, never edit a shipped one).
 *
 * <h2>Duplicates never show: the design</h2>
 *
 * Delivery from Kafka to ClickHouse is at-least-once: offsets are committed after ClickHouse
 * acknowledged the rows, so a crash writes some rows again, and ClickHouse 18.16 cannot drop them
 * at insert time (no insert deduplication tokens; non-replicated tables do not deduplicate blocks).
 * So duplicates are made invisible instead:
 *
 * <ol>
 *   <li>Every table is a {@code ReplacingMergeTree} whose {@code ORDER BY} is the identity of a
 *       fact — a metric point is (team, project, run, metric, step) — so a row written twice has
 *       the key of the first and merges away, and the version column says which of two different
 *       rows of one key is current.
 *   <li>Merges run at an unknown time, so no read depends on them: every query deduplicates by the
 *       key ({@code FINAL} on small tables, {@code argMax(value, seq)} per key on raw points).
 *   <li>Downsampled curves ({@code metric_rollups}) are never incremented: each bucket row is a
 *       function of the deduplicated points of its steps, written with a newer version whenever a
 *       point of it arrives. the sink's {@code RollupTracker} folds a run's next steps in memory
 *       and recomputes a bucket from the stored points whenever a step is not new.
 * </ol>
 *
 * <pre>
 * case                                   | what arrives again          | why no answer changes
 * ---------------------------------------+-----------------------------+----------------------------
 * batch replayed after a crash between   | same rows, same keys and    | keys merge, reads dedup;
 *   insert and commit (or a lost commit, |   versions                  |   its steps are not above
 *   or a rebalance)                      |                             |   the rolled-up ones:
 *                                        |                             |   buckets recomputed
 * crash after the rows, before their     | rows whose rollups are      | the series is not learned
 *   rollups were written                 |   missing                   |   (rollups do not cover its
 *                                        |                             |   points): recomputed
 * run synced twice, SDK spill replayed,  | same records at new offsets | as a replayed batch
 *   producer retry                       |                             |
 * step logged again with a new value     | same key, higher seq        | argMax(value, seq); bucket
 *   (run resumed from a checkpoint)      |                             |   recomputed
 * same step twice in one batch           | same key                    | bucket recomputed
 * run summary replayed (compacted topic) | same or older updated_ms    | ReplacingMergeTree(
 *                                        |                             |   updated_ms), FINAL
 * RunStarted sent again, run resumed     | version = start time        | the latest start wins
 * config, tags, notes update replayed    | version = time * 2^20 + seq | the latest update wins
 * alert sent again after a processor     | same episode, later time    | reads keep the earliest per
 *   restart                              |   (in the key)              |   (run, episode, resolved)
 * partitions move to another sink        | nothing known is trusted    | the tracker forgets; the
 *                                        |                             |   new owner learns or
 *                                        |                             |   recomputes
 * </pre>
 *
 * Counts, steps, minima, maxima and last values are exact whichever way a bucket was made; a mean
 * may differ in the last bits (floating-point additions in another order).
 *
 * <h2>ORDER BY and partitioning</h2>
 *
 * The keys lead with (team, project): every query of the API is scoped to a project, so it reads
 * one contiguous range. {@code metrics} continues with (run, metric, step), which makes one run's
 * curve and the read-time deduplication of a step cheap; {@code metric_rollups} continues with
 * (metric, width) before the run, because comparing one metric across thousands of runs — the
 * curves, the leaderboard, the summary columns — then reads one contiguous range of one width.
 *
 * <p>No table is partitioned. A {@code ReplacingMergeTree} replaces rows only within a partition,
 * and no time column belongs to a point's identity (a step logged again carries a new time), so a
 * time partition would keep duplicates apart forever; partitioning by project or team would
 * multiply parts (each insert writes one part per partition it touches) for thousands of projects.
 * Retention, when needed, is a {@code DELETE} by project or a TTL on a newer server.
 *
 * <p>Only features ClickHouse 18.16 knows are used by the first migration; the version column of a
 * {@code ReplacingMergeTree} is unsigned because 18.16 requires it. Newer-server features are
 * chosen by the sink's {@code ServerFeatures} for the tables of later migrations.
 */
public final class Tables {
  public static final String MIGRATIONS = "schema_migrations";
  public static final String RUNS = "runs";
  public static final String RUN_EVENTS = "run_events";
  public static final String METRICS = "metrics";
  public static final String SYSTEM_METRICS = "system_metrics";
  public static final String RUN_STATES = "run_states";
  public static final String METRIC_SUMMARIES = "metric_summaries";
  public static final String ALERTS = "alerts";
  public static final String RUN_ATTRIBUTES = "run_attributes";
  public static final String METRIC_ROLLUPS = "metric_rollups";

  /** Attributes of {@code run_attributes}: the current value of what a run may update. */
  public static final String ATTR_CONFIG = "config";

  public static final String ATTR_TAGS = "tags";
  public static final String ATTR_NOTES = "notes";
  public static final String ATTR_SUMMARY = "summary";

  /** Every data table, in a stable order. */
  public static final List<String> DATA_TABLES =
      List.of(
          RUNS,
          RUN_EVENTS,
          METRICS,
          SYSTEM_METRICS,
          RUN_STATES,
          METRIC_SUMMARIES,
          ALERTS,
          RUN_ATTRIBUTES,
          METRIC_ROLLUPS);

  /**
   * The columns the sink writes, per table, in the order the sink's {@code RecordMapper} encodes
   * them. Inserts name their columns, so a column a later migration adds (with a default) does not
   * break a sink of the previous version that is still running during a rolling upgrade.
   */
  public static final Map<String, List<String>> COLUMNS =
      Map.of(
          RUNS,
          List.of(
              "team",
              "project",
              "run_id",
              "name",
              "notes",
              "tags",
              "config_json",
              "config_keys",
              "config_values",
              "group_name",
              "job_type",
              "env_keys",
              "env_values",
              "started_at",
              "version"),
          RUN_EVENTS,
          List.of(
              "team",
              "project",
              "run_id",
              "sequence",
              "kind",
              "time",
              "time_ms",
              "exit_code",
              "payload"),
          METRICS,
          List.of("team", "project", "run_id", "metric", "step", "time", "value", "seq"),
          SYSTEM_METRICS,
          List.of("team", "project", "run_id", "metric", "step", "time", "value", "seq"),
          RUN_STATES,
          List.of(
              "team",
              "project",
              "run_id",
              "state",
              "updated_ms",
              "started_ms",
              "finished_ms",
              "exit_code",
              "last_seen_ms",
              "name",
              "last_metric_ms",
              "last_heartbeat_ms",
              "summary_json"),
          METRIC_SUMMARIES,
          List.of(
              "team",
              "project",
              "run_id",
              "metric",
              "updated_ms",
              "count",
              "finite_count",
              "sum",
              "min",
              "min_step",
              "max",
              "max_step",
              "first",
              "first_step",
              "last",
              "last_step",
              "last_timestamp_ms",
              "nan_count",
              "inf_count",
              "ema",
              "em_var",
              "best",
              "best_step",
              "goal"),
          ALERTS,
          List.of(
              "team",
              "project",
              "run_id",
              "episode_id",
              "resolved",
              "time",
              "time_ms",
              "rule",
              "severity",
              "title",
              "message",
              "metric",
              "step",
              "value",
              "baseline"),
          RUN_ATTRIBUTES,
          List.of("team", "project", "run_id", "attribute", "keys", "values", "text", "version"),
          METRIC_ROLLUPS,
          List.of(
              "team",
              "project",
              "metric",
              "width",
              "run_id",
              "bucket",
              "first_step",
              "last_step",
              "points",
              "finite",
              "sum",
              "min",
              "min_step",
              "max",
              "max_step",
              "last",
              "version"));

  private Tables() {}

  /** The bookkeeping table of the sink's {@code Migrations}; {@code %1$s} is the database. */
  public static final String CREATE_MIGRATIONS =
      """
      CREATE TABLE IF NOT EXISTS %1$s.schema_migrations (
        version UInt32,
        description String,
        applied_at DateTime
      ) ENGINE = ReplacingMergeTree() ORDER BY version""";

  // One row per run, from RunStarted. A run is identified by (team, project, run_id); the highest
  // version (the RunStarted's SDK timestamp in ms) wins, so a re-sent RunStarted is the same row.
  // Config and tag updates are recorded in run_events; the query API overlays the latest of them.
  public static final String CREATE_RUNS =
      """
      CREATE TABLE IF NOT EXISTS %1$s.runs (
        team String,
        project String,
        run_id String,
        name String,
        notes String,
        tags Array(String),
        config_json String,
        config_keys Array(String),
        config_values Array(String),
        group_name String,
        job_type String,
        env_keys Array(String),
        env_values Array(String),
        started_at DateTime,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY (team, project, run_id)""";

  // Every lifecycle event. An event is identified by its run, its sequence, its kind and its time
  // in ms, so a replayed event is the same row, while heartbeats of an SDK that leaves sequence at
  // 0 stay distinct.
  public static final String CREATE_RUN_EVENTS =
      """
      CREATE TABLE IF NOT EXISTS %1$s.run_events (
        team String,
        project String,
        run_id String,
        sequence Int64,
        kind String,
        time DateTime,
        time_ms Int64,
        exit_code Nullable(Int32),
        payload String
      ) ENGINE = ReplacingMergeTree() ORDER BY (team, project, run_id, sequence, kind, time_ms)""";

  // One row per logged point. The identity of a point is (run, metric, step): logging the same
  // step again replaces the value, and the higher seq (the batch's sequence) wins. Reads use
  // argMax(value, seq) grouped by the key. Values are stored as they are, NaN and infinities too.
  public static final String CREATE_METRICS =
      """
      CREATE TABLE IF NOT EXISTS %1$s.%2$s (
        team String,
        project String,
        run_id String,
        metric String,
        step Int64,
        time DateTime,
        value Float64,
        seq UInt64
      ) ENGINE = ReplacingMergeTree(seq) ORDER BY (team, project, run_id, metric, step)""";

  // The latest state of each run from the compacted summaries topic; the newest updated_ms wins.
  public static final String CREATE_RUN_STATES =
      """
      CREATE TABLE IF NOT EXISTS %1$s.run_states (
        team String,
        project String,
        run_id String,
        state String,
        updated_ms UInt64,
        started_ms Nullable(Int64),
        finished_ms Nullable(Int64),
        exit_code Nullable(Int32),
        last_seen_ms Int64
      ) ENGINE = ReplacingMergeTree(updated_ms) ORDER BY (team, project, run_id)""";

  // One row per (run, metric) of each summary; the newest updated_ms wins.
  public static final String CREATE_METRIC_SUMMARIES =
      """
      CREATE TABLE IF NOT EXISTS %1$s.metric_summaries (
        team String,
        project String,
        run_id String,
        metric String,
        updated_ms UInt64,
        count Int64,
        finite_count Int64,
        sum Float64,
        min Float64,
        min_step Int64,
        max Float64,
        max_step Int64,
        first Float64,
        first_step Int64,
        last Float64,
        last_step Int64,
        last_timestamp_ms Int64,
        nan_count Int64,
        inf_count Int64
      ) ENGINE = ReplacingMergeTree(updated_ms) ORDER BY (team, project, run_id, metric)""";

  // Every alert. The raise and the resolution of an episode are two rows (resolved 0 and 1); a
  // re-delivered alert has the same key and merges away.
  public static final String CREATE_ALERTS =
      """
      CREATE TABLE IF NOT EXISTS %1$s.alerts (
        team String,
        project String,
        run_id String,
        episode_id String,
        resolved UInt8,
        time DateTime,
        time_ms Int64,
        rule String,
        severity String,
        title String,
        message String,
        metric Nullable(String),
        step Nullable(Int64),
        value Nullable(Float64),
        baseline Nullable(Float64)
      ) ENGINE = ReplacingMergeTree() ORDER BY (team, project, run_id, episode_id, resolved, time)""";

  // ---- migration 2 ----------------------------------------------------------------------------
  // %1$s is the database, %2$s the type of short repeated strings (String on 18.16,
  // LowCardinality(String) where the server has it), %3$s a float codec clause (empty on 18.16).

  /** RunSummary fields added with the schema's second version: (table, column, type). */
  public static final List<List<String>> ADD_COLUMNS_V2 =
      List.of(
          List.of(RUN_STATES, "name", "String DEFAULT ''"),
          List.of(RUN_STATES, "last_metric_ms", "Int64 DEFAULT 0"),
          List.of(RUN_STATES, "last_heartbeat_ms", "Int64 DEFAULT 0"),
          List.of(RUN_STATES, "summary_json", "String DEFAULT '{}'"),
          List.of(METRIC_SUMMARIES, "ema", "Float64 DEFAULT 0"),
          List.of(METRIC_SUMMARIES, "em_var", "Float64 DEFAULT 0"),
          List.of(METRIC_SUMMARIES, "best", "Nullable(Float64)"),
          List.of(METRIC_SUMMARIES, "best_step", "Int64 DEFAULT -1"),
          List.of(METRIC_SUMMARIES, "goal", "String DEFAULT 'NONE'"));

  // The current value of each mutable attribute of a run: 'config' (keys/values flattened, text the
  // JSON), 'tags' (keys), 'notes' (text), 'summary' (keys/values flattened, text the JSON). Written
  // from RunStarted and from every update event, so filters on config and tags see updates in SQL.
  // version = event time in ms * 2^20 + the event's sequence (capped), so the latest event wins and
  // a replayed event is the same row. One row per (run, attribute) after merges; read with FINAL.
  public static final String CREATE_RUN_ATTRIBUTES =
      """
      CREATE TABLE IF NOT EXISTS %1$s.run_attributes (
        team %2$s,
        project %2$s,
        run_id String,
        attribute %2$s,
        keys Array(String),
        values Array(String),
        text String,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY (team, project, run_id, attribute)""";

  // Downsampled, deduplicated curves: per (metric, run) the points of each bucket of `width` steps
  // (widths 4, 16, 32, 64, 128, 256: see Rollups), recomputed by the sink from the deduplicated
  // points after every insert that touched the bucket. Because a bucket row is a function of the
  // deduplicated points (not an increment), a replayed batch recomputes the same row: counts and
  // means cannot double. ORDER BY starts with (team, project, metric, width): comparing one metric
  // across thousands of runs reads one contiguous range. min/max are over finite values only (read
  // them only where finite > 0); last is the value at last_step. The newest computation wins.
  public static final String CREATE_METRIC_ROLLUPS =
      """
      CREATE TABLE IF NOT EXISTS %1$s.metric_rollups (
        team %2$s,
        project %2$s,
        metric %2$s,
        width UInt32,
        run_id String,
        bucket Int64,
        first_step Int64,
        last_step Int64,
        points UInt64,
        finite UInt64,
        sum Float64 %3$s,
        min Float64 %3$s,
        min_step Int64,
        max Float64 %3$s,
        max_step Int64,
        last Float64 %3$s,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY (team, project, metric, width, run_id, bucket)""";

  /** Copies the config, tags and notes of runs stored before migration 2. */
  public static final List<String> BACKFILL_RUN_ATTRIBUTES_V2 =
      List.of(
          "INSERT INTO %1$s.run_attributes (team, project, run_id, attribute, keys, values, text,"
              + " version) SELECT team, project, run_id, 'config', config_keys, config_values,"
              + " config_json, version * 1048576 FROM %1$s.runs FINAL",
          "INSERT INTO %1$s.run_attributes (team, project, run_id, attribute, keys, values, text,"
              + " version) SELECT team, project, run_id, 'tags', tags, [], '', version * 1048576"
              + " FROM %1$s.runs FINAL",
          "INSERT INTO %1$s.run_attributes (team, project, run_id, attribute, keys, values, text,"
              + " version) SELECT team, project, run_id, 'notes', [], [], notes, version * 1048576"
              + " FROM %1$s.runs FINAL");
}
