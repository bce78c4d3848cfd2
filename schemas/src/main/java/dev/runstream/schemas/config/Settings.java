package dev.runstream.schemas.config;

import static java.time.temporal.ChronoUnit.MILLIS;
import static java.time.temporal.ChronoUnit.SECONDS;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The one place that names every environment variable runstream reads, with its default and what it
 * does. Programs read them through {@link ConfigProperties}, which accepts only these; the README's
 * tables are checked against {@link #all()}.
 *
 * <p>Durations take a unit ({@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}, {@code 2d}) or
 * ISO-8601 ({@code PT2M}); a number without a unit counts in the unit the setting states ({@link
 * Setting#bareNumberUnit()}), as it did before units were accepted.
 */
public final class Settings {
  private Settings() {}

  // --- Servers and topics: every program -------------------------------------------------------

  /** Kafka; the SDK has read both names, the processor and the sink the short one. */
  public static final Setting KAFKA_BOOTSTRAP =
      Setting.of(
              "RUNSTREAM_KAFKA_BOOTSTRAP",
              "127.0.0.1:9092 (SDK); required (processor, sink)",
              "Kafka bootstrap servers, host:port[,host:port...]")
          .alsoRead("KAFKA_BOOTSTRAP");

  /** The schema registry. */
  public static final Setting SCHEMA_REGISTRY_URL =
      Setting.of(
              "RUNSTREAM_SCHEMA_REGISTRY_URL",
              "http://127.0.0.1:8081/apis/ccompat/v7 (SDK); required (processor, sink)",
              "The schema registry's Confluent-compatible base URL")
          .alsoRead("SCHEMA_REGISTRY_URL");

  /** Extra Kafka client properties, {@code k=v,k2=v2}. */
  public static final Setting KAFKA_PROPERTIES =
      Setting.of(
          "RUNSTREAM_KAFKA_PROPERTIES",
          "",
          "Kafka client properties (k=v,k2=v2) over runstream's own, for every client a program"
              + " builds; wins over RUNSTREAM_KAFKA_PROPERTIES_FILE");

  /** A properties file of Kafka client properties, so secrets stay off command lines. */
  public static final Setting KAFKA_PROPERTIES_FILE =
      Setting.of(
          "RUNSTREAM_KAFKA_PROPERTIES_FILE",
          "",
          "A Java properties file of Kafka client properties (SASL, TLS) over runstream's own");

  /** The team's topic prefix. */
  public static final Setting TOPIC_PREFIX =
      Setting.of("RUNSTREAM_TOPIC_PREFIX", "runstream.", "The prefix of the team's topics");

  /** The team a processor or sink is bound to. */
  public static final Setting TEAM =
      Setting.of(
              "RUNSTREAM_TEAM",
              "",
              "The team that owns the topics: the processor and the sink refuse records of others")
          .refusingBlank();

  /** ClickHouse's HTTP URL. */
  public static final Setting CLICKHOUSE_URL =
      Setting.of("CLICKHOUSE_URL", "", "ClickHouse's HTTP URL (required by the sink)");

  /** ClickHouse user. */
  public static final Setting CLICKHOUSE_USER =
      Setting.of("CLICKHOUSE_USER", "default", "ClickHouse user");

  /** ClickHouse password. */
  public static final Setting CLICKHOUSE_PASSWORD =
      Setting.of("CLICKHOUSE_PASSWORD", "", "ClickHouse password; never logged");

  /** A file holding the ClickHouse password, so that it stays out of the environment. */
  public static final Setting CLICKHOUSE_PASSWORD_FILE =
      Setting.of(
          "CLICKHOUSE_PASSWORD_FILE",
          "",
          "A file whose first line is the ClickHouse password (a mounted secret); wins over"
              + " CLICKHOUSE_PASSWORD");

  /** ClickHouse database. */
  public static final Setting CLICKHOUSE_DATABASE =
      Setting.of("CLICKHOUSE_DATABASE", "runstream", "The ClickHouse database of the tables");

  // --- Sink ------------------------------------------------------------------------------------

  /** The sink's consumer group. */
  public static final Setting SINK_GROUP_ID =
      Setting.of("RUNSTREAM_SINK_GROUP_ID", "runstream-sink", "The sink's Kafka consumer group");

  /** Rows per batch. */
  public static final Setting SINK_BATCH_MAX_ROWS =
      Setting.of("RUNSTREAM_SINK_BATCH_MAX_ROWS", "50000", "Rows that make a sink batch full");

  /** Longest wait of a record in a batch. */
  public static final Setting SINK_BATCH_MAX_DELAY =
      Setting.duration(
          "RUNSTREAM_SINK_BATCH_MAX_DELAY_MS",
          MILLIS,
          "1s",
          "Longest time a record waits before its batch is written");

  /** Longest wait for a shared rollup refresh. */
  public static final Setting SINK_ROLLUP_INTERVAL =
      Setting.duration(
          "RUNSTREAM_SINK_ROLLUP_INTERVAL_MS",
          MILLIS,
          "2s",
          "Longest time inserted batches wait for one refresh of the downsampled curves");

  /** How long a ClickHouse write may go unanswered before the sink warns. */
  public static final Setting SINK_STALL_WARNING =
      Setting.duration(
          "RUNSTREAM_SINK_STALL_WARNING_MS",
          MILLIS,
          "10s",
          "How long a ClickHouse write may go unanswered before the sink warns (and then says when"
              + " it answers again)");

  // --- Stream processor ------------------------------------------------------------------------

  /** Kafka Streams application id. */
  public static final Setting PROCESSOR_APPLICATION_ID =
      Setting.of(
          "RUNSTREAM_PROCESSOR_APPLICATION_ID",
          "runstream-processor",
          "The processor's Kafka Streams application id (consumer group, state prefix)");

  /** Where state stores live. */
  public static final Setting STATE_DIR =
      Setting.of(
          "RUNSTREAM_STATE_DIR",
          "$TMPDIR/runstream-streams",
          "Where the processor keeps its state stores");

  /** How often changed summaries are published. */
  public static final Setting SUMMARY_INTERVAL =
      Setting.duration(
          "RUNSTREAM_SUMMARY_INTERVAL_MS",
          MILLIS,
          "1s",
          "How often changed summaries are published");

  /** How often runs are checked for silence. */
  public static final Setting LIVENESS_CHECK =
      Setting.duration(
          "RUNSTREAM_LIVENESS_CHECK_MS", MILLIS, "5s", "How often runs are checked for silence");

  /** Silence after which a run is unresponsive. */
  public static final Setting UNRESPONSIVE_AFTER =
      Setting.duration(
          "RUNSTREAM_UNRESPONSIVE_AFTER_MS",
          MILLIS,
          "2m",
          "Silence after which a running run is reported unresponsive");

  /** Time without progress after which a run is stalled. */
  public static final Setting STALLED_AFTER =
      Setting.duration(
          "RUNSTREAM_STALLED_AFTER_MS",
          MILLIS,
          "10m",
          "Time without a new step after which a run is reported stalled");

  /** Silence after which a run is crashed. */
  public static final Setting CRASHED_AFTER =
      Setting.duration(
          "RUNSTREAM_CRASHED_AFTER_MS",
          MILLIS,
          "10m",
          "Silence after which a run is marked crashed; longer than the unresponsive time");

  /** How long a finished run's state is kept. */
  public static final Setting STATE_RETENTION =
      Setting.duration(
          "RUNSTREAM_STATE_RETENTION_MS",
          MILLIS,
          "7d",
          "How long the processor keeps a quiet run's state");

  /** Smoothing factor of the metric averages. */
  public static final Setting EMA_ALPHA =
      Setting.of("RUNSTREAM_EMA_ALPHA", "0.1", "Smoothing factor of metric averages, in (0, 1]");

  /** Anomaly detector rules. */
  public static final Setting DETECTORS_FILE =
      Setting.of(
          "RUNSTREAM_DETECTORS_FILE",
          "",
          "A properties file of anomaly detector rules; built-in rules unless set");

  /** Generic webhooks. */
  public static final Setting WEBHOOK_URLS =
      Setting.of("RUNSTREAM_WEBHOOK_URLS", "", "Comma-separated URLs every alert is posted to");

  /** Slack webhooks. */
  public static final Setting SLACK_WEBHOOK_URLS =
      Setting.of("RUNSTREAM_SLACK_WEBHOOK_URLS", "", "Comma-separated Slack incoming-webhook URLs");

  /** Least severity posted. */
  public static final Setting WEBHOOK_MIN_SEVERITY =
      Setting.of(
          "RUNSTREAM_WEBHOOK_MIN_SEVERITY",
          "INFO",
          "The least severity posted to webhooks: INFO, WARNING or CRITICAL");

  /** Attempts per webhook post. */
  public static final Setting WEBHOOK_ATTEMPTS =
      Setting.of("RUNSTREAM_WEBHOOK_ATTEMPTS", "5", "Attempts of one webhook post");

  /** First backoff between webhook attempts. */
  public static final Setting WEBHOOK_BACKOFF =
      Setting.duration(
          "RUNSTREAM_WEBHOOK_BACKOFF_MS",
          MILLIS,
          "500ms",
          "Wait before the second webhook attempt; doubles after each");

  // --- Producer SDK ----------------------------------------------------------------------------

  /** The run's project. */
  public static final Setting PROJECT =
      Setting.of("RUNSTREAM_PROJECT", "", "The project of a run (RunOptions.builder())");

  /** The run's team. */
  public static final Setting ENTITY =
      Setting.of("RUNSTREAM_ENTITY", "default", "The team (W&B's entity) that owns a run");

  /** Display name. */
  public static final Setting NAME =
      Setting.of("RUNSTREAM_NAME", "", "A run's display name; generated unless set");

  /** Notes. */
  public static final Setting NOTES = Setting.of("RUNSTREAM_NOTES", "", "A run's notes");

  /** Tags. */
  public static final Setting TAGS = Setting.of("RUNSTREAM_TAGS", "", "Comma-separated run tags");

  /** Group. */
  public static final Setting RUN_GROUP = Setting.of("RUNSTREAM_RUN_GROUP", "", "A run's group");

  /** Job type. */
  public static final Setting JOB_TYPE = Setting.of("RUNSTREAM_JOB_TYPE", "", "A run's job type");

  /** Run id. */
  public static final Setting RUN_ID =
      Setting.of("RUNSTREAM_RUN_ID", "", "A run's id; random unless set; needed to resume");

  /** What to do when the run id exists. */
  public static final Setting RESUME =
      Setting.of("RUNSTREAM_RESUME", "never", "never, allow or must: resuming an existing run id");

  /** How long init may read Kafka to find a run. */
  public static final Setting RESUME_LOOKUP_TIMEOUT =
      Setting.duration(
          "RUNSTREAM_RESUME_LOOKUP_TIMEOUT",
          SECONDS,
          "10s",
          "How long init may read Kafka to find a run it was given; 0 looks only locally");

  /** Online, offline or disabled. */
  public static final Setting MODE =
      Setting.of("RUNSTREAM_MODE", "online", "online, offline or disabled");

  /** The directory of run directories; also where {@code sync} looks. */
  public static final Setting DIR =
      Setting.of("RUNSTREAM_DIR", "./runstream", "The directory that holds run directories");

  /** Hyperparameters file. */
  public static final Setting CONFIG_FILE =
      Setting.of(
          "RUNSTREAM_CONFIG_FILE", "", "A JSON or .properties file of a run's hyperparameters");

  /** Heartbeat interval. */
  public static final Setting HEARTBEAT_INTERVAL =
      Setting.duration(
          "RUNSTREAM_HEARTBEAT_INTERVAL", SECONDS, "30s", "How often a run sends a heartbeat");

  /** System metrics interval. */
  public static final Setting SYSTEM_METRICS_INTERVAL =
      Setting.duration(
          "RUNSTREAM_SYSTEM_METRICS_INTERVAL",
          SECONDS,
          "10s",
          "How often system metrics are sampled; 0 turns them off");

  /** Fsync interval. */
  public static final Setting FSYNC_INTERVAL =
      Setting.duration(
          "RUNSTREAM_FSYNC_INTERVAL",
          SECONDS,
          "1s",
          "How often the run directory is forced to the storage device");

  /** Finish timeout. */
  public static final Setting FINISH_TIMEOUT =
      Setting.duration(
          "RUNSTREAM_FINISH_TIMEOUT",
          SECONDS,
          "30s",
          "How long finish() waits for Kafka to acknowledge what the run sent");

  /** Queue capacity. */
  public static final Setting QUEUE_CAPACITY =
      Setting.of("RUNSTREAM_QUEUE_CAPACITY", "65536", "Records a run queues in memory");

  /** GPU tag. */
  public static final Setting GPU_TAG =
      Setting.of("RUNSTREAM_GPU_TAG", "false", "true to tag a run with its GPU model");

  // --- W&B-compatible server -------------------------------------------------------------------

  /** The server's HTTP port. */
  public static final Setting SERVER_PORT =
      Setting.of("RUNSTREAM_SERVER_PORT", "8080", "The port runstream server listens on");

  /** The address the server binds. */
  public static final Setting SERVER_HOST =
      Setting.of(
          "RUNSTREAM_SERVER_HOST",
          "0.0.0.0",
          "The address runstream server binds (0.0.0.0: every interface)");

  /** API keys, one {@code key=team} a line, so that keys stay off command lines. */
  public static final Setting SERVER_API_KEYS_FILE =
      Setting.of(
          "RUNSTREAM_SERVER_API_KEYS_FILE",
          "",
          "A file of the server's API keys, one key=team a line (# starts a comment); the key a"
              + " client sends decides its team (required by runstream server)");

  /** Where the server keeps its runs' journals and uploaded files. */
  public static final Setting SERVER_DATA_DIR =
      Setting.of(
          "RUNSTREAM_SERVER_DATA_DIR",
          "./runstream-server",
          "Where runstream server keeps its runs' journals and the files clients upload");

  /** The largest request body the server reads. */
  public static final Setting SERVER_MAX_BODY_BYTES =
      Setting.of(
          "RUNSTREAM_SERVER_MAX_BODY_BYTES",
          "67108864",
          "The largest request body runstream server reads, in bytes; larger ones get 413");

  /** The servers that share the work behind a load balancer, this one included. */
  public static final Setting SERVER_PEERS =
      Setting.of(
          "RUNSTREAM_SERVER_PEERS",
          "",
          "Every runstream server behind one load balancer, this one included, as base URLs"
              + " (http://host:port,...), the same list on each: each run is written by one of"
              + " them, and the others forward its requests there; unset: one server alone");

  /** This server's own URL as it appears in {@link #SERVER_PEERS}. */
  public static final Setting SERVER_ADVERTISED_URL =
      Setting.of(
          "RUNSTREAM_SERVER_ADVERTISED_URL",
          "",
          "This server's base URL as written in RUNSTREAM_SERVER_PEERS, where the other servers"
              + " reach it (required with RUNSTREAM_SERVER_PEERS)");

  /** Silence after which the server detaches a run, so that its heartbeats stop. */
  public static final Setting SERVER_RUN_IDLE_TIMEOUT =
      Setting.duration(
          "RUNSTREAM_SERVER_RUN_IDLE_TIMEOUT",
          SECONDS,
          "10m",
          "How long a run may go without a request before runstream server detaches it: its"
              + " heartbeats stop, so the processor marks a run whose client died crashed");

  // --- CLI and local stack ---------------------------------------------------------------------

  /** The CLI's home. */
  public static final Setting HOME =
      Setting.of(
          "RUNSTREAM_HOME", "~/.runstream", "Where runstream up keeps the state of its stack");

  /** Where {@code runstream up} keeps the stack's data across {@code down} and {@code up}. */
  public static final Setting DATA_DIR =
      Setting.of(
          "RUNSTREAM_DATA_DIR",
          "~/.runstream/data",
          "Where runstream up keeps Kafka's, the registry's and ClickHouse's data; it outlives"
              + " runstream down unless --delete-data");

  /** The log of a background {@code runstream up}. */
  public static final Setting UP_LOG =
      Setting.of(
          "RUNSTREAM_UP_LOG", "", "Set by runstream up for its background process: its log file");

  /** Stack traces for CLI errors. */
  public static final Setting DEBUG =
      Setting.of("RUNSTREAM_DEBUG", "", "Set to anything to have the CLI print stack traces");

  /** Where the local stack's server distributions are unpacked. */
  public static final Setting STACK_DIST =
      Setting.of(
          "RUNSTREAM_STACK_DIST",
          "the path the build wrote",
          "The directory of Kafka and Apicurio distributions the local stack runs (read by"
              + " deploy's LocalStack, which cannot depend on this module)");

  private static final List<Setting> ALL = collect();

  /** Every setting, in the order declared here. */
  public static List<Setting> all() {
    return ALL;
  }

  /** The setting named {@code name} or aliased so. */
  public static Optional<Setting> byName(String name) {
    for (Setting s : ALL) {
      if (s.name().equals(name) || s.aliases().contains(name)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  /** Whether {@code setting} is one of {@link #all()}. */
  static boolean isCatalogued(Setting setting) {
    return ALL.contains(setting);
  }

  private static List<Setting> collect() {
    List<Setting> settings = new ArrayList<>();
    for (Field f : Settings.class.getDeclaredFields()) {
      if (f.getType() == Setting.class && Modifier.isStatic(f.getModifiers())) {
        try {
          settings.add((Setting) f.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return Collections.unmodifiableList(settings);
  }
}
