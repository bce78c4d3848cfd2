package dev.runstream.sink.grafana;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.QueryResponse;
import com.clickhouse.client.api.query.QuerySettings;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.ConfigFlattener;
import dev.runstream.query.internal.Json;
import dev.runstream.query.internal.Tables;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.MetricGoals;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.ConfigUpdated;
import dev.runstream.schemas.avro.Goal;
import dev.runstream.schemas.avro.MetricAggregate;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.RunState;
import dev.runstream.schemas.avro.RunSummary;
import dev.runstream.schemas.avro.Severity;
import dev.runstream.schemas.avro.TagsUpdated;
import dev.runstream.sink.ClickHouseSchema;
import dev.runstream.sink.ClickHouseSink;
import dev.runstream.sink.SinkConfig;
import dev.runstream.sink.grafana.Dashboards.Dashboard;
import dev.runstream.sink.grafana.Dashboards.Variable;
import dev.runstream.sink.grafana.GrafanaSql.Selection;
import dev.runstream.sink.internal.EncodedRows;
import dev.runstream.sink.internal.RecordMapper;
import dev.runstream.testing.LocalStackExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every panel's and every template variable's SQL of the Grafana dashboards ({@code
 * deploy/grafana/dashboards}) on the real ClickHouse 18.16 of the local stack, over data the real
 * sink wrote from Kafka. Each query is expanded as Grafana and the ClickHouse plugin would ({@link
 * GrafanaSql}) and run with the test's database as the default one (the data source's {@code
 * defaultDatabase}); its rows are compared with what the seed says they must be.
 *
 * <p>Every record is produced twice and ClickHouse's merges are stopped on the test's tables, so
 * the duplicates stay stored (checked): the panels must deduplicate as the sink's own queries do.
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GrafanaDashboardsIT {
  private static final Duration DEADLINE = Duration.ofSeconds(120);
  private static final long T0 = 1_700_000_000_000L;
  private static final long SECOND = 1_000L;
  private static final long MINUTE = 60 * SECOND;
  private static final long DAY = 24 * 60 * MINUTE;
  private static final String TEAM = "acme";
  private static final String P = "vision";
  // Values Grafana's singlequote format would let end a string literal early.
  private static final String TRICKY_PROJECT = "o'brien \\ lab, 2";
  private static final String TRICKY_RUN = "run-'\\x";
  private static final String TRICKY_KEY = "it's\\key";
  private static final Instant FROM = Instant.ofEpochMilli(T0 - DAY);
  private static final Instant TO = Instant.ofEpochMilli(T0 + DAY);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final LocalStack stack;
  private final String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private final Topics topics = Topics.withPrefix("itg" + id + ".runstream.");
  private final String database = "itg_" + id;

  /** The seeded runs, by id: what the dashboards must show. */
  private final Map<String, SeededRun> runs = new LinkedHashMap<>();

  /** Every record, in the order produced (each is produced twice). */
  private final List<ProducerRecord<String, SpecificRecord>> records = new ArrayList<>();

  private final List<Alert> alerts = new ArrayList<>();
  private Client client;
  private ClickHouseHttp http;
  private ClickHouseSink sink;
  private ZoneId serverZone;
  private Dashboard runsDashboard;
  private Dashboard compareDashboard;

  GrafanaDashboardsIT(LocalStack stack) {
    this.stack = stack;
  }

  /** A run of the seed with its current attributes and its deduplicated points. */
  private static final class SeededRun {
    final String team;
    final String project;
    final String id;
    final String name;
    final long startedMs;
    List<String> tags;
    SortedMap<String, String> config;
    RunState state;
    final Map<String, TreeMap<Long, Double>> metrics = new TreeMap<>();
    final Map<String, Goal> goals = new HashMap<>();
    // Per system metric: step -> value and step -> time (ms) of its latest batch.
    final Map<String, TreeMap<Long, Double>> system = new TreeMap<>();
    final Map<String, TreeMap<Long, Long>> systemTimes = new TreeMap<>();

    SeededRun(String team, String project, String id, String name, long startedMs) {
      this.team = team;
      this.project = project;
      this.id = id;
      this.name = name;
      this.startedMs = startedMs;
    }

    String label() {
      return name.isEmpty() ? id : name + " (" + id + ")";
    }
  }

  // ---- the seed ---------------------------------------------------------------------------------

  @BeforeAll
  void seed() throws Exception {
    runsDashboard = Dashboards.byUid("runstream-runs");
    compareDashboard = Dashboards.byUid("runstream-compare");

    SeededRun r1 =
        start(
            TEAM,
            P,
            "r1",
            "alpha",
            T0,
            List.of("baseline"),
            "{\"lr\": 0.001, \"dataset\": \"CIFAR-10\", \"optimizer\": {\"name\": \"adam\"}}");
    SeededRun r2 =
        start(
            TEAM,
            P,
            "r2",
            "beta",
            T0 + MINUTE,
            List.of("sweep"),
            "{\"lr\": 0.01, \"dataset\": \"CIFAR-10\"}");
    SeededRun r3 =
        start(
            TEAM,
            P,
            "r3",
            "gamma",
            T0 + 2 * MINUTE,
            List.of("sweep"),
            "{\"lr\": 0.0001, \"dataset\": \"ImageNet\"}");
    SeededRun r4 = start(TEAM, P, "r4", "ancient", T0 - 400 * DAY, List.of(), "{\"lr\": 0.1}");
    SeededRun n1 = start(TEAM, "nlp", "n1", "bert", T0, List.of(), "{}");
    SeededRun x1 = start("other", P, "x1", "intruder", T0, List.of("baseline"), "{\"lr\": 1}");
    SeededRun q1 =
        start(
            TEAM,
            TRICKY_PROJECT,
            TRICKY_RUN,
            "it's \\ tricky",
            T0,
            List.of("o'k"),
            "{\"" + TRICKY_KEY.replace("\\", "\\\\") + "\": 1, \"lr\": 0.5}");

    updateConfig(
        r2, T0 + 10 * MINUTE, "{\"lr\": 0.005, \"dataset\": \"CIFAR-10\", \"momentum\": 0.9}");
    updateTags(r3, T0 + 11 * MINUTE, List.of("sweep", "best"));

    // loss falls to its best at step 60 and rises again, so final and best differ.
    // perplexity has no goal by its name alone; r1 declares it minimised.
    log(
        r1,
        100,
        Map.of(
            "loss",
            s -> (s - 60.0) * (s - 60.0) / 3600 + 0.1,
            "accuracy",
            s -> s / 100.0,
            "perplexity",
            s -> (s - 30.0) * (s - 30.0) + 5));
    log(r2, 100, Map.of("loss", s -> s == 50 ? 100.0 : s == 60 ? Double.NaN : 2.0 / (s + 1)));
    log(r3, 50, Map.of("loss", s -> 0.5 + s * 0.01));
    log(r4, 10, Map.of("loss", s -> 3.0));
    log(n1, 10, Map.of("loss", s -> 9.0));
    log(x1, 100, Map.of("loss", s -> 7.0));
    log(q1, 5, Map.of("loss", s -> s + 1.0));
    // Step 0 of r1 logged again (a resumed run): the later sequence wins.
    point(r1, 0, 1000, T0 + 20 * MINUTE, Map.of("loss", 0.95));
    r1.goals.put("loss", Goal.MINIMIZE);
    r1.goals.put("accuracy", Goal.MAXIMIZE);
    r1.goals.put("perplexity", Goal.MINIMIZE);

    for (int i = 0; i < 10; i++) {
      system(
          r1,
          i,
          i + 1,
          T0 + 30 * MINUTE + i * 30 * SECOND,
          Map.of("system.cpu.percent", 10.0 * i, "system.gpu.0.util", 50.0 + i));
    }
    // Step 3 sent again later with another value: the later sequence wins, with its time.
    system(r1, 3, 100, T0 + 40 * MINUTE, Map.of("system.cpu.percent", 77.0));
    system(r2, 0, 1, T0 + 30 * MINUTE, Map.of("system.cpu.percent", 99.0));
    system(q1, 0, 1, T0 + 30 * MINUTE, Map.of("system.cpu.percent", 5.0));

    summary(r1, RunState.FINISHED, T0 + 50 * MINUTE);
    // r2's summary while it ran (30 steps in), then the one after it crashed. The first is also
    // replayed after everything else (a compacted topic read again): an older summary, stored
    // before and after the newer one, must never win, nor its partial aggregates.
    RunSummary running =
        RunSummary.newBuilder(summaryOf(r2, RunState.RUNNING, T0 + 3 * MINUTE))
            .setMetrics(
                Map.of(
                    "loss",
                    aggregate(new TreeMap<>(r2.metrics.get("loss").headMap(30L)), Goal.NONE, T0)))
            .build();
    send(topics.runSummaries.name(), r2, running);
    summary(r2, RunState.CRASHED, T0 + 50 * MINUTE);
    summary(r4, RunState.FAILED, T0 - 399 * DAY);
    summary(x1, RunState.FINISHED, T0 + 50 * MINUTE);
    summary(n1, RunState.FINISHED, T0 + 50 * MINUTE);
    summary(q1, RunState.FINISHED, T0 + 50 * MINUTE);

    alert(r2, T0 + 5 * MINUTE, "ep-1", false, "loss spiked");
    alert(r2, T0 + 6 * MINUTE, "ep-1", true, "loss is back");
    alert(r3, T0 + 7 * MINUTE, "ep-2", false, "loss is flat");
    // The processor restarted and sent ep-1 again, later: still one alert.
    alert(r2, T0 + 8 * MINUTE, "ep-1", false, "loss spiked");
    alert(r4, T0 - 399 * DAY, "ep-3", false, "too old");
    alert(x1, T0 + 5 * MINUTE, "ep-4", false, "other team");
    alert(q1, T0 + 5 * MINUTE, "ep-5", false, "tricky");

    client = ClickHouseHttp.newClient(stack.clickhouseUrl(), "default", "");
    http = new ClickHouseHttp(client, false);
    assertThat(ClickHouseSchema.migrate(client, database)).isNotEmpty();
    for (String table : Tables.DATA_TABLES) {
      http.execute("SYSTEM STOP MERGES " + database + "." + table);
    }
    serverZone = ZoneId.of(Json.text(select("SELECT timezone() AS tz").get(0).get("tz")));

    produceTwiceAndAwaitTheSink(new ProducerRecord<>(topics.runSummaries.name(), r2.id, running));
  }

  /** Produces every record twice (a retrying producer), then {@code last}, and waits. */
  private void produceTwiceAndAwaitTheSink(ProducerRecord<String, SpecificRecord> last)
      throws Exception {
    try (Admin admin =
        Admin.create(
            Map.<String, Object>of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
      TopicSetup.ensure(admin, topics, TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    Map<String, Long> rows = new TreeMap<>();
    try (KafkaProducer<String, SpecificRecord> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrap(),
                ProducerConfig.ACKS_CONFIG,
                "all"),
            new StringSerializer(),
            new AvroSerializer<>(SerdeConfig.registry(stack.schemaRegistryUrl())))) {
      List<ProducerRecord<String, SpecificRecord>> all = new ArrayList<>(records);
      all.addAll(records);
      all.add(last);
      for (ProducerRecord<String, SpecificRecord> r : all) {
        producer.send(r).get(30, TimeUnit.SECONDS);
        for (EncodedRows e : encode(r)) {
          rows.merge(e.table(), (long) e.rows(), Long::sum);
        }
      }
      long total = all.size();
      sink =
          ClickHouseSink.start(
              SinkConfig.builder()
                  .bootstrapServers(stack.kafkaBootstrap())
                  .schemaRegistryUrl(stack.schemaRegistryUrl())
                  .clickHouseUrl(stack.clickhouseUrl())
                  .database(database)
                  .topics(topics)
                  .groupId("grafana-" + id)
                  .batchMaxDelay(Duration.ofMillis(200))
                  .build());
      await().atMost(DEADLINE).until(() -> sink.stats().recordsRead() >= total);
      // Every row of every record is stored (an insert retried after a timeout may store more:
      // the panels deduplicate those too).
      await()
          .atMost(DEADLINE)
          .untilAsserted(
              () ->
                  rows.forEach(
                      (table, n) ->
                          assertThat(count("SELECT count() AS c FROM " + table))
                              .as("rows of %s", table)
                              .isGreaterThanOrEqualTo(n)));
      assertThat(sink.stats().deadLettered()).isZero();
    }
  }

  /** The rows the sink writes for a record: the sink's own row mapping. */
  private List<EncodedRows> encode(ProducerRecord<String, SpecificRecord> r) {
    SpecificRecord v = r.value();
    if (v instanceof RunEvent e) {
      return RecordMapper.runEvent(e);
    } else if (v instanceof RunSummary s) {
      return RecordMapper.runSummary(s);
    } else if (v instanceof Alert a) {
      return List.of(RecordMapper.alert(a));
    }
    String table = r.topic().equals(topics.system.name()) ? Tables.SYSTEM_METRICS : Tables.METRICS;
    return List.of(RecordMapper.metricBatch(table, (MetricBatch) v));
  }

  private long count(String sql) {
    return Json.toLong(select(sql).get(0).get("c"));
  }

  /**
   * Runs {@code sql} with the test's database as the session's default, as the Grafana data source
   * does with its {@code defaultDatabase} (the dashboards name no database). Over HTTP that is the
   * {@code database} parameter, which ClickHouse 18.16 knows (not the client's database header).
   */
  private List<JsonNode> select(String sql) {
    QuerySettings settings =
        new QuerySettings()
            .serverSetting("database", database)
            .serverSetting("output_format_json_quote_denormals", "1");
    try (QueryResponse response =
            client.query(sql + "\nFORMAT JSONEachRow", settings).get(60, TimeUnit.SECONDS);
        BufferedReader reader =
            new BufferedReader(
                new InputStreamReader(response.getInputStream(), StandardCharsets.UTF_8))) {
      List<JsonNode> rows = new ArrayList<>();
      String line;
      while ((line = reader.readLine()) != null) {
        if (!line.isBlank()) {
          rows.add(MAPPER.readTree(line));
        }
      }
      return rows;
    } catch (Exception e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private SeededRun start(
      String team,
      String project,
      String runId,
      String name,
      long t,
      List<String> tags,
      String config) {
    SeededRun run = new SeededRun(team, project, runId, name, t);
    run.tags = tags;
    run.config = ConfigFlattener.flatten(config);
    runs.put(runId, run);
    send(
        topics.runs.name(),
        run,
        event(
            run,
            t,
            0,
            RunStarted.newBuilder().setName(name).setTags(tags).setConfigJson(config).build()));
    return run;
  }

  private void updateConfig(SeededRun run, long t, String config) {
    run.config = ConfigFlattener.flatten(config);
    send(topics.runs.name(), run, event(run, t, 5, new ConfigUpdated(config)));
  }

  private void updateTags(SeededRun run, long t, List<String> tags) {
    run.tags = tags;
    send(topics.runs.name(), run, event(run, t, 6, TagsUpdated.newBuilder().setTags(tags).build()));
  }

  private static RunEvent event(SeededRun run, long t, long sequence, Object payload) {
    return RunEvent.newBuilder()
        .setRunId(run.id)
        .setEntity(run.team)
        .setProject(run.project)
        .setTimestampMs(t)
        .setSequence(sequence)
        .setPayload(payload)
        .build();
  }

  /** Steps 0..steps-1, one batch each with every metric, sequence = step + 1. */
  private void log(SeededRun run, int steps, Map<String, LongFunction<Double>> metrics) {
    for (long s = 0; s < steps; s++) {
      Map<String, Double> values = new TreeMap<>();
      for (Map.Entry<String, LongFunction<Double>> m : metrics.entrySet()) {
        values.put(m.getKey(), m.getValue().apply(s));
      }
      point(run, s, s + 1, run.startedMs + 5 * MINUTE + s * SECOND, values);
    }
  }

  private void point(SeededRun run, long step, long seq, long t, Map<String, Double> values) {
    values.forEach((m, v) -> run.metrics.computeIfAbsent(m, k -> new TreeMap<>()).put(step, v));
    send(topics.metrics.name(), run, batch(run, step, seq, t, values));
  }

  private void system(SeededRun run, long step, long seq, long t, Map<String, Double> values) {
    values.forEach(
        (m, v) -> {
          run.system.computeIfAbsent(m, k -> new TreeMap<>()).put(step, v);
          run.systemTimes.computeIfAbsent(m, k -> new TreeMap<>()).put(step, t);
        });
    send(topics.system.name(), run, batch(run, step, seq, t, values));
  }

  private static MetricBatch batch(
      SeededRun run, long step, long seq, long t, Map<String, Double> values) {
    Map<String, Double> sorted = new TreeMap<>(values);
    return MetricBatch.newBuilder()
        .setRunId(run.id)
        .setEntity(run.team)
        .setProject(run.project)
        .setStep(step)
        .setTimestampMs(t)
        .setSequence(seq)
        .setNames(new ArrayList<>(sorted.keySet()))
        .setValues(new ArrayList<>(sorted.values()))
        .build();
  }

  private void summary(SeededRun run, RunState state, long updatedMs) {
    run.state = state;
    send(topics.runSummaries.name(), run, summaryOf(run, state, updatedMs));
  }

  private static RunSummary summaryOf(SeededRun run, RunState state, long updatedMs) {
    Map<String, MetricAggregate> metrics = new TreeMap<>();
    run.metrics.forEach(
        (m, points) ->
            metrics.put(m, aggregate(points, run.goals.getOrDefault(m, Goal.NONE), updatedMs)));
    return RunSummary.newBuilder()
        .setRunId(run.id)
        .setEntity(run.team)
        .setProject(run.project)
        .setState(state)
        .setUpdatedMs(updatedMs)
        .setStartedMs(run.startedMs)
        .setLastSeenMs(updatedMs)
        .setName(run.name)
        .setMetrics(metrics)
        .build();
  }

  /** The aggregates the processor keeps, computed from the deduplicated points. */
  private static MetricAggregate aggregate(TreeMap<Long, Double> points, Goal goal, long t) {
    long finite = 0;
    long nan = 0;
    double sum = 0;
    double min = Double.NaN;
    double max = Double.NaN;
    long minStep = -1;
    long maxStep = -1;
    for (Map.Entry<Long, Double> p : points.entrySet()) {
      double v = p.getValue();
      if (!Double.isFinite(v)) {
        nan++;
        continue;
      }
      finite++;
      sum += v;
      if (Double.isNaN(min) || v < min) {
        min = v;
        minStep = p.getKey();
      }
      if (Double.isNaN(max) || v > max) {
        max = v;
        maxStep = p.getKey();
      }
    }
    Double best = null;
    if (goal == Goal.MINIMIZE) {
      best = min;
    } else if (goal == Goal.MAXIMIZE) {
      best = max;
    }
    return MetricAggregate.newBuilder()
        .setCount(points.size())
        .setFiniteCount(finite)
        .setSum(sum)
        .setMin(min)
        .setMinStep(minStep)
        .setMax(max)
        .setMaxStep(maxStep)
        .setFirst(points.firstEntry().getValue())
        .setFirstStep(points.firstKey())
        .setLast(points.lastEntry().getValue())
        .setLastStep(points.lastKey())
        .setLastTimestampMs(t)
        .setNanCount(nan)
        .setBest(best)
        .setBestStep(goal == Goal.MINIMIZE ? minStep : goal == Goal.MAXIMIZE ? maxStep : -1)
        .setGoal(goal)
        .build();
  }

  private void alert(SeededRun run, long t, String episode, boolean resolved, String title) {
    Alert a =
        Alert.newBuilder()
            .setRunId(run.id)
            .setEntity(run.team)
            .setProject(run.project)
            .setTimestampMs(t)
            .setRule("divergence")
            .setSeverity(resolved ? Severity.INFO : Severity.WARNING)
            .setTitle(title)
            .setMessage(title + " at step 50")
            .setMetric("loss")
            .setStep(50L)
            .setValue(100.0)
            .setEpisodeId(episode)
            .setResolved(resolved)
            .build();
    alerts.add(a);
    send(topics.alerts.name(), run, a);
  }

  private void send(String topic, SeededRun run, SpecificRecord value) {
    records.add(new ProducerRecord<>(topic, run.id, value));
  }

  @AfterAll
  void tearDown() {
    if (sink != null) {
      sink.close();
    }
    if (http != null) {
      http.execute("DROP DATABASE IF EXISTS " + database);
    }
    if (client != null) {
      client.close();
    }
  }

  // ---- running the dashboards' SQL ------------------------------------------------------------

  /** The selection a user makes first: team, project, loss, every config key, r1 and r2. */
  private Selection selection() {
    return Selection.between(FROM, TO)
        .set("team", TEAM)
        .set("project", P)
        .set("metric", "loss")
        .all("config_key")
        .set("runs", "r1", "r2")
        .set("run", "r1")
        .set("points", "10")
        .interval(Duration.ofMinutes(1));
  }

  private List<JsonNode> query(Dashboard d, String sql, Selection s) {
    String rendered = GrafanaSql.render(sql, d, s);
    try {
      return select(rendered);
    } catch (RuntimeException e) {
      throw new AssertionError(
          d + ": ClickHouse refused the query: " + e.getMessage() + "\n" + rendered, e);
    }
  }

  private List<JsonNode> panel(Dashboard d, String title, Selection s) {
    return query(d, d.panel(title).sql(), s);
  }

  /** A query variable's options: (value, text) of each row, as the plugin reads them. */
  private List<List<String>> options(Dashboard d, String variable, Selection s) {
    List<List<String>> out = new ArrayList<>();
    for (JsonNode row : query(d, d.variable(variable).sql(), s)) {
      List<String> cells = new ArrayList<>();
      row.fields().forEachRemaining(f -> cells.add(Json.text(f.getValue())));
      out.add(cells);
    }
    return out;
  }

  /** Distinct values, sorted, one row each: a one-column variable's options. */
  private static List<List<String>> rowsOf(java.util.stream.Stream<String> values) {
    return values.distinct().sorted().map(List::of).toList();
  }

  private static List<String> column(List<JsonNode> rows, String name) {
    return rows.stream().map(r -> Json.text(r.get(name))).toList();
  }

  private static Double nullableDouble(JsonNode node) {
    return node == null || node.isNull() ? null : Json.toDouble(node);
  }

  private String dateTime(long epochMs) {
    return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
        .withZone(serverZone)
        .format(Instant.ofEpochMilli(epochMs).truncatedTo(ChronoUnit.SECONDS));
  }

  private List<SeededRun> runsOf(String team, String project) {
    return runs.values().stream()
        .filter(r -> r.team.equals(team) && r.project.equals(project))
        .toList();
  }

  private static boolean startedIn(SeededRun r, Instant from, Instant to) {
    long s = r.startedMs / 1000;
    return s >= from.getEpochSecond() && s <= to.getEpochSecond();
  }

  private static boolean minimizes(SeededRun r, String metric) {
    return MetricGoals.resolve(r.goals.getOrDefault(metric, Goal.NONE), metric) == Goal.MINIMIZE;
  }

  // ---- the tests --------------------------------------------------------------------------------

  @Test
  void shouldKeepTheDuplicatesStoredSoThePanelsMustDeduplicate() {
    for (String table :
        List.of(
            "runs",
            "run_attributes",
            "run_states",
            "metric_summaries",
            "metrics",
            "system_metrics",
            "alerts")) {
      long raw = count("SELECT count() AS c FROM " + table);
      long distinct = count("SELECT count() AS c FROM " + table + " FINAL");
      assertThat(raw).as("rows of %s stored, before deduplication", table).isGreaterThan(distinct);
    }
  }

  @Test
  void shouldListTeamsProjectsMetricsAndConfigKeysInTheVariables() {
    for (Dashboard d : List.of(runsDashboard, compareDashboard)) {
      assertThat(options(d, "team", selection()))
          .isEqualTo(rowsOf(runs.values().stream().map(r -> r.team)))
          .containsExactly(List.of(TEAM), List.of("other"));
      assertThat(options(d, "project", selection()))
          .isEqualTo(
              rowsOf(runs.values().stream().filter(r -> r.team.equals(TEAM)).map(r -> r.project)));
      // From the run summaries: r3 has none yet.
      assertThat(options(d, "metric", selection()))
          .isEqualTo(
              rowsOf(
                  runsOf(TEAM, P).stream()
                      .filter(r -> r.state != null)
                      .flatMap(r -> r.metrics.keySet().stream())));
    }
    assertThat(options(runsDashboard, "config_key", selection()))
        .as("the keys of every run's current config")
        .isEqualTo(rowsOf(runsOf(TEAM, P).stream().flatMap(r -> r.config.keySet().stream())))
        .contains(List.of("momentum"), List.of("optimizer.name"));
  }

  @Test
  void shouldListTheRunsNewestFirstWithTheirIdAsValueAndNameAsText() {
    List<List<String>> expected =
        runsOf(TEAM, P).stream()
            .sorted(
                Comparator.comparingLong((SeededRun r) -> -r.startedMs).thenComparing(r -> r.id))
            .map(r -> List.of(r.id, r.label()))
            .toList();
    assertThat(options(compareDashboard, "runs", selection())).isEqualTo(expected);
    assertThat(options(compareDashboard, "run", selection())).isEqualTo(expected);
  }

  /** The Runs panel's rows the seed implies for {@code metric} and the chosen config keys. */
  private List<List<Object>> expectedRunRows(
      String metric, Instant from, Instant to, Set<String> keys) {
    List<List<Object>> out = new ArrayList<>();
    runsOf(TEAM, P).stream()
        .filter(r -> startedIn(r, from, to))
        .sorted(Comparator.comparingLong((SeededRun r) -> -r.startedMs).thenComparing(r -> r.id))
        .forEach(
            r -> {
              TreeMap<Long, Double> points = r.state == null ? null : r.metrics.get(metric);
              Double last = null;
              Long lastStep = null;
              Double best = null;
              Long bestStep = null;
              if (points != null) {
                last = points.lastEntry().getValue();
                lastStep = points.lastKey();
                boolean min = minimizes(r, metric);
                for (Map.Entry<Long, Double> p : points.entrySet()) {
                  double v = p.getValue();
                  if (Double.isFinite(v) && (best == null || (min ? v < best : v > best))) {
                    best = v;
                    bestStep = p.getKey();
                  }
                }
              }
              String config =
                  r.config.entrySet().stream()
                      .filter(e -> keys == null || keys.contains(e.getKey()))
                      .map(e -> e.getKey() + "=" + e.getValue())
                      .collect(Collectors.joining(", "));
              out.add(
                  Arrays.asList(
                      r.name,
                      r.id,
                      r.state == null ? "UNKNOWN" : r.state.name(),
                      dateTime(r.startedMs),
                      String.join(", ", r.tags),
                      config,
                      last,
                      lastStep,
                      best,
                      bestStep));
            });
    return out;
  }

  private static List<List<Object>> runRows(List<JsonNode> rows) {
    return rows.stream()
        .map(
            r ->
                Arrays.<Object>asList(
                    Json.text(r.get("Run")),
                    Json.text(r.get("Run ID")),
                    Json.text(r.get("State")),
                    Json.text(r.get("Started")),
                    Json.text(r.get("Tags")),
                    Json.text(r.get("Config")),
                    nullableDouble(r.get("Final")),
                    Json.toNullableLong(r.get("Final step")),
                    nullableDouble(r.get("Best")),
                    Json.toNullableLong(r.get("Best step"))))
        .toList();
  }

  @Test
  void shouldShowTheRunsOfTheRangeWithCurrentStateTagsConfigAndFinalAndBestValues() {
    List<JsonNode> rows = panel(runsDashboard, "Runs (", selection());
    List<List<Object>> expected = expectedRunRows("loss", FROM, TO, null);
    assertThat(expected).extracting(r -> r.get(1)).containsExactly("r3", "r2", "r1");
    assertThat(runRows(rows)).isEqualTo(expected);
    // What the seed makes these rows mean, spelled out once.
    assertThat(expected.get(1).get(2)).as("r2's older RUNNING summary loses").isEqualTo("CRASHED");
    assertThat((String) expected.get(1).get(5))
        .as("r2's updated config")
        .contains("lr=0.005", "momentum=0.9");
    assertThat(expected.get(0).get(4)).as("r3's updated tags").isEqualTo("sweep, best");
    assertThat(expected.get(2).get(6)).as("r1 final").isNotEqualTo(expected.get(2).get(8));

    assertThat(runRows(panel(runsDashboard, "Runs (", selection().set("metric", "accuracy"))))
        .as("accuracy is maximized (declared goal)")
        .isEqualTo(expectedRunRows("accuracy", FROM, TO, null));
    List<List<Object>> perplexity = expectedRunRows("perplexity", FROM, TO, null);
    assertThat(perplexity.get(2).subList(8, 10))
        .as("r1 declared perplexity minimised: its best is the lowest")
        .containsExactly(5.0, 30L);
    assertThat(runRows(panel(runsDashboard, "Runs (", selection().set("metric", "perplexity"))))
        .as("a declared goal wins over the name")
        .isEqualTo(perplexity);
    assertThat(
            runRows(
                panel(runsDashboard, "Runs (", selection().set("config_key", "lr", "momentum"))))
        .isEqualTo(expectedRunRows("loss", FROM, TO, Set.of("lr", "momentum")));
    Instant late = Instant.ofEpochMilli(T0 + 90 * SECOND);
    assertThat(runRows(panel(runsDashboard, "Runs (", selection().during(late, TO))))
        .as("only r3 started after %s", late)
        .isEqualTo(expectedRunRows("loss", late, TO, null))
        .hasSize(1);
  }

  @Test
  void shouldCountTheRunsOfTheRangeByTheirLatestState() {
    Map<String, Long> expected =
        runsOf(TEAM, P).stream()
            .filter(r -> startedIn(r, FROM, TO))
            .collect(
                Collectors.groupingBy(
                    r -> r.state == null ? "UNKNOWN" : r.state.name(),
                    TreeMap::new,
                    Collectors.counting()));
    Map<String, Long> actual = new LinkedHashMap<>();
    for (JsonNode row : panel(runsDashboard, "Runs by state", selection())) {
      actual.put(Json.text(row.get("State")), Json.toLong(row.get("Runs")));
    }
    assertThat(actual).containsExactlyEntriesOf(expected);
    assertThat(actual).containsOnlyKeys("CRASHED", "FINISHED", "UNKNOWN");
  }

  @Test
  void shouldShowEachAlertOfTheRangeOnceNewestFirst() {
    // One per (run, episode, raise or resolution): the earliest.
    Map<List<Object>, Alert> earliest = new LinkedHashMap<>();
    for (Alert a : alerts) {
      SeededRun r = runs.get(a.getRunId());
      if (r.team.equals(TEAM) && r.project.equals(P)) {
        earliest.merge(
            List.of(a.getRunId(), a.getEpisodeId(), a.getResolved()),
            a,
            (x, y) -> x.getTimestampMs() <= y.getTimestampMs() ? x : y);
      }
    }
    List<List<String>> expected =
        earliest.values().stream()
            .filter(
                a ->
                    a.getTimestampMs() / 1000 >= FROM.getEpochSecond()
                        && a.getTimestampMs() / 1000 <= TO.getEpochSecond())
            .sorted(Comparator.comparingLong((Alert a) -> -a.getTimestampMs()))
            .map(
                a ->
                    List.of(
                        dateTime(a.getTimestampMs()),
                        runs.get(a.getRunId()).name,
                        a.getRunId(),
                        a.getResolved() ? "resolved" : "raised",
                        a.getTitle()))
            .toList();
    List<JsonNode> rows = panel(runsDashboard, "Recent alerts", selection());
    assertThat(
            rows.stream()
                .map(
                    r ->
                        List.of(
                            Json.text(r.get("Time")),
                            Json.text(r.get("Run")),
                            Json.text(r.get("Run ID")),
                            Json.text(r.get("Status")),
                            Json.text(r.get("Title"))))
                .toList())
        .isEqualTo(expected)
        .extracting(r -> r.get(4))
        .containsExactly("loss is flat", "loss is back", "loss spiked");
    assertThat(rows.get(2).get("Severity").asText()).isEqualTo("WARNING");
    assertThat(Json.toLong(rows.get(2).get("Step"))).isEqualTo(50);
  }

  /**
   * The curve the Compare panel must draw: buckets of one width for all chosen runs (steps [b*w,
   * (b+1)*w) at x = b*w), w = (max step - min step + points) div points, the mean of the finite
   * deduplicated values; buckets without one are left out.
   */
  private Map<String, TreeMap<Long, Double>> expectedCurves(
      List<SeededRun> chosen, String metric, int points) {
    long lo = Long.MAX_VALUE;
    long hi = Long.MIN_VALUE;
    for (SeededRun r : chosen) {
      TreeMap<Long, Double> p = r.metrics.get(metric);
      if (p != null) {
        lo = Math.min(lo, p.firstKey());
        hi = Math.max(hi, p.lastKey());
      }
    }
    long width = (hi - lo + points) / points;
    Map<String, TreeMap<Long, Double>> out = new TreeMap<>();
    for (SeededRun r : chosen) {
      TreeMap<Long, Double> p = r.metrics.get(metric);
      if (p == null) {
        continue;
      }
      Map<Long, List<Double>> buckets = new TreeMap<>();
      p.forEach(
          (step, v) -> {
            if (Double.isFinite(v)) {
              buckets.computeIfAbsent(step / width * width, b -> new ArrayList<>()).add(v);
            }
          });
      TreeMap<Long, Double> curve = new TreeMap<>();
      buckets.forEach(
          (x, vs) ->
              curve.put(x, vs.stream().mapToDouble(Double::doubleValue).average().orElseThrow()));
      out.put(r.label(), curve);
    }
    return out;
  }

  private static Map<String, TreeMap<Long, Double>> curves(
      List<JsonNode> rows, String x, String series) {
    Map<String, TreeMap<Long, Double>> out = new TreeMap<>();
    for (JsonNode row : rows) {
      out.computeIfAbsent(Json.text(row.get(series)), k -> new TreeMap<>())
          .put(Json.toLong(row.get(x)), Json.toDouble(row.get("value")));
    }
    return out;
  }

  private static void assertCurves(
      Map<String, TreeMap<Long, Double>> actual, Map<String, TreeMap<Long, Double>> expected) {
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    expected.forEach(
        (run, curve) -> {
          assertThat(actual.get(run).keySet()).as("x of %s", run).isEqualTo(curve.keySet());
          curve.forEach(
              (x, v) ->
                  assertThat(actual.get(run).get(x))
                      .as("%s at %d", run, x)
                      .isCloseTo(v, within(1e-9 * Math.max(1, Math.abs(v)))));
        });
  }

  @Test
  void shouldDrawTheDownsampledCurvesOfTheChosenRunsOnly() {
    List<JsonNode> rows = panel(compareDashboard, "${metric} by step", selection());
    Map<String, TreeMap<Long, Double>> expected =
        expectedCurves(List.of(runs.get("r1"), runs.get("r2")), "loss", 10);
    assertCurves(curves(rows, "step", "run"), expected);
    assertThat(expected.keySet()).containsExactly("alpha (r1)", "beta (r2)");
    assertThat(expected.get("beta (r2)")).hasSize(10).containsKey(50L);
    assertThat(expected.get("beta (r2)").get(50L))
        .as("the spike at step 50 counts in its bucket")
        .isGreaterThan(10);
    // Rows arrive by run and then step, as the join by step expects.
    assertThat(column(rows, "run")).isSortedAccordingTo(Comparator.naturalOrder());

    // Every run of the project that logged the metric (All), whatever its start.
    List<JsonNode> all =
        panel(compareDashboard, "${metric} by step", selection().all("runs").set("points", "7"));
    assertCurves(curves(all, "step", "run"), expectedCurves(runsOf(TEAM, P), "loss", 7));
    assertThat(curves(all, "step", "run")).containsKey("ancient (r4)").hasSize(4);
    assertThat(panel(compareDashboard, "${metric} by step", selection().set("metric", "accuracy")))
        .extracting(r -> Json.text(r.get("run")))
        .containsOnly("alpha (r1)")
        .hasSize(10);
  }

  @Test
  void shouldAverageTheSystemMetricsOfTheChosenRunPerInterval() {
    SeededRun r1 = runs.get("r1");
    Map<String, TreeMap<Long, Double>> expected = new TreeMap<>();
    r1.system.forEach(
        (metric, byStep) -> {
          Map<Long, List<Double>> buckets = new TreeMap<>();
          byStep.forEach(
              (step, v) -> {
                long seconds = r1.systemTimes.get(metric).get(step) / 1000;
                buckets.computeIfAbsent(seconds / 60 * 60, b -> new ArrayList<>()).add(v);
              });
          TreeMap<Long, Double> curve = new TreeMap<>();
          buckets.forEach(
              (t, vs) ->
                  curve.put(
                      t, vs.stream().mapToDouble(Double::doubleValue).average().orElseThrow()));
          expected.put(metric, curve);
        });
    List<JsonNode> rows = panel(compareDashboard, "System metrics", selection());
    Map<String, TreeMap<Long, Double>> actual = new TreeMap<>();
    for (JsonNode row : rows) {
      long t =
          java.time.LocalDateTime.parse(
                  Json.text(row.get("time")), DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss"))
              .atZone(serverZone)
              .toEpochSecond();
      actual
          .computeIfAbsent(Json.text(row.get("metric")), k -> new TreeMap<>())
          .put(t, Json.toDouble(row.get("value")));
    }
    assertCurves(actual, expected);
    assertThat(actual.get("system.cpu.percent").values())
        .as("step 3 sent again with 77")
        .contains(77.0);
    assertThat(column(rows, "time"))
        .as("time first and ascending, for Grafana's time series")
        .isSortedAccordingTo(Comparator.naturalOrder());
    assertThat(panel(compareDashboard, "System metrics", selection().set("run", "r2")))
        .extracting(r -> Json.toDouble(r.get("value")))
        .containsExactly(99.0);
    assertThat(
            panel(
                compareDashboard,
                "System metrics",
                selection().during(FROM, Instant.ofEpochMilli(T0))))
        .as("nothing before the run's system metrics")
        .isEmpty();
  }

  @Test
  void shouldRunEveryQueryOfEveryDashboardAndFindTheSeed() {
    List<String> checked = new ArrayList<>();
    for (Dashboard d : Dashboards.load()) {
      for (Variable v : d.variables()) {
        if (v.sql() != null) {
          assertThat(query(d, v.sql(), selection())).as("%s variable %s", d, v.name()).isNotEmpty();
          checked.add(d.uid() + "/" + v.name());
        }
      }
      for (Dashboards.Panel p : d.panels()) {
        if (!p.targets().isEmpty()) {
          assertThat(query(d, p.sql(), selection())).as("%s %s", d, p).isNotEmpty();
          checked.add(d.uid() + "/" + p.title());
        }
      }
    }
    assertThat(checked).hasSizeGreaterThanOrEqualTo(13);
  }

  @Test
  void shouldFindTheRunOfAProjectWhoseNamesHaveQuotesAndBackslashes() {
    SeededRun q1 = runs.get(TRICKY_RUN);
    Selection s =
        selection()
            .set("project", TRICKY_PROJECT)
            .set("config_key", TRICKY_KEY)
            .set("runs", TRICKY_RUN)
            .set("run", TRICKY_RUN);
    assertThat(options(runsDashboard, "project", s)).contains(List.of(TRICKY_PROJECT));
    assertThat(options(runsDashboard, "config_key", s))
        .containsExactly(List.of(TRICKY_KEY), List.of("lr"));
    assertThat(options(compareDashboard, "runs", s))
        .containsExactly(List.of(TRICKY_RUN, q1.label()));
    assertThat(runRows(panel(runsDashboard, "Runs (", s)))
        .singleElement()
        .satisfies(
            row -> {
              assertThat(row.subList(0, 3)).containsExactly(q1.name, TRICKY_RUN, "FINISHED");
              assertThat(row.get(5)).isEqualTo(TRICKY_KEY + "=1");
              assertThat(row.get(8)).isEqualTo(1.0);
            });
    assertThat(panel(runsDashboard, "Recent alerts", s))
        .extracting(r -> Json.text(r.get("Title")))
        .containsExactly("tricky");
    assertThat(curves(panel(compareDashboard, "${metric} by step", s), "step", "run"))
        .containsOnlyKeys(q1.label());
    assertThat(panel(compareDashboard, "System metrics", s))
        .extracting(r -> Json.toDouble(r.get("value")))
        .containsExactly(5.0);
  }
}
