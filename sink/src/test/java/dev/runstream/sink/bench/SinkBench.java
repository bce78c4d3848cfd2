package dev.runstream.sink.bench;

import com.clickhouse.client.api.Client;
import com.fasterxml.jackson.databind.JsonNode;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.LeaderboardEntry;
import dev.runstream.query.MetricCurve;
import dev.runstream.query.RunQueries;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.RollupLevels;
import dev.runstream.query.internal.Tables;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.sink.ClickHouseSchema;
import dev.runstream.sink.ClickHouseSink;
import dev.runstream.sink.SinkConfig;
import dev.runstream.sink.internal.EncodedRows;
import dev.runstream.sink.internal.RecordMapper;
import dev.runstream.sink.internal.Rollups;
import dev.runstream.sink.internal.TableWriter;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Benchmarks of the sink, run by hand (never by {@code verify}); each prints our figure beside a
 * baseline measured in the same run on the same stack, because the machine is shared and noisy.
 *
 * <ul>
 *   <li>{@code ingest [points]}: metric points per second from a pre-filled topic into ClickHouse,
 *       our sink (Avro, exactly-once answers, rollups) against ClickHouse's Kafka table engine with
 *       a materialized view reading the same points as JSONEachRow into the same table layout.
 *   <li>{@code query [runs] [steps]}: 1,000 runs x 10,000 steps of one metric (10 M points, 1 % of
 *       them stored twice): the downsampled comparison of all runs to 500 points each and the
 *       top-10 leaderboard through {@link RunQueries}, against the same answers computed from the
 *       raw points with read-time deduplication; medians of 7 runs after a warm-up.
 * </ul>
 *
 * See sink/README.md for the command and the figures.
 */
public final class SinkBench {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final int METRICS_PER_LOG = 16;
  private static final int REPEATS = 7;
  private static final String POINTS_VIEW = "z_points_mv";

  private SinkBench() {}

  public static void main(String[] args) throws Exception {
    String what = args.length > 0 ? args[0] : "query";
    if (what.equals("ingest")) {
      int points = args.length > 1 ? Integer.parseInt(args[1]) : 1 << 21;
      boolean baselines = args.length <= 2 || !args[2].equals("sink-only");
      try (LocalStack stack = LocalStack.start()) {
        ingest(stack, points, baselines);
      }
    } else if (what.equals("cpu")) {
      SinkCpuBench.run(args.length > 1 ? Long.parseLong(args[1]) : 20_000_000L);
    } else if (what.equals("query")) {
      int runs = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
      int steps = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
      try (LocalStack stack =
          LocalStack.builder().withKafka(false).withSchemaRegistry(false).start()) {
        query(stack, runs, steps);
      }
    } else {
      System.out.println(
          "usage: SinkBench ingest [points [sink-only]] | cpu [points] | query [runs] [steps]");
    }
  }

  // ---- ingest ---------------------------------------------------------------------------------

