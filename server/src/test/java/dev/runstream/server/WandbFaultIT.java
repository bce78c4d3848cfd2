package dev.runstream.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.MetricSummaryRow;
import dev.runstream.query.RunRecord;
import dev.runstream.testing.LocalStackExtension;
import dev.runstream.testing.WandbClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults around the real {@code wandb} client: the client killed with SIGKILL, the server killed
 * and restarted (a child JVM, on the same port and data directory) while a client logs, and Kafka
 * stopped for 30 s meanwhile. What the client logged is what the query module reads back, each step
 * once.
 *
 * <p>The processor runs with a crash time (40 s) longer than the heartbeat interval of the server's
 * runs (the SDK's 30 s), so that a run whose server still heartbeats is never called crashed: only
 * the server detaching it (after {@code RUNSTREAM_SERVER_RUN_IDLE_TIMEOUT}, 3 s in that test) lets
 * it crash, as an SDK run crashes when its process dies.
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(600)
class WandbFaultIT {
  private static final String PROJECT = "faults";
  private static final String TEAM = "fault-lab";
  private static final String KEY =
      "rs-" + "f".repeat(20) + UUID.randomUUID().toString().replace("-", "");
  private static final int STEPS = 5_000;
  private static final Duration CLIENT_TIMEOUT = Duration.ofMinutes(4);
  private static final Duration KAFKA_OUTAGE = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();
  // Runs detached after 3 s without a request, so that a killed client's run crashes soon.
  private static final String SHORT_IDLE = "3s";
  // Long enough that a live run is not detached while its client backs off between retries (after
  // the failed requests of a restart, it may wait several seconds before the next one).
  private static final String LONG_IDLE = "2m";

  private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private LocalStack stack;
  private WandbClient client;
  private WandbPipeline pipeline;
  private ServerProcess server;
  private Map<String, String> serverEnv;
  private String serverIdleTimeout;
  private int port;
  private Path serverData;
  private Path work;

  @BeforeAll
  void start(LocalStack stack, @TempDir Path dir) throws IOException {
    this.stack = stack;
    client = WandbClient.install(Path.of("target"));
    pipeline =
        WandbPipeline.start(
            stack,
            dir.resolve("state"),
            Map.of(
                "RUNSTREAM_LIVENESS_CHECK_MS", "1s",
                "RUNSTREAM_UNRESPONSIVE_AFTER_MS", "20s",
                "RUNSTREAM_CRASHED_AFTER_MS", "40s"));
    work = Files.createDirectories(dir.resolve("work"));
    for (String script : List.of("steps.py", "hang.py")) {
      try (InputStream in = getClass().getResourceAsStream("/wandb/" + script)) {
        Files.copy(in, work.resolve(script));
      }
    }
    serverData = dir.resolve("server");
    Path keys = Files.writeString(dir.resolve("keys"), KEY + "=" + TEAM + "\n");
    port = ServerProcess.freePort();
    serverEnv =
        Map.of(
            "RUNSTREAM_KAFKA_BOOTSTRAP", stack.kafkaBootstrap(),
            "RUNSTREAM_SCHEMA_REGISTRY_URL", stack.schemaRegistryUrl(),
            "RUNSTREAM_SERVER_API_KEYS_FILE", keys.toString(),
            "RUNSTREAM_SERVER_HOST", "127.0.0.1",
            "RUNSTREAM_SERVER_PORT", Integer.toString(port),
            "RUNSTREAM_SERVER_DATA_DIR", serverData.toString(),
            "RUNSTREAM_TOPIC_PREFIX", pipeline.prefix);
    server = startServer(LONG_IDLE);
  }

  @AfterAll
  void stop() throws Exception {
    pool.shutdownNow();
    // Clients before the servers they talk to.
    if (server != null) {
      server.close();
    }
    if (pipeline != null) {
      pipeline.close();
    }
  }

  /** Starts the server on the class's port and data directory, detaching runs idle that long. */
  private ServerProcess startServer(String idleTimeout) throws IOException {
    Map<String, String> env = new HashMap<>(serverEnv);
    env.put("RUNSTREAM_SERVER_RUN_IDLE_TIMEOUT", idleTimeout);
    serverIdleTimeout = idleTimeout;
    return ServerProcess.start(env, port, Path.of("target", "wandb-fault-server.log"));
  }

  @Test
  void shouldMarkARunCrashedWhenItsClientIsKilled() throws Exception {
    if (!serverIdleTimeout.equals(SHORT_IDLE)) {
      server.close();
      server = startServer(SHORT_IDLE);
    }
    String runId = "killed-" + suffix;
    Path dir = Files.createDirectories(work.resolve(runId));
    Path output = dir.resolve("output.log");
    ProcessBuilder pb =
        new ProcessBuilder(
                client.python().toString(), work.resolve("hang.py").toString(), runId, "5")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("WANDB_"));
    pb.environment().putAll(clientEnv());
    Process process = pb.start();
    List<ProcessHandle> family = new ArrayList<>();
    try {
      await()
          .atMost(Duration.ofMinutes(1))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> alive(process, output) && Files.readString(output).contains("WAITING"));
      // The client lives and its steps are stored: the run is running, not crashed.
      await()
          .atMost(Duration.ofMinutes(1))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                assertThat(pipeline.queries.points(runId).get("loss")).hasSize(5);
                assertThat(run(runId))
                    .hasValueSatisfying(r -> assertThat(r.state()).isEqualTo("RUNNING"));
              });
      process.descendants().forEach(family::add);
      // SIGKILL of the training process, as the kernel's OOM killer sends it: no finish, no
      // complete. (wandb's own service process ends when it sees its parent gone.)
      process.destroyForcibly();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(
              () ->
                  assertThat(run(runId))
                      .hasValueSatisfying(r -> assertThat(r.state()).isEqualTo("CRASHED")));
      // Crashed because the server let the idle run go, not because the server went away.
      assertThat(Files.readString(server.log()))
          .contains("run " + TEAM + "/" + PROJECT + "/" + runId + " detached after");
      NavigableMap<Long, Double> loss = pipeline.queries.points(runId).get("loss");
      assertThat(loss).hasSize(5);
      for (long step = 0; step < 5; step++) {
        assertThat(loss.get(step)).isEqualTo(1.0 / (step + 1));
      }
    } finally {
      process.destroyForcibly();
      for (ProcessHandle p : family) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void shouldKeepEveryStepOnceWhenTheServerIsKilledAndRestartedWhileAClientLogs() throws Exception {
    String runId = "restarted-" + suffix;
    Future<WandbClient.Result> running = startSteps(runId);
    awaitStored(runId, running);
    assertThat(running).as("the client still logs when the server dies").isNotDone();

    server.kill();
    server = startServer(LONG_IDLE);

    checkStoredOnce(runId, running.get(CLIENT_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS));
  }

  @Test
  void shouldJournalWhileKafkaIsDownAndDeliverEveryStepOnceWhenItIsBack() throws Exception {
    String runId = "kafka-down-" + suffix;
    Future<WandbClient.Result> running = startSteps(runId);
    awaitStored(runId, running);
    assertThat(running).as("the client still logs when Kafka stops").isNotDone();

    Instant down = Instant.now();
    stack.kafka().stop();
    try {
      // The server dies too, and comes back while Kafka is still away.
      server.kill();
      Path journal =
          serverData.resolve("runs").resolve(TEAM).resolve(PROJECT).resolve("run-" + runId);
      long before = size(journal);
      server = startServer(LONG_IDLE);
      // It takes what the client sends into the run's journal though Kafka cannot have it.
      await()
          .atMost(KAFKA_OUTAGE)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> size(journal) > before);
      // The outage lasts its full 30 s: a deliberate duration, held to a deadline.
      Instant end = down.plus(KAFKA_OUTAGE);
      await()
          .atMost(KAFKA_OUTAGE.plusSeconds(5))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> !Instant.now().isBefore(end));
    } finally {
      stack.kafka().start();
    }

    checkStoredOnce(runId, running.get(CLIENT_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS));
  }

  /** Starts the client logging {@link #STEPS} steps under {@code runId}. */
  private Future<WandbClient.Result> startSteps(String runId) throws IOException {
    Path dir = Files.createDirectories(work.resolve(runId));
    return pool.submit(
        () ->
            client.runScript(
                work.resolve("steps.py"),
                dir,
                clientEnv(),
                CLIENT_TIMEOUT,
                runId,
                Integer.toString(STEPS),
                "0.003"));
  }

  /** Waits until the pipeline stored some of the run's steps: the run is under way. */
  private void awaitStored(String runId, Future<WandbClient.Result> running) {
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              if (running.isDone()) {
                throw new AssertionError("the client ended early:\n" + running.get().output());
              }
              return count(runId) >= 300;
            });
  }

  /**
   * Checks that the client finished and that every step it printed is stored once, with its values,
   * and the run FINISHED.
   */
  private void checkStoredOnce(String runId, WandbClient.Result result) throws IOException {
    assertThat(result.exitCode()).as(result.output()).isZero();
    Map<String, NavigableMap<Long, Double>> logged = new TreeMap<>();
    for (String line : result.output().lines().toList()) {
      if (line.startsWith("LOGGED ")) {
        JsonNode point = JSON.readTree(line.substring(7));
        long step = point.get("step").asLong();
        for (String metric : List.of("loss", "acc")) {
          logged
              .computeIfAbsent(metric, k -> new TreeMap<>())
              .put(step, point.get(metric).asDouble());
        }
      }
    }
    assertThat(logged.get("loss")).as(result.output()).hasSize(STEPS);
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              assertThat(pipeline.queries.points(runId)).isEqualTo(logged);
              assertThat(run(runId))
                  .hasValueSatisfying(r -> assertThat(r.state()).isEqualTo("FINISHED"));
              // The processor's aggregates count each point it was given: a step delivered twice
              // would count twice.
              Map<String, MetricSummaryRow> summaries = pipeline.queries.summaries(runId);
              for (String metric : List.of("loss", "acc")) {
                assertThat(summaries).as(metric).containsKey(metric);
                assertThat(summaries.get(metric).count()).as(metric).isEqualTo(STEPS);
                double sum = logged.get(metric).values().stream().mapToDouble(d -> d).sum();
                assertThat(summaries.get(metric).sum()).as(metric).isCloseTo(sum, within(1e-6));
              }
            });
  }

  private Optional<RunRecord> run(String runId) {
    return pipeline.queries.runs(PROJECT).stream().filter(r -> r.id().equals(runId)).findFirst();
  }

  /** The steps of {@code runId} ClickHouse holds. */
  private long count(String runId) {
    List<JsonNode> rows =
        pipeline.clickHouse.queryJson(
            "SELECT uniqExact(step) AS n FROM "
                + pipeline.database
                + ".metrics WHERE run_id = '"
                + runId
                + "' AND metric = 'loss'");
    return rows.isEmpty() ? 0 : rows.get(0).get("n").asLong();
  }

  private static boolean alive(Process process, Path output) throws IOException {
    if (!process.isAlive()) {
      throw new AssertionError(
          "the client exited with " + process.exitValue() + ":\n" + Files.readString(output));
    }
    return true;
  }

  private static long size(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      long total = 0;
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        try {
          total += Files.size(f);
        } catch (IOException gone) {
          // a segment deleted while walking: it was delivered
        }
      }
      return total;
    }
  }

  private Map<String, String> clientEnv() {
    // The client's caches and settings stay in the test's directory, not the user's home.
    Map<String, String> env = new HashMap<>();
    env.put("WANDB_BASE_URL", "http://127.0.0.1:" + port);
    env.put("WANDB_API_KEY", KEY);
    env.put("WANDB_CACHE_DIR", work.resolve(".wandb-cache").toString());
    env.put("WANDB_CONFIG_DIR", work.resolve(".wandb-config").toString());
    env.put("WANDB_DATA_DIR", work.resolve(".wandb-data").toString());
    return env;
  }
}
