package dev.runstream.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.ProcessorConfig;
import dev.runstream.processor.StreamProcessor;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRecord;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.sink.ClickHouseSink;
import dev.runstream.sink.SinkConfig;
import dev.runstream.testing.LocalStackExtension;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server holding {@value #RUNS} client runs open at once, on the real stack (Kafka, registry,
 * processor, sink, ClickHouse): every run created, then every run logging its history through
 * {@code file_stream} while all are open, then every run completing; all of them in ClickHouse with
 * exact point counts and values, FINISHED.
 *
 * <p>The clients are not {@value #RUNS} Python processes running the real {@code wandb} client:
 * each of those is a Python interpreter plus the client's Go core (about 150 MB and a second of CPU
 * to start), which 2 cores and the test's memory cannot hold at once, so the runs would not be open
 * together and the test would measure process start-up. Instead {@link WandbWire} replays, from
 * Java threads, the requests the real client 0.30.0 sends (the recorded {@code UpsertBucket}
 * document and variables, {@code wandb-history.jsonl} posts at their offsets, the final post with
 * the summary and {@code complete}/{@code exitcode}); {@code WandbScriptIT} runs the real client.
 *
 * <p>It also detaches {@value #RUNS} open runs with {@link WandbServer#close()} (a server stopping)
 * and checks that what they logged reached ClickHouse and that none was finished. The heap and
 * threads the open runs cost, and how long the close took, are logged (never asserted: the machine
 * is shared).
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(900)
class WandbScaleIT {
  private static final Logger LOG = LoggerFactory.getLogger(WandbScaleIT.class);
  private static final int RUNS = 500;
  private static final int POSTS = 3;
  private static final int LINES_PER_POST = 5;
  private static final int METRICS = 4;
  private static final int CLIENT_THREADS = 50;
  private static final String KEY =
      "rs-" + "s".repeat(20) + UUID.randomUUID().toString().replace("-", "");
  private static final String TEAM = "scale-lab";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private final String database = "wbscale_" + id;
  private String prefix;
  private LocalStack stack;
  private Path dir;
  private StreamProcessor processor;
  private ClickHouseSink sink;
  private RunQueries queries;
  private ClickHouseHttp clickHouse;
  private HttpClient http;
  private ExecutorService clients;

  @BeforeAll
  void start(LocalStack stack, @TempDir Path dir) {
    this.stack = stack;
    this.dir = dir;
    prefix = "wbscale" + id + ".runstream.";
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
      TopicSetup.ensure(admin, Topics.withPrefix(prefix), TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    ConfigProperties env =
        ConfigProperties.of(
            Map.of(
                "RUNSTREAM_TOPIC_PREFIX",
                prefix,
                "RUNSTREAM_PROCESSOR_APPLICATION_ID",
                "wbscale-" + id,
                "RUNSTREAM_SINK_GROUP_ID",
                "wbscale-sink-" + id,
                "CLICKHOUSE_DATABASE",
                database,
                "RUNSTREAM_SINK_BATCH_MAX_DELAY",
                "200ms"));
    processor =
        StreamProcessor.start(
            ProcessorConfig.forServers(
                env, stack.kafkaBootstrap(), stack.schemaRegistryUrl(), dir.resolve("state")));
    sink =
        ClickHouseSink.start(
            SinkConfig.forServers(
                env, stack.kafkaBootstrap(), stack.schemaRegistryUrl(), stack.clickhouseUrl()));
    queries =
        RunQueries.connect(
            stack.clickhouseUrl(),
            SinkConfig.DEFAULT_CLICKHOUSE_USER,
            SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD,
            database);
    clickHouse =
        new ClickHouseHttp(
            ClickHouseHttp.newClient(
                stack.clickhouseUrl(),
                SinkConfig.DEFAULT_CLICKHOUSE_USER,
                SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD),
            true);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    clients = Executors.newFixedThreadPool(CLIENT_THREADS);
  }

  @AfterAll
  void stop() {
    if (clients != null) {
      clients.shutdownNow();
    }
    // Clients before the servers they talk to.
    for (AutoCloseable c : new AutoCloseable[] {clickHouse, queries, sink, processor}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException("closing " + c, e);
        }
      }
    }
  }

  private WandbServer server(String name) {
    return WandbServer.start(
        ServerConfig.builder(stack.kafkaBootstrap(), stack.schemaRegistryUrl())
            .host("127.0.0.1")
            .port(0)
            .dataDir(dir.resolve(name))
            .topicPrefix(prefix)
            .apiKey(KEY, TEAM)
            .build());
  }

  @Test
  void shouldHoldFiveHundredRunsOpenAtOnceAndStoreEveryOneExactly() throws Exception {
    String project = "scale-open";
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
    System.gc();
    long heapBefore = memory.getHeapMemoryUsage().getUsed();
    try (WandbServer server = server("open")) {
      WandbWire wire = new WandbWire(http, "http://127.0.0.1:" + server.port(), KEY);
      List<ClientRun> runs = new ArrayList<>();
      for (int i = 0; i < RUNS; i++) {
        runs.add(new ClientRun(project, "open" + id + i, i));
      }

      all(runs, run -> run.create(wire));
      for (int post = 0; post < POSTS - 1; post++) {
        int p = post;
        all(runs, run -> run.history(wire, p));
        // Every run is open at once: none has completed yet.
        assertThat(server.openRuns()).isEqualTo(RUNS);
      }
      System.gc();
      LOG.info(
          "{} runs open in one server: heap {} MiB more than before it started, {} threads more"
              + " (test JVM, with the processor and sink running beside it)",
          server.openRuns(),
          (memory.getHeapMemoryUsage().getUsed() - heapBefore) >> 20,
          ManagementFactory.getThreadMXBean().getThreadCount() - threadsBefore);
      all(runs, run -> run.complete(wire));
      assertThat(server.openRuns()).isZero();

      await()
          .atMost(Duration.ofMinutes(4))
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(() -> assertThat(stored(project)).isEqualTo(expected(runs)));
      Map<String, RunRecord> records = new TreeMap<>();
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(
              () -> {
                records.clear();
                queries.runs(project).forEach(r -> records.put(r.id(), r));
                assertThat(records).hasSize(RUNS);
                assertThat(records.values())
                    .allSatisfy(r -> assertThat(r.state()).as(r.id()).isEqualTo("FINISHED"));
              });
      for (ClientRun run : runs) {
        RunRecord record = records.get(run.id);
        assertThat(record.name()).isEqualTo(run.name());
        assertThat(record.team()).isEqualTo(TEAM);
        assertThat(JSON.readTree(record.configJson())).isEqualTo(JSON.valueToTree(run.config()));
      }
    }
  }

  @Test
  void shouldDetachFiveHundredOpenRunsWhenTheServerCloses() throws Exception {
    String project = "scale-close";
    List<ClientRun> runs = new ArrayList<>();
    for (int i = 0; i < RUNS; i++) {
      runs.add(new ClientRun(project, "close" + id + i, i));
    }
    WandbServer server = server("close");
    try {
      WandbWire wire = new WandbWire(http, "http://127.0.0.1:" + server.port(), KEY);
      all(runs, run -> run.create(wire));
      all(runs, run -> run.history(wire, 0));
      assertThat(server.openRuns()).isEqualTo(RUNS);
    } finally {
      long started = System.nanoTime();
      server.close();
      LOG.info(
          "WandbServer.close() with {} open runs took {} ms",
          RUNS,
          (System.nanoTime() - started) / 1_000_000);
    }
    assertThat(server.openRuns()).isZero();

    // What the runs logged before the server stopped reached ClickHouse; none was finished.
    Map<String, List<Double>> expected = new TreeMap<>();
    for (ClientRun run : runs) {
      expected.put(run.id, run.expected(1));
    }
    await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertThat(stored(project)).isEqualTo(expected));
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              List<RunRecord> records = queries.runs(project);
              assertThat(records).hasSize(RUNS);
              assertThat(records)
                  .allSatisfy(r -> assertThat(r.state()).as(r.id()).isEqualTo("RUNNING"));
            });
  }

  /** Run id to [points, sum of values] in ClickHouse, one point per metric and step. */
  private Map<String, List<Double>> stored(String project) {
    Map<String, List<Double>> out = new TreeMap<>();
    for (JsonNode row :
        clickHouse.queryJson(
            "SELECT run_id, count() AS n, sum(v) AS s FROM (SELECT run_id, metric, step,"
                + " argMax(value, seq) AS v FROM "
                + database
                + ".metrics WHERE team = '"
                + TEAM
                + "' AND project = '"
                + project
                + "' GROUP BY run_id, metric, step) GROUP BY run_id")) {
      out.put(
          row.get("run_id").asText(), List.of(row.get("n").asDouble(), row.get("s").asDouble()));
    }
    return out;
  }

  private static Map<String, List<Double>> expected(List<ClientRun> runs) {
    Map<String, List<Double>> out = new TreeMap<>();
    for (ClientRun run : runs) {
      out.put(run.id, run.expected(POSTS));
    }
    return out;
  }

  private interface Step {
    HttpResponse<String> send(ClientRun run) throws Exception;
  }

  /** Sends {@code step} for every run from the client threads; each answer must be 200. */
  private void all(List<ClientRun> runs, Step step) throws Exception {
    List<Future<HttpResponse<String>>> sent = new ArrayList<>();
    for (ClientRun run : runs) {
      Callable<HttpResponse<String>> call = () -> step.send(run);
      sent.add(clients.submit(call));
    }
    for (int i = 0; i < sent.size(); i++) {
      HttpResponse<String> response = sent.get(i).get();
      assertThat(response.statusCode())
          .as("%s: %s", runs.get(i).id, response.body())
          .isEqualTo(200);
      assertThat(response.body()).doesNotContain("\"errors\"");
    }
  }

  /** One client's run: what it sends, and so what ClickHouse must hold. */
  private static final class ClientRun {
    final String project;
    final String id;
    final int index;

    ClientRun(String project, String id, int index) {
      this.project = project;
      this.id = id;
      this.index = index;
    }

    String name() {
      return "scale-" + index;
    }

    Map<String, Object> config() {
      Map<String, Object> config = new LinkedHashMap<>();
      config.put("learning_rate", 0.001 * (index + 1));
      config.put("model", "TinyLLM-" + (index % 7));
      config.put("epochs", POSTS * LINES_PER_POST);
      return config;
    }

    double value(long step, int metric) {
      // Sums of multiples of 1/8 are exact in any order, so ClickHouse's sum equals this one.
      return index + step / 4.0 + metric / 8.0;
    }

    List<String> lines(int post) {
      List<String> lines = new ArrayList<>();
      for (int l = 0; l < LINES_PER_POST; l++) {
        long step = (long) post * LINES_PER_POST + l;
        Map<String, Double> values = new LinkedHashMap<>();
        for (int m = 0; m < METRICS; m++) {
          values.put("metric_" + m, value(step, m));
        }
        lines.add(WandbWire.historyLine(step, 1.8e9 + step, values));
      }
      return lines;
    }

    /** [points, sum of values] after {@code posts} posts. */
    List<Double> expected(int posts) {
      double sum = 0;
      for (long step = 0; step < (long) posts * LINES_PER_POST; step++) {
        for (int m = 0; m < METRICS; m++) {
          sum += value(step, m);
        }
      }
      return List.of((double) posts * LINES_PER_POST * METRICS, sum);
    }

    HttpResponse<String> create(WandbWire wire) throws Exception {
      return wire.graphql(WandbWire.upsertBucket(id, project, name(), config()));
    }

    HttpResponse<String> history(WandbWire wire, int post) throws Exception {
      return wire.fileStream(
          TEAM, project, id, WandbWire.historyPost((long) post * LINES_PER_POST, lines(post)));
    }

    HttpResponse<String> complete(WandbWire wire) throws Exception {
      int last = POSTS - 1;
      long lastStep = (long) POSTS * LINES_PER_POST - 1;
      String summary =
          "{\"_step\":" + lastStep + ",\"metric_0\":" + value(lastStep, 0) + ",\"_runtime\":1}";
      return wire.fileStream(
          TEAM,
          project,
          id,
          WandbWire.finalPost((long) last * LINES_PER_POST, lines(last), summary, 0));
    }
  }
}