  private static void ingest(LocalStack stack, int points, boolean baselines) throws Exception {
    int records = points / METRICS_PER_LOG;
    int runs = 100;
    System.out.printf(
        "ingest: %,d points (%,d log() records of %d metrics, %d runs)%n",
        (long) records * METRICS_PER_LOG, records, METRICS_PER_LOG, runs);
    Client client = ClickHouseHttp.newClient(stack.clickhouseUrl(), "default", "");
    try (ClickHouseHttp http = new ClickHouseHttp(client, true)) {
      long total = (long) records * METRICS_PER_LOG;
      List<String> lines = new ArrayList<>();

      // Baselines: the Kafka engine and materialized views into the same tables the sink writes.
      // A: the points only (the metrics table). B: the points and their rollups at the four widths
      // the sink keeps, computed per block the engine reads (the same tables and about the same
      // rows as the sink writes, though a bucket that spans two blocks gets two rows that replace
      // each other, and a replayed block is counted twice: the answers are not exactly once).
      // Without them (sink-only: to compare the sink with itself quickly) the ratios are NaN.
      double onlyPoints =
          baselines
              ? engineBaseline(stack, http, client, "bench_engine", records, runs, total, false)
              : Double.NaN;
      double withRollups =
          baselines
              ? engineBaseline(
                  stack, http, client, "bench_engine_rollups", records, runs, total, true)
              : Double.NaN;
      if (baselines) {
        lines.add(
            String.format(
                Locale.ROOT,
                "  %-62s %,12.0f points/s  ratio 1.00  (%.1f s)",
                "baseline A: Kafka engine + MV, JSONEachRow, metrics only",
                total / onlyPoints,
                onlyPoints));
        lines.add(
            String.format(
                Locale.ROOT,
                "  %-62s %,12.0f points/s  A %.2f  B 1.00  (%.1f s)",
                "baseline B: Kafka engine + MVs, metrics and 4 rollup widths",
                total / withRollups,
                onlyPoints / withRollups,
                withRollups));
      }

      // Ours: the same points as Avro MetricBatch records on a pre-filled metrics topic.
      Topics topics = Topics.withPrefix("bench.");
      try (Admin admin = admin(stack)) {
        TopicSetup.ensure(admin, topics, TopicSetup.DEFAULT_PARTITIONS, (short) 1);
      }
      long produceStart = System.nanoTime();
      try (KafkaProducer<String, SpecificRecord> avro = avroProducer(stack)) {
        for (int run = 0; run < runs; run++) {
          avro.send(new ProducerRecord<>(topics.runs.name(), runId(run), started(run)));
        }
        List<String> names = new ArrayList<>();
        for (int m = 0; m < METRICS_PER_LOG; m++) {
          names.add("m" + m);
        }
        for (int r = 0; r < records; r++) {
          int run = r % runs;
          int step = r / runs;
          List<Double> values = new ArrayList<>(METRICS_PER_LOG);
          for (int m = 0; m < METRICS_PER_LOG; m++) {
            values.add(value(run, step, m));
          }
          avro.send(
              new ProducerRecord<>(
                  topics.metrics.name(),
                  runId(run),
                  MetricBatch.newBuilder()
                      .setRunId(runId(run))
                      .setEntity("acme")
                      .setProject("bench")
                      .setStep(step)
                      .setTimestampMs(1_700_000_000_000L + step * 1000L)
                      .setSequence(step + 1)
                      .setNames(names)
                      .setValues(values)
                      .build()));
        }
      }
      System.out.printf(
          "  filled the Avro topic in %.1f s%n", (System.nanoTime() - produceStart) / 1e9);
      for (int batchRows : new int[] {SinkConfig.DEFAULT_BATCH_MAX_ROWS, 200_000}) {
        String db = "bench_sink_" + batchRows;
        String group = "bench-sink-" + batchRows;
        http.execute("DROP DATABASE IF EXISTS " + db);
        ClickHouseSchema.migrate(client, db);
        Map<TopicPartition, Long> end = endOffsets(stack, topics);
        awaitNoMerges(http);
        long mergedBefore = mergedRows(http);
        long started = System.nanoTime();
        try (ClickHouseSink sink =
            ClickHouseSink.start(
                SinkConfig.builder()
                    .bootstrapServers(stack.kafkaBootstrap())
                    .schemaRegistryUrl(stack.schemaRegistryUrl())
                    .clickHouseUrl(stack.clickhouseUrl())
                    .database(db)
                    .topics(topics)
                    .groupId(group)
                    .batchMaxRows(batchRows)
                    .build())) {
          // The clock starts at the first record read, as the engine's starts with a consumer that
          // already joined its group: start-up (schema check, group join) is not throughput.
          while (sink.stats().recordsRead() == 0) {
            TimeUnit.MILLISECONDS.sleep(5);
          }
          long t0 = System.nanoTime();
          CpuClock cpu = CpuClock.start(group);
          // Done when every offset is committed: the sink commits only after the rows and their
          // downsampled curves are in ClickHouse, so this is the exactly-once answer complete.
          awaitCommitted(stack, group, end, Duration.ofMinutes(10));
          double seconds = (System.nanoTime() - t0) / 1e9;
          lines.add(cpu.report(total));
          long stored = rows(http, db);
          lines.add(
              String.format(
                  Locale.ROOT,
                  "  %-62s %,12.0f points/s  A %.2f  B %.2f  (%.1f s, %.1f s from start(); %d"
                      + " batches, rollups written %d times, %d points folded, %d series"
                      + " recomputed; the server merged %,d rows meanwhile)",
                  "runstream sink, batchMaxRows " + batchRows + ", until committed",
                  total / seconds,
                  onlyPoints / seconds,
                  withRollups / seconds,
                  seconds,
                  (System.nanoTime() - started) / 1e9,
                  sink.stats().batches(),
                  sink.stats().rollupRefreshes(),
                  sink.stats().rollupAppendedPoints(),
                  sink.stats().rollupRecomputedSeries(),
                  mergedRows(http) - mergedBefore));
          // Exactly once: every point once in the answers, however often it was written.
          long distinct = count(http, db + ".metrics FINAL", "project = 'bench'");
          if (stored < total || distinct != total || rolledUp(http, db) != total) {
            throw new IllegalStateException(
                db
                    + " holds "
                    + distinct
                    + " distinct points of "
                    + stored
                    + " rows and rolled up "
                    + rolledUp(http, db));
          }
        }
      }
      System.out.println("  points/s, and the ratio of the rate to baseline A's and B's:");
      lines.forEach(System.out::println);
    }
  }

