package dev.runstream.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRecord;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.testing.LocalStackExtension;
import dev.runstream.testing.WandbClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training script, unchanged but for printing what it logs, run by the real {@code
 * wandb} client against the server, through Kafka, the processor and the sink into ClickHouse: what
 * the client logged is what the query module reads back.
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(600)
class WandbScriptIT {
  private static final String PROJECT = "tinyllm_hoon";
  private static final String KEY =
      "rs-" + "k".repeat(20) + UUID.randomUUID().toString().replace("-", "");
  private static final String TEAM = "vision-lab";
  private static final Duration CLIENT_TIMEOUT = Duration.ofMinutes(2);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private String database;
  private WandbClient client;
  private WandbPipeline pipeline;
  private WandbServer server;
  private RunQueries queries;
  private ClickHouseHttp clickHouse;
  private Path script;
  private Path extras;
  private Path work;
  private Path serverData;
  private int dirs;

  @BeforeAll
  void start(LocalStack stack, @TempDir Path dir) throws IOException {
    client = WandbClient.install(Path.of("target"));
    pipeline = WandbPipeline.start(stack, dir.resolve("state"), Map.of());
    database = pipeline.database;
    queries = pipeline.queries;
    clickHouse = pipeline.clickHouse;
    server =
        WandbServer.start(
            ServerConfig.builder(stack.kafkaBootstrap(), stack.schemaRegistryUrl())
                .host("127.0.0.1")
                .port(0)
                .dataDir(serverData = dir.resolve("server"))
                .topicPrefix(pipeline.prefix)
                .apiKey(KEY, TEAM)
                .build());
    work = Files.createDirectories(dir.resolve("work"));
    script = work.resolve("train.py");
    try (InputStream in = getClass().getResourceAsStream("/wandb/train.py")) {
      Files.copy(in, script);
    }
    extras = work.resolve("extras.py");
    try (InputStream in = getClass().getResourceAsStream("/wandb/extras.py")) {
      Files.copy(in, extras);
    }
  }

