package dev.runstream.sink.internal;

import java.util.List;

/**
 * Table names and their DDL. The column order here is the order {@link RecordMapper} writes
 * RowBinary in; change both together (and add a migration, never edit a shipped one).
 *
 * <p>Dedup design: every table is a {@code ReplacingMergeTree} whose {@code ORDER BY} is the
 * identity of a fact, so a record consumed twice (a replayed batch, a restart before the offset
 * commit, a producer retry) writes a row with the same key that merges away. Merges happen in the
 * background at an unknown time, so every read uses {@code FINAL} or {@code GROUP BY} with {@code
 * argMax(value, version)}, which give the deduplicated answer at once. Only features ClickHouse
 * 18.16 knows are used (no LowCardinality, codecs or DateTime64), so the same DDL runs on current
 * releases; the version column of a {@code ReplacingMergeTree} is unsigned because 18.16 requires
 * it.
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

  /** Every data table, in a stable order. */
  public static final List<String> DATA_TABLES =
      List.of(RUNS, RUN_EVENTS, METRICS, SYSTEM_METRICS, RUN_STATES, METRIC_SUMMARIES, ALERTS);

  private Tables() {}

  /** The bookkeeping table of {@link Migrations}; {@code %1$s} is the database. */
  static final String CREATE_MIGRATIONS =
      """
      CREATE TABLE IF NOT EXISTS %1$s.schema_migrations (
        version UInt32,
        description String,
        applied_at DateTime
      ) ENGINE = ReplacingMergeTree() ORDER BY version""";

  // One row per run, from RunStarted. A run is identified by (team, project, run_id); the highest
  // version (the RunStarted's SDK timestamp in ms) wins, so a re-sent RunStarted is the same row.
  // Config and tag updates are recorded in run_events; the query API overlays the latest of them.
  static final String CREATE_RUNS =
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
  static final String CREATE_RUN_EVENTS =
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
  static final String CREATE_METRICS =
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
  static final String CREATE_RUN_STATES =
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
  static final String CREATE_METRIC_SUMMARIES =
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
  static final String CREATE_ALERTS =
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
}