  /**
   * CPU time spent while the sink ingests, which a busy shared machine does not inflate the way it
   * inflates wall-clock time: the whole process's (the sink's threads, the Kafka and ClickHouse
   * clients' threads, GC and JIT, and this benchmark's polling, which is small) and the sink's own
   * two threads' (the consumer thread that decodes records, and the writer thread that encodes and
   * inserts rows and folds the rollups).
   */
  private record CpuClock(String group, long processNanos, Map<Long, Long> threadNanos) {
    static CpuClock start(String group) {
      return new CpuClock(group, processCpuNanos(), sinkThreadNanos(group));
    }

    String report(long points) {
      long process = processCpuNanos() - processNanos;
      Map<Long, Long> now = sinkThreadNanos(group);
      long sink = 0;
      for (Map.Entry<Long, Long> e : now.entrySet()) {
        sink += e.getValue() - threadNanos.getOrDefault(e.getKey(), 0L);
      }
      return String.format(
          Locale.ROOT,
          "  %-62s %,12.2f us/point process CPU, %.2f us/point the sink's two threads",
          "  CPU (" + group + ")",
          process / 1e3 / points,
          sink / 1e3 / points);
    }

    private static long processCpuNanos() {
      return ((com.sun.management.OperatingSystemMXBean)
              ManagementFactory.getOperatingSystemMXBean())
          .getProcessCpuTime();
    }