  @AfterAll
  void stop() {
    // Clients before the servers they talk to.
    for (AutoCloseable c : new AutoCloseable[] {server, pipeline}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException("closing " + c, e);
        }
      }
    }
  }

  @Test
  void shouldStoreTenRunsOfTheTrainingScriptAsTheClientLoggedThem() throws Exception {
    String[] models = {"TinyLLM", "ResNet-50", "ViT-B/16", "GPT-2", "BERT"};
    String[] datasets = {"CIFAR-100", "ImageNet"};
    List<Future<Logged>> running = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (int i = 1; i <= 10; i++) {
        String name = "test" + i;
        List<String> tags = List.of("NVIDIA-H100", models[i % models.length], datasets[i % 2]);
        running.add(pool.submit(() -> train(name, tags, KEY, false)));
      }
      List<Logged> runs = new ArrayList<>();
      for (Future<Logged> f : running) {
        runs.add(f.get());
      }
      for (Logged run : runs) {
        assertThat(run.result.exitCode()).as(run.result.output()).isZero();
        assertThat(run.points.get("acc")).as(run.name).hasSize(8);
      }

      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                Map<String, RunRecord> stored = new TreeMap<>();
                queries.runs(PROJECT).forEach(r -> stored.put(r.id(), r));
                for (Logged run : runs) {
                  assertThat(queries.points(run.id)).as(run.name).isEqualTo(run.points);
                  RunRecord record = stored.get(run.id);
                  assertThat(record).as(run.name).isNotNull();
                  assertThat(record.state()).as(run.name).isEqualTo("FINISHED");
                  // The client's system metrics (wandb-events.jsonl) under runstream's names.
                  assertThat(queries.systemPoints(run.id))
                      .as(run.name)
                      .allSatisfy((metric, points) -> assertThat(metric).startsWith("system."));
                }
                // The client samples system metrics on a timer of its own, so a run of a few
                // seconds on a starved machine may finish before its first sample: the client sent
                // none for one of the ten once. Every run's samples are kept; some run has them.
                assertThat(runs)
                    .as("runs with system metrics")
                    .anySatisfy(run -> assertThat(queries.systemPoints(run.id)).isNotEmpty());
              });
      Map<String, RunRecord> stored = new TreeMap<>();
      queries.runs(PROJECT).forEach(r -> stored.put(r.id(), r));
      for (Logged run : runs) {
        RunRecord record = stored.get(run.id);
        assertThat(record.name()).isEqualTo(run.name);
        assertThat(record.team()).isEqualTo(TEAM);
        assertThat(record.notes()).isEqualTo("trainging test");
        assertThat(record.tags()).containsExactlyElementsOf(run.tags);
        assertThat(config(record.configJson()))
            .isEqualTo(
                Map.of(
                    "learning_rate",
                    0.02,
                    "architecture",
                    "CNN",
                    "dataset",
                    "CIFAR-100",
                    "epochs",
                    10));
      }
      assertThat(runs).extracting(r -> r.id).doesNotHaveDuplicates();
      // The files the client uploaded are kept under the run, under the key's team.
      for (Logged run : runs) {
        Path files = serverData.resolve("files").resolve(TEAM).resolve(PROJECT).resolve(run.id);
        assertThat(Files.readString(files.resolve("config.yaml")))
            .contains("learning_rate:")
            .contains("value: 0.02");
        JsonNode summary = JSON.readTree(files.resolve("wandb-summary.json").toFile());
        assertThat(summary.get("acc").asDouble()).isEqualTo(run.points.get("acc").get(7L));
        assertThat(summary.get("_step").asLong()).isEqualTo(7);
        // The point's time is the client's _timestamp (ClickHouse keeps seconds).
        assertThat(metricTime(run.id, "acc", 7))
            .isEqualTo((long) Math.floor(summary.get("_timestamp").asDouble()));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldRefuseAWrongKeySoThatTheClientSaysItIsInvalid() {
    WandbClient.Result result =
        client.runScript(
            script, work, env("rs-" + "x".repeat(48)), CLIENT_TIMEOUT, "refused", "[\"tag\"]");
    assertThat(result.exitCode()).as(result.output()).isNotZero();
    assertThat(result.output()).contains("invalid API key");
    assertThat(result.output()).doesNotContain("LOGGED");
  }

  @Test
  void shouldMarkAScriptThatRaisesFailed() throws Exception {
    Logged run = train("raises", List.of("broken"), KEY, true);
    assertThat(run.result.exitCode()).as(run.result.output()).isEqualTo(1);
    assertThat(run.result.output()).contains("training diverged (on purpose)");
    assertThat(run.points.get("loss")).hasSize(4);
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              assertThat(queries.points(run.id)).isEqualTo(run.points);
              assertThat(queries.runs(PROJECT))
                  .filteredOn(r -> r.id().equals(run.id))
                  .singleElement()
                  .satisfies(r -> assertThat(r.state()).isEqualTo("FAILED"));
            });
  }

  @Test
  void shouldStoreAnOfflineRunSyncedTwiceOnceWithItsNameAndTagsVerbatim() throws Exception {
    String name = "offline «ü» `tick` \"quoted\" it's";
    List<String> tags = List.of("it's", "`tick`", "ünïcode ✓", "\"q\"");
    Logged run = train(name, tags, KEY, false, Map.of("WANDB_MODE", "offline"));
    assertThat(run.result.exitCode()).as(run.result.output()).isZero();
    Path offline;
    try (var found = Files.list(run.dir.resolve("wandb"))) {
      offline =
          found
              .filter(p -> p.getFileName().toString().startsWith("offline-run-"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no offline run in " + run.dir));
    }
    // The client skips a run it synced already unless told not to: the second upload is real.
    for (List<String> flags : List.of(List.<String>of(), List.of("--no-skip-synced"))) {
      List<String> command = new ArrayList<>(List.of(client.wandbCommand().toString(), "sync"));
      command.addAll(flags);
      command.add(offline.toString());
      WandbClient.Result sync = client.run(command, run.dir, env(KEY), CLIENT_TIMEOUT);
      assertThat(sync.exitCode()).as(sync.output()).isZero();
      assertThat(sync.output()).contains("Finished syncing");
    }
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              assertThat(queries.points(run.id)).isEqualTo(run.points);
              assertThat(queries.runs(PROJECT))
                  .filteredOn(r -> r.id().equals(run.id))
                  .singleElement()
                  .satisfies(
                      r -> {
                        assertThat(r.state()).isEqualTo("FINISHED");
                        assertThat(r.name()).isEqualTo(name);
                        assertThat(r.tags()).containsExactlyElementsOf(tags);
                      });
              // Each step counted once, though the run was uploaded twice.
              assertThat(queries.summaries(run.id))
                  .hasEntrySatisfying("loss", s -> assertThat(s.count()).isEqualTo(8));
            });
    // The synced points keep the times the client recorded offline, not the time of the sync.
    JsonNode summary =
        JSON.readTree(
            serverData
                .resolve("files")
                .resolve(TEAM)
                .resolve(PROJECT)
                .resolve(run.id)
                .resolve("wandb-summary.json")
                .toFile());
    assertThat(summary.get("_step").asLong()).isEqualTo(7);
    assertThat(metricTime(run.id, "loss", 7))
        .isEqualTo((long) Math.floor(summary.get("_timestamp").asDouble()));
  }

  @Test
  void shouldStoreAConfigOfAThousandKeysWithQuotesBackticksAndUnicodeVerbatim() throws Exception {
    Path config1000 = work.resolve("config1000.py");
    try (InputStream in = getClass().getResourceAsStream("/wandb/config1000.py")) {
      Files.copy(in, config1000, StandardCopyOption.REPLACE_EXISTING);
    }
    Path dir = Files.createDirectories(work.resolve("run-" + nextDir()));
    WandbClient.Result result = client.runScript(config1000, dir, env(KEY), CLIENT_TIMEOUT);
    assertThat(result.exitCode()).as(result.output()).isZero();
    String runId = null;
    Map<String, Object> sent = null;
    for (String line : result.output().lines().toList()) {
      if (line.startsWith("RUN ")) {
        runId = JSON.readTree(line.substring(4)).get("id").asText();
      } else if (line.startsWith("CONFIG ")) {
        sent = config(line.substring(7));
      }
    }
    assertThat(sent).as(result.output()).hasSize(1000);
    String id = runId;
    Map<String, Object> expected = sent;
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () ->
                assertThat(queries.runs(PROJECT))
                    .filteredOn(r -> r.id().equals(id))
                    .singleElement()
                    .satisfies(
                        r -> {
                          assertThat(r.state()).isEqualTo("FINISHED");
                          assertThat(r.name()).isEqualTo("config «1000»");
                          assertThat(config(r.configJson())).isEqualTo(expected);
                        }));
  }

  /** The time (seconds since the epoch) ClickHouse holds for one point of {@code runId}. */
  private long metricTime(String runId, String metric, long step) {
    List<JsonNode> rows =
        clickHouse.queryJson(
            "SELECT toUnixTimestamp(time) AS t FROM "
                + database
                + ".metrics WHERE run_id = '"
                + runId
                + "' AND metric = '"
                + metric
                + "' AND step = "
                + step);
    assertThat(rows).as("%s %s at step %s", runId, metric, step).isNotEmpty();
    return rows.get(0).get("t").asLong();
  }

  @Test
  void shouldKeepNestedAndNonFiniteValuesAlertsAndConfigUpdates() throws Exception {
    Path dir = Files.createDirectories(work.resolve("run-" + nextDir()));
    WandbClient.Result result = client.runScript(extras, dir, env(KEY), CLIENT_TIMEOUT);
    assertThat(result.exitCode()).as(result.output()).isZero();
    String runId =
        JSON.readTree(
                result
                    .output()
                    .lines()
                    .filter(l -> l.startsWith("RUN "))
                    .findFirst()
                    .orElseThrow()
                    .substring(4))
            .get("id")
            .asText();
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              Map<String, NavigableMap<Long, Double>> points = queries.points(runId);
              assertThat(points.get("loss"))
                  .containsExactly(Map.entry(0L, 0.5), Map.entry(1L, 0.25));
              assertThat(points.get("val.acc"))
                  .containsExactly(Map.entry(0L, 0.25), Map.entry(1L, 0.5));
              assertThat(points.get("diverged").get(0L)).isNaN();
              assertThat(points.get("diverged").get(1L)).isEqualTo(1.0);
              assertThat(points.get("grad"))
                  .containsExactly(
                      Map.entry(0L, Double.POSITIVE_INFINITY),
                      Map.entry(1L, Double.NEGATIVE_INFINITY));
              assertThat(queries.alerts(PROJECT, runId, 10))
                  .anySatisfy(
                      a -> {
                        assertThat(a.title()).isEqualTo("loss plateau");
                        assertThat(a.message()).isEqualTo("loss stopped falling");
                      });
              assertThat(queries.runs(PROJECT))
                  .filteredOn(r -> r.id().equals(runId))
                  .singleElement()
                  .satisfies(
                      r -> {
                        assertThat(r.state()).isEqualTo("FINISHED");
                        assertThat(config(r.configJson()))
                            .isEqualTo(Map.of("lr", 0.1, "extra", "late"));
                      });
            });
  }

  @Test
  void shouldContinueARunResumedByALaterProcessAfterItsLastStep() throws Exception {
    Path resume = work.resolve("resume.py");
    try (InputStream in = getClass().getResourceAsStream("/wandb/resume.py")) {
      Files.copy(in, resume, StandardCopyOption.REPLACE_EXISTING);
    }
    String runId = "resume-" + id;
    Path dir = Files.createDirectories(work.resolve("run-" + nextDir()));
    WandbClient.Result first =
        client.runScript(resume, dir, env(KEY), CLIENT_TIMEOUT, runId, "allow", "2", "10");
    assertThat(first.exitCode()).as(first.output()).isZero();
    WandbClient.Result second =
        client.runScript(resume, dir, env(KEY), CLIENT_TIMEOUT, runId, "must", "2", "20");
    assertThat(second.exitCode()).as(second.output()).isZero();
    WandbClient.Result unknown =
        client.runScript(resume, dir, env(KEY), CLIENT_TIMEOUT, "never-" + id, "must", "1", "0");
    assertThat(unknown.exitCode()).as(unknown.output()).isNotZero();
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              assertThat(queries.points(runId).get("loss"))
                  .containsExactly(
                      Map.entry(0L, 10.0),
                      Map.entry(1L, 11.0),
                      Map.entry(2L, 20.0),
                      Map.entry(3L, 21.0));
              assertThat(queries.runs(PROJECT))
                  .filteredOn(r -> r.id().equals(runId))
                  .singleElement()
                  .satisfies(r -> assertThat(r.state()).isEqualTo("FINISHED"));
            });
    assertThat(queries.points("never-" + id)).isEmpty();
  }

  private static Map<String, Object> config(String json) throws IOException {
    return JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
  }

  private synchronized int nextDir() {
    return ++dirs;
  }

  private Map<String, String> env(String key) {
    // The client's caches and settings stay in the test's directory, not the user's home.
    return Map.of(
        "WANDB_BASE_URL", "http://127.0.0.1:" + server.port(),
        "WANDB_API_KEY", key,
        "WANDB_CACHE_DIR", work.resolve(".wandb-cache").toString(),
        "WANDB_CONFIG_DIR", work.resolve(".wandb-config").toString(),
        "WANDB_DATA_DIR", work.resolve(".wandb-data").toString());
  }

  private Logged train(String name, List<String> tags, String key, boolean raise)
      throws IOException {
    return train(name, tags, key, raise, Map.of());
  }

  private Logged train(
      String name, List<String> tags, String key, boolean raise, Map<String, String> extraEnv)
      throws IOException {
    List<String> args = new ArrayList<>(List.of(name, JSON.writeValueAsString(tags)));
    if (raise) {
      args.add("raise");
    }
    Path runDir = Files.createDirectories(work.resolve("run-" + nextDir()));
    Map<String, String> env = new HashMap<>(env(key));
    env.putAll(extraEnv);
    WandbClient.Result result =
        client.runScript(script, runDir, env, CLIENT_TIMEOUT, args.toArray(String[]::new));
    Logged logged = new Logged(name, tags, result);
    logged.dir = runDir;
    for (String line : result.output().lines().toList()) {
      if (line.startsWith("RUN ")) {
        logged.id = JSON.readTree(line.substring(4)).get("id").asText();
      } else if (line.startsWith("LOGGED ")) {
        JsonNode point = JSON.readTree(line.substring(7));
        long step = point.get("step").asLong();
        logged
            .points
            .computeIfAbsent("acc", k -> new TreeMap<>())
            .put(step, point.get("acc").asDouble());
        logged
            .points
            .computeIfAbsent("loss", k -> new TreeMap<>())
            .put(step, point.get("loss").asDouble());
      }
    }
    assertThat(logged.id).as("the script printed its run id: %s", result.output()).isNotNull();
    return logged;
  }

  /** One run of the script: what it printed it logged. */
  private static final class Logged {
    final String name;
    final List<String> tags;
    final WandbClient.Result result;
    final Map<String, NavigableMap<Long, Double>> points = new TreeMap<>();
    String id;
    Path dir;

    Logged(String name, List<String> tags, WandbClient.Result result) {
      this.name = name;
      this.tags = tags;
      this.result = result;
    }
  }
}