    /** CPU nanoseconds of the sink's consumer and writer threads, by thread id. */
    private static Map<Long, Long> sinkThreadNanos(String group) {
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      Map<Long, Long> out = new HashMap<>();
      for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
        if (t != null
            && (t.getThreadName().equals("runstream-sink-" + group)
                || t.getThreadName().equals("runstream-sink-writer-" + group))) {
          long nanos = threads.getThreadCpuTime(t.getThreadId());
          if (nanos >= 0) {
            out.put(t.getThreadId(), nanos);
          }
        }
      }
      return out;
    }
  }

  /**
   * Runs one baseline: the Kafka engine reading the points as JSONEachRow from a topic of its own
   * into {@code db}: the metrics table, and with {@code rollups} also the rollups at every width
   * the sink keeps, each computed from the block the engine read. Returns the seconds from
   * attaching the views until every point (and its rollups) is in.
   */
  private static double engineBaseline(
      LocalStack stack,
      ClickHouseHttp http,
      Client client,
      String db,
      int records,
      int runs,
      long total,
      boolean rollups)
      throws Exception {
    String jsonTopic = "bench.points.json." + db;
    createTopic(stack, jsonTopic);
    // The engine's librdkafka gives up on a topic whose partitions have no leader yet and looks
    // again only minutes later: make sure the topic takes writes before attaching the engine.
    try (KafkaProducer<String, String> json = jsonProducer(stack)) {
      json.send(new ProducerRecord<>(jsonTopic, "prime", "{}")).get();
    }
    http.execute("DROP DATABASE IF EXISTS " + db);
    ClickHouseSchema.migrate(client, db);
    http.execute(
        "CREATE TABLE "
            + db
            + ".kafka_points (team String, project String, run_id String, metric String,"
            + " step Int64, time DateTime, value Float64, seq UInt64) ENGINE = Kafka('"
            + stack.kafkaBootstrap()
            + "', '"
            + jsonTopic
            + "', '"
            + db.replace('_', '-')
            + "', 'JSONEachRow')");
    // ClickHouse 18.16 runs the views of a block one after another in the order of their names:
    // the points' view is named to run last, so a block's points are in only after its rollups.
    Map<String, String> views = new LinkedHashMap<>();
    if (rollups) {
      for (int width : RollupLevels.LEVELS) {
        views.put("rollups_" + width + "_mv", rollupSelect(db, width));
      }
    }
    views.put(POINTS_VIEW, "SELECT * FROM " + db + ".kafka_points");
    views.forEach((name, select) -> http.execute(createView(db, name, select, "CREATE")));
    // The engine's new group starts at the latest offset: let it join and commit with one row,
    // then stop it (DETACH the views) while the topic is filled, so both read a pre-filled topic.
    try (KafkaProducer<String, String> json = jsonProducer(stack)) {
      // It writes a block when 1,048,576 rows are read or the topic was idle for a while, so
      // one row, then silence, until it lands (resent in case the group joined after it).
      for (int attempt = 1; count(http, db + ".metrics", "project = 'warm'") == 0; attempt++) {
        if (attempt > 8) {
          throw new IllegalStateException("the Kafka engine did not start consuming");
        }
        json.send(
                new ProducerRecord<>(
                    jsonTopic, "warm", jsonRow(0, 0, "warm", 0.0).replace("\"bench\"", "\"warm\"")))
            .get();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < until && count(http, db + ".metrics", "project = 'warm'") == 0) {
          TimeUnit.MILLISECONDS.sleep(200); // a benchmark's polling interval
        }
      }
    }
    for (String name : views.keySet()) {
      http.execute("DETACH TABLE " + db + "." + name);
    }
    long produceStart = System.nanoTime();
    try (KafkaProducer<String, String> json = jsonProducer(stack)) {
      for (int r = 0; r < records; r++) {
        int run = r % runs;
        int step = r / runs;
        StringBuilder rows = new StringBuilder(METRICS_PER_LOG * 140);
        for (int m = 0; m < METRICS_PER_LOG; m++) {
          rows.append(jsonRow(run, step, "m" + m, value(run, step, m))).append('\n');
        }
        json.send(new ProducerRecord<>(jsonTopic, runId(run), rows.toString()));
      }
    }
    System.out.printf(
        "  filled %s in %.1f s%n", jsonTopic, (System.nanoTime() - produceStart) / 1e9);
    awaitNoMerges(http);
    long mergedBefore = mergedRows(http);
    long t0 = System.nanoTime();
    views.forEach((name, select) -> http.execute(createView(db, name, select, "ATTACH")));
    // Done when every point is in: counted from the parts' row counts, which costs the server
    // nothing (a count() every 50 ms would compete with the engine for the CPU).
    awaitRows(http, db, total + 1, Duration.ofMinutes(10)); // + the warm-up row
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        Locale.ROOT,
        "  %s: %.1f s; the server merged %,d rows meanwhile%n",
        db,
        seconds,
        mergedRows(http) - mergedBefore);
    for (String name : views.keySet()) {
      http.execute("DROP TABLE " + db + "." + name);
    }
    http.execute("DROP TABLE " + db + ".kafka_points");
    return seconds;
  }

  private static String createView(String db, String name, String select, String verb) {
    String target = name.equals(POINTS_VIEW) ? Tables.METRICS : Tables.METRIC_ROLLUPS;
    return verb
        + " MATERIALIZED VIEW "
        + db
        + "."
        + name
        + " TO "
        + db
        + "."
        + target
        + " AS "
        + select;
  }

  /**
   * The rollup rows of one width from a block of points, as the sink's recomputation defines them
   * ({@link Rollups}); aliases must not repeat a column of the source (ClickHouse substitutes
   * them).
   */
  private static String rollupSelect(String db, int width) {
    return "SELECT team, project, metric, toUInt32("
        + width
        + ") AS width, run_id, intDiv(step, "
        + width
        + ") AS bucket, min(step) AS first_step, max(step) AS last_step, count() AS points,"
        + " countIf(isFinite(value)) AS finite, sumIf(value, isFinite(value)) AS sum,"
        + " minIf(value, isFinite(value)) AS min,"
        + " argMinIf(step, (value, step), isFinite(value)) AS min_step,"
        + " maxIf(value, isFinite(value)) AS max,"
        + " argMaxIf(step, (value, -step), isFinite(value)) AS max_step,"
        + " argMax(value, step) AS last, toUInt64(1) AS version FROM "
        + db
        + ".kafka_points GROUP BY team, project, metric, run_id, bucket";
  }

  /**
   * Waits until the server runs no merge, so no contender pays for the merges of the one before.
   */
  private static void awaitNoMerges(ClickHouseHttp http) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (Long.parseLong(
            http.queryJson("SELECT count() AS c FROM system.merges").get(0).get("c").asText())
        > 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the server is still merging after 5 minutes");
      }
      TimeUnit.MILLISECONDS.sleep(200); // a benchmark's polling interval
    }
  }

  /** Rows the server has merged since it started (its MergedRows counter). */
  private static long mergedRows(ClickHouseHttp http) {
    List<JsonNode> r = http.queryJson("SELECT value FROM system.events WHERE event = 'MergedRows'");
    return r.isEmpty() ? 0 : Long.parseLong(r.get(0).get("value").asText());
  }

  /** Rows in the active parts of {@code db}.metrics: free to ask, duplicates included. */
  private static long rows(ClickHouseHttp http, String db) {
    return Long.parseLong(
        http.queryJson(
                "SELECT sum(rows) AS c FROM system.parts WHERE active AND database = '"
                    + db
                    + "' AND table = 'metrics'")
            .get(0)
            .get("c")
            .asText());
  }

  /**
   * {@code count()} of {@code table} (database-qualified, may end in FINAL) where {@code where}.
   */
  private static long count(ClickHouseHttp http, String table, String where) {
    return Long.parseLong(
        http.queryJson("SELECT count() AS c FROM " + table + " WHERE " + where)
            .get(0)
            .get("c")
            .asText());
  }

  /** Points counted by the widest rollups of project bench. */
  private static long rolledUp(ClickHouseHttp http, String db) {
    return Long.parseLong(
        http.queryJson(
                "SELECT sum(points) AS c FROM "
                    + db
                    + ".metric_rollups FINAL WHERE width = 256 AND project = 'bench'")
            .get(0)
            .get("c")
            .asText());
  }

  /** Waits until {@code db}.metrics holds {@code atLeast} rows. */
  private static void awaitRows(ClickHouseHttp http, String db, long atLeast, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (rows(http, db) < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(db + ".metrics has " + rows(http, db) + " rows");
      }
      TimeUnit.MILLISECONDS.sleep(50); // a benchmark's polling interval, not test synchronisation
    }
  }

  /** The end offset of every partition of the topics the sink reads. */
  private static Map<TopicPartition, Long> endOffsets(LocalStack stack, Topics topics)
      throws Exception {
    try (Admin admin = admin(stack)) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (String topic :
          List.of(
              topics.runs.name(),
              topics.metrics.name(),
              topics.system.name(),
              topics.runSummaries.name(),
              topics.alerts.name())) {
        for (int p = 0; p < TopicSetup.DEFAULT_PARTITIONS; p++) {
          latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
      }
      Map<TopicPartition, Long> out = new HashMap<>();
      admin
          .listOffsets(latest)
          .all()
          .get()
          .forEach(
              (tp, info) -> {
                if (info.offset() > 0) {
                  out.put(tp, info.offset());
                }
              });
      return out;
    }
  }

  /** Waits until {@code group} committed {@code end} on every partition. */
  private static void awaitCommitted(
      LocalStack stack, String group, Map<TopicPartition, Long> end, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = admin(stack)) {
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        boolean done =
            end.entrySet().stream()
                .allMatch(
                    e ->
                        committed.get(e.getKey()) != null
                            && committed.get(e.getKey()).offset() >= e.getValue());
        if (done) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(group + " committed " + committed + " of " + end);
        }
        TimeUnit.MILLISECONDS.sleep(50); // a benchmark's polling interval
      }
    }
  }

  private static double value(int run, int step, int metric) {
    return (run + 1.0) / (step + 1.0) + metric * 0.001;
  }

  private static String runId(int run) {
    return String.format("run-%05d", run);
  }

  private static String jsonRow(int run, int step, String metric, double value) {
    return "{\"team\":\"acme\",\"project\":\"bench\",\"run_id\":\""
        + runId(run)
        + "\",\"metric\":\""
        + metric
        + "\",\"step\":"
        + step
        + ",\"time\":\""
        + TIME.format(Instant.ofEpochMilli(1_700_000_000_000L + step * 1000L))
        + "\",\"value\":"
        + value
        + ",\"seq\":"
        + (step + 1)
        + "}";
  }

  private static RunEvent started(int run) {
    return RunEvent.newBuilder()
        .setRunId(runId(run))
        .setEntity("acme")
        .setProject("bench")
        .setTimestampMs(1_700_000_000_000L + run)
        .setPayload(
            RunStarted.newBuilder()
                .setName("run " + run)
                .setConfigJson("{\"lr\": " + (run % 10) * 0.001 + ", \"seed\": " + run + "}")
                .build())
        .build();
  }

  private static Admin admin(LocalStack stack) {
    return Admin.create(
        Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()));
  }

  private static void createTopic(LocalStack stack, String topic) throws Exception {
    try (Admin admin = admin(stack)) {
      if (!admin.listTopics().names().get().contains(topic)) {
        admin
            .createTopics(List.of(new NewTopic(topic, TopicSetup.DEFAULT_PARTITIONS, (short) 1)))
            .all()
            .get();
      }
    }
  }

  private static Map<String, Object> producerProps(LocalStack stack) {
    return Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
        stack.kafkaBootstrap(),
        ProducerConfig.LINGER_MS_CONFIG,
        20,
        ProducerConfig.BATCH_SIZE_CONFIG,
        256 * 1024,
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
        false,
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
        1);
  }

  private static KafkaProducer<String, String> jsonProducer(LocalStack stack) {
    return new KafkaProducer<>(
        producerProps(stack), new StringSerializer(), new StringSerializer());
  }

  private static KafkaProducer<String, SpecificRecord> avroProducer(LocalStack stack) {
    return new KafkaProducer<>(
        producerProps(stack),
        new StringSerializer(),
        new AvroSerializer<>(SerdeConfig.registry(stack.schemaRegistryUrl())));
  }

  // ---- query ----------------------------------------------------------------------------------

  private static void query(LocalStack stack, int runs, int steps) throws Exception {
    long points = (long) runs * steps;
    System.out.printf(
        "query: %,d runs x %,d steps = %,d points of one metric%n", runs, steps, points);
    String db = "bench_query";
    // Loading and rolling up 10 M points takes minutes on a busy machine.
    Client client =
        ClickHouseHttp.newClient(stack.clickhouseUrl(), "default", "", Duration.ofMinutes(30));
    try (ClickHouseHttp http = new ClickHouseHttp(client, true, Duration.ofMinutes(30));
        RunQueries queries = new RunQueries(client, db)) {
      http.execute("DROP DATABASE IF EXISTS " + db);
      // Points are loaded with INSERT SELECT (10 M through Kafka would take minutes here), then
      // rolled up by migration 2's backfill statements, the same SQL the sink runs per batch.
      ClickHouseSchema.migrate(client, db);
      long t0 = System.nanoTime();
      writeRuns(http, db, runs);
      String insertPoints =
          "INSERT INTO "
              + db
              + ".metrics (team, project, run_id, metric, step, time, value, seq) SELECT 'acme',"
              + " 'bench', concat('run-', substring(toString(100000 + intDiv(number, %1$d)), 2)),"
              + " 'loss', number %% %1$d, toDateTime(1700000000 + number %% %1$d),"
              + " (intDiv(number, %1$d) + 1) / (number %% %1$d + 1) + (cityHash64(number) %% 1000)"
              + " / 1e6, number %% %1$d + 1 FROM numbers(%2$d) %3$s";
      http.execute(String.format(Locale.ROOT, insertPoints, steps, points, ""));
      // 1 % of the points stored a second time, as a replayed batch would.
      http.execute(
          String.format(Locale.ROOT, insertPoints, steps, points, "WHERE number % 100 = 0"));
      for (String sql : Rollups.backfillStatements(RollupLevels.LEVELS)) {
        http.execute(String.format(sql, "`" + db + "`", "String", ""));
      }
      System.out.printf(
          "  loaded and rolled up in %.1f s; rollup rows: %s%n",
          (System.nanoTime() - t0) / 1e9,
          http.queryJson(
                  "SELECT groupArray(concat(toString(width), ':', toString(c))) AS w FROM (SELECT"
                      + " width, count() AS c FROM "
                      + db
                      + ".metric_rollups GROUP BY width ORDER BY width)")
              .get(0)
              .get("w"));

      String rawCurves =
          "SELECT run_id, groupArray(b) AS bs, groupArray(mn) AS mns, groupArray(mx) AS mxs,"
              + " groupArray(av) AS avs FROM (SELECT run_id, intDiv(step, 20) AS b, min(v) AS mn,"
              + " max(v) AS mx, avg(v) AS av FROM (SELECT run_id, step, argMax(value, seq) AS v"
              + " FROM "
              + db
              + ".metrics WHERE project = 'bench' AND metric = 'loss' GROUP BY run_id, step)"
              + " GROUP BY run_id, b) GROUP BY run_id";
      String rawLeaderboard =
          "SELECT run_id, min(v) AS best FROM (SELECT run_id, step, argMax(value, seq) AS v FROM "
              + db
              + ".metrics WHERE project = 'bench' AND metric = 'loss' GROUP BY run_id, step)"
              + " GROUP BY run_id ORDER BY best LIMIT 10";
      String finalCurves =
          "SELECT run_id, groupArray(b) AS bs, groupArray(mn) AS mns FROM (SELECT run_id,"
              + " intDiv(step, 20) AS b, min(value) AS mn, max(value) AS mx, avg(value) AS av FROM "
              + db
              + ".metrics FINAL WHERE project = 'bench' AND metric = 'loss' GROUP BY run_id, b)"
              + " GROUP BY run_id";

      List<MetricCurve> curves = queries.curves("bench", "loss", 500);
      List<LeaderboardEntry> top = queries.leaderboard("bench", "loss", 10);
      System.out.printf(
          "  curves: %d runs, %d points each (bucket %d steps); leaderboard #1 %s at %.6f%n",
          curves.size(),
          curves.get(0).points().size(),
          curves.get(0).bucketWidth(),
          top.get(0).runId(),
          top.get(0).value());

      double curvesMs = median(() -> queries.curves("bench", "loss", 500).size());
      double rawCurvesMs = median(() -> http.queryJson(rawCurves).size());
      double finalCurvesMs = median(() -> http.queryJson(finalCurves).size());
      double topMs = median(() -> queries.leaderboard("bench", "loss", 10).size());
      double rawTopMs = median(() -> http.queryJson(rawLeaderboard).size());
      System.out.printf(Locale.ROOT, "  medians of %d runs (goal: < 500 ms each)%n", REPEATS);
      row("curves of all runs, <= 500 points each: RunQueries.curves", curvesMs, rawCurvesMs);
      row("  baseline: raw points, argMax dedup, 500 buckets", rawCurvesMs, rawCurvesMs);
      row("  baseline: raw points with FINAL, 500 buckets", finalCurvesMs, rawCurvesMs);
      row("leaderboard top 10 with config: RunQueries.leaderboard", topMs, rawTopMs);
      row("  baseline: raw points, argMax dedup, min per run", rawTopMs, rawTopMs);
      http.execute("DROP DATABASE IF EXISTS " + db);
    }
  }

  private static void writeRuns(ClickHouseHttp http, String db, int runs) throws Exception {
    TableWriter writer = TableWriter.clickHouse(http, db);
    Map<String, ByteArrayOutputStream> bytes = new java.util.HashMap<>();
    Map<String, Integer> rows = new java.util.HashMap<>();
    for (int run = 0; run < runs; run++) {
      for (EncodedRows e : RecordMapper.runEvent(started(run))) {
        bytes.computeIfAbsent(e.table(), t -> new ByteArrayOutputStream()).write(e.bytes());
        rows.merge(e.table(), e.rows(), Integer::sum);
      }
    }
    for (String table : List.of(Tables.RUNS, Tables.RUN_EVENTS, Tables.RUN_ATTRIBUTES)) {
      writer.insert(table, bytes.get(table).toByteArray(), rows.get(table));
    }
  }

  private static double median(Supplier<Integer> query) {
    query.get(); // warm-up
    double[] ms = new double[REPEATS];
    for (int i = 0; i < REPEATS; i++) {
      long t0 = System.nanoTime();
      query.get();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    return ms[REPEATS / 2];
  }

  private static void row(String what, double ms, double baselineMs) {
    System.out.printf(Locale.ROOT, "  %-60s %8.1f ms  ratio %.2f%n", what, ms, ms / baselineMs);
  }
}
