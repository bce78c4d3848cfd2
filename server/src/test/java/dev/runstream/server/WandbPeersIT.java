package dev.runstream.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.ProcessorConfig;
import dev.runstream.processor.StreamProcessor;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRecord;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.server.internal.RunKey;
import dev.runstream.server.internal.RunOwners;
import dev.runstream.sink.ClickHouseSink;
import dev.runstream.sink.SinkConfig;
import dev.runstream.testing.LocalStackExtension;
import dev.runstream.testing.WandbClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers behind a load balancer that sends every request to the other server than the last
 * one: the real {@code wandb} client logs runs (and continues one in a second process) through it,
 * and every value lands in ClickHouse once, each run written by one server alone.
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(600)
class WandbPeersIT {
  private static final String PROJECT = "tinyllm_hoon";
  private static final String KEY =
      "rs-" + "k".repeat(20) + UUID.randomUUID().toString().replace("-", "");
  private static final String TEAM = "vision-lab";
  private static final Duration CLIENT_TIMEOUT = Duration.ofMinutes(3);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private final String database = "peers_" + id;
  private final List<WandbServer> servers = new ArrayList<>();
  private final List<Path> dataDirs = new ArrayList<>();
  private final List<URI> peers = new ArrayList<>();
  private final List<ServerConfig> configs = new ArrayList<>();
  private WandbClient client;
  private StreamProcessor processor;
  private ClickHouseSink sink;
  private RoundRobin balancer;
  private RunQueries queries;
  private Path work;

  @BeforeAll
  void start(LocalStack stack, @TempDir Path dir) throws IOException {
    client = WandbClient.install(Path.of("target"));
    String prefix = "peers" + id + ".runstream.";
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
                "peers-" + id,
                "RUNSTREAM_SINK_GROUP_ID",
                "peers-sink-" + id,
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
    // Each server names the other in its peers, so the ports are chosen before either starts.
    List<Integer> ports = freePorts(2);
    for (int port : ports) {
      peers.add(URI.create("http://127.0.0.1:" + port));
    }
    for (int i = 0; i < 2; i++) {
      Path data = dir.resolve("server-" + i);
      dataDirs.add(data);
      configs.add(
          ServerConfig.builder(stack.kafkaBootstrap(), stack.schemaRegistryUrl())
              .host("127.0.0.1")
              .port(ports.get(i))
              .dataDir(data)
              .topicPrefix(prefix)
              .apiKey(KEY, TEAM)
              .peers(peers.get(i), peers)
              .build());
      servers.add(WandbServer.start(configs.get(i)));
    }
    balancer = new RoundRobin(peers);
    queries =
        RunQueries.connect(
            stack.clickhouseUrl(),
            SinkConfig.DEFAULT_CLICKHOUSE_USER,
            SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD,
            database);
    work = Files.createDirectories(dir.resolve("work"));
    for (String script : new String[] {"train.py", "resume.py"}) {
      try (InputStream in = getClass().getResourceAsStream("/wandb/" + script)) {
        Files.copy(in, work.resolve(script));
      }
    }
  }

  @AfterAll
  void stop() {
    // Clients before the servers they talk to.
    List<AutoCloseable> all = new ArrayList<>(List.of(queries, balancer));
    all.addAll(servers);
    all.add(sink);
    all.add(processor);
    for (AutoCloseable c : all) {
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
  void shouldStoreEveryValueOnceWhenEachRequestReachesTheOtherServer() throws Exception {
    RunOwners owners = new RunOwners(peers);
    // Run ids chosen so that each server owns two scripts' runs and the resumed one is the
    // second's: both write, and a run's requests reach its owner and the other server alike.
    List<String> ids = new ArrayList<>();
    for (URI owner : List.of(peers.get(0), peers.get(1), peers.get(0), peers.get(1))) {
      ids.add(runIdOwnedBy(owners, owner, ids.size()));
    }
    String resumed = runIdOwnedBy(owners, peers.get(1), 99);

    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<Future<Logged>> running = new ArrayList<>();
    try {
      for (int i = 0; i < ids.size(); i++) {
        String name = "peer" + i;
        String runId = ids.get(i);
        running.add(pool.submit(() -> train(name, runId)));
      }
      Future<List<WandbClient.Result>> resumes =
          pool.submit(
              () -> {
                Path dir = Files.createDirectories(work.resolve("resumed"));
                List<WandbClient.Result> results = new ArrayList<>();
                results.add(resume(dir, resumed, "allow", "10"));
                results.add(resume(dir, resumed, "must", "20"));
                return results;
              });
      List<Logged> runs = new ArrayList<>();
      for (Future<Logged> f : running) {
        runs.add(f.get());
      }
      for (WandbClient.Result r : resumes.get()) {
        assertThat(r.exitCode()).as(r.output()).isZero();
      }
      for (Logged run : runs) {
        assertThat(run.result.exitCode()).as(run.result.output()).isZero();
        assertThat(run.points.get("acc")).as(run.name).hasSize(8);
      }
      // The balancer did alternate, and each server took requests.
      assertThat(balancer.forwarded).allSatisfy(n -> assertThat(n.get()).isGreaterThan(20));

      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                Map<String, RunRecord> stored = new TreeMap<>();
                queries.runs(PROJECT).forEach(r -> stored.put(r.id(), r));
                for (Logged run : runs) {
                  assertThat(queries.points(run.id)).as(run.name).isEqualTo(run.points);
                  // Counted once: a second writer would number the points anew.
                  assertThat(queries.summaries(run.id))
                      .as(run.name)
                      .hasEntrySatisfying("acc", s -> assertThat(s.count()).isEqualTo(8));
                  assertThat(queries.summaries(run.id))
                      .as(run.name)
                      .hasEntrySatisfying("loss", s -> assertThat(s.count()).isEqualTo(8));
                  RunRecord record = stored.get(run.id);
                  assertThat(record).as(run.name).isNotNull();
                  assertThat(record.state()).as(run.name).isEqualTo("FINISHED");
                  assertThat(record.name()).isEqualTo(run.name);
                  assertThat(record.tags()).containsExactly("NVIDIA-H100", "TinyLLM", "CIFAR-100");
                }
                assertThat(queries.points(resumed).get("loss"))
                    .containsExactly(
                        Map.entry(0L, 10.0),
                        Map.entry(1L, 11.0),
                        Map.entry(2L, 20.0),
                        Map.entry(3L, 21.0));
                assertThat(queries.summaries(resumed))
                    .hasEntrySatisfying("loss", s -> assertThat(s.count()).isEqualTo(4));
                assertThat(stored.get(resumed)).isNotNull();
                assertThat(stored.get(resumed).state()).isEqualTo("FINISHED");
              });

      // Each run's journal and files are on its owner alone; both servers owned runs.
      Set<URI> writers = new HashSet<>();
      List<String> all = new ArrayList<>(ids);
      all.add(resumed);
      for (String runId : all) {
        URI owner = owners.owner(new RunKey(TEAM, PROJECT, runId));
        writers.add(owner);
        for (int i = 0; i < 2; i++) {
          Path journal = dataDirs.get(i).resolve("runs").resolve(TEAM).resolve(PROJECT);
          Path files = dataDirs.get(i).resolve("files").resolve(TEAM).resolve(PROJECT);
          boolean owns = peers.get(i).equals(owner);
          assertThat(Files.isDirectory(journal.resolve("run-" + runId)))
              .as("journal of %s on %s", runId, peers.get(i))
              .isEqualTo(owns);
          assertThat(Files.exists(files.resolve(runId).resolve("config.yaml")))
              .as("config.yaml of %s on %s", runId, peers.get(i))
              .isEqualTo(owns);
        }
      }
      assertThat(writers).containsExactlyInAnyOrderElementsOf(peers);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldHoldARunWhoseOwnerIsDownUntilItIsBackAndStoreItOnce() throws Exception {
    RunOwners owners = new RunOwners(peers);
    String runId = runIdOwnedBy(owners, peers.get(1), 500);
    long refusedBefore = balancer.unavailable.get();
    servers.get(1).close();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Logged> running = pool.submit(() -> train("owner-down", runId));
      // The other server answers the client's requests with 503 naming the owner; the client
      // keeps trying.
      await()
          .atMost(Duration.ofMinutes(1))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> balancer.unavailable.get() > refusedBefore);
      assertThat(balancer.lastUnavailable.get()).contains(peers.get(1).toString());
      servers.set(1, WandbServer.start(configs.get(1)));
      Logged run = running.get();
      assertThat(run.result.exitCode()).as(run.result.output()).isZero();
      assertThat(run.points.get("loss")).hasSize(8);
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                assertThat(queries.points(runId)).isEqualTo(run.points);
                assertThat(queries.summaries(runId))
                    .hasEntrySatisfying("loss", s -> assertThat(s.count()).isEqualTo(8));
                assertThat(queries.runs(PROJECT))
                    .filteredOn(r -> r.id().equals(runId))
                    .singleElement()
                    .satisfies(r -> assertThat(r.state()).isEqualTo("FINISHED"));
              });
      Path journal = Path.of(TEAM, PROJECT, "run-" + runId);
      assertThat(dataDirs.get(1).resolve("runs").resolve(journal)).isDirectory();
      assertThat(dataDirs.get(0).resolve("runs").resolve(journal)).doesNotExist();
    } finally {
      pool.shutdownNow();
    }
  }

  private static String runIdOwnedBy(RunOwners owners, URI owner, int salt) {
    for (int i = 0; ; i++) {
      String runId = "p" + salt + "x" + i;
      if (owners.owner(new RunKey(TEAM, PROJECT, runId)).equals(owner)) {
        return runId;
      }
    }
  }

  private Map<String, String> env() {
    // The client's caches and settings stay in the test's directory, not the user's home.
    return Map.of(
        "WANDB_BASE_URL", balancer.url(),
        "WANDB_API_KEY", KEY,
        "WANDB_CACHE_DIR", work.resolve(".wandb-cache").toString(),
        "WANDB_CONFIG_DIR", work.resolve(".wandb-config").toString(),
        "WANDB_DATA_DIR", work.resolve(".wandb-data").toString());
  }

  private WandbClient.Result resume(Path dir, String runId, String mode, String base) {
    return client.runScript(
        work.resolve("resume.py"), dir, env(), CLIENT_TIMEOUT, runId, mode, "2", base);
  }

  private Logged train(String name, String runId) throws IOException {
    Path runDir = Files.createDirectories(work.resolve("run-" + name));
    Map<String, String> env = new HashMap<>(env());
    env.put("WANDB_RUN_ID", runId);
    WandbClient.Result result =
        client.runScript(
            work.resolve("train.py"),
            runDir,
            env,
            CLIENT_TIMEOUT,
            name,
            "[\"NVIDIA-H100\", \"TinyLLM\", \"CIFAR-100\"]");
    Logged logged = new Logged(name, result);
    for (String line : result.output().lines().toList()) {
      if (line.startsWith("RUN ")) {
        logged.id = JSON.readTree(line.substring(4)).get("id").asText();
      } else if (line.startsWith("LOGGED ")) {
        JsonNode point = JSON.readTree(line.substring(7));
        long step = point.get("step").asLong();
        for (String metric : new String[] {"acc", "loss"}) {
          logged
              .points
              .computeIfAbsent(metric, k -> new TreeMap<>())
              .put(step, point.get(metric).asDouble());
        }
      }
    }
    assertThat(logged.id).as(result.output()).isEqualTo(runId);
    return logged;
  }

  private static List<Integer> freePorts(int n) throws IOException {
    List<ServerSocket> open = new ArrayList<>();
    try {
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0);
        open.add(s);
        ports.add(s.getLocalPort());
      }
      return ports;
    } finally {
      for (ServerSocket s : open) {
        s.close();
      }
    }
  }

  /** One run of the script: what it printed it logged. */
  private static final class Logged {
    final String name;
    final WandbClient.Result result;
    final Map<String, NavigableMap<Long, Double>> points = new TreeMap<>();
    String id;

    Logged(String name, WandbClient.Result result) {
      this.name = name;
      this.result = result;
    }
  }

  /**
   * A load balancer at its most unhelpful: each request goes to the server after the one the last
   * request went to. It sets {@code X-Forwarded-Host}, as load balancers do, so that the upload
   * URLs the servers hand out lead back through it.
   */
  private static final class RoundRobin implements AutoCloseable {
    private static final Set<String> NOT_PASSED =
        Set.of("connection", "content-length", "expect", "host", "upgrade", "transfer-encoding");
    final List<AtomicLong> forwarded = new ArrayList<>();
    final AtomicLong unavailable = new AtomicLong();
    final AtomicReference<String> lastUnavailable = new AtomicReference<>("");
    private final List<URI> backends;
    private final AtomicLong next = new AtomicLong();
    private final HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(16);

    RoundRobin(List<URI> backends) throws IOException {
      this.backends = List.copyOf(backends);
      backends.forEach(b -> forwarded.add(new AtomicLong()));
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
      server.createContext("/", this::pass);
      server.setExecutor(threads);
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void pass(HttpExchange exchange) throws IOException {
      try (exchange) {
        int i = (int) (next.getAndIncrement() % backends.size());
        forwarded.get(i).incrementAndGet();
        byte[] body = exchange.getRequestBody().readAllBytes();
        HttpRequest.Builder request =
            HttpRequest.newBuilder(
                    URI.create(backends.get(i) + exchange.getRequestURI().toString()))
                .timeout(Duration.ofMinutes(2))
                .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
        exchange
            .getRequestHeaders()
            .forEach(
                (name, values) -> {
                  if (!NOT_PASSED.contains(name.toLowerCase(Locale.ROOT))) {
                    values.forEach(v -> request.header(name, v));
                  }
                });
        request.header("X-Forwarded-Host", exchange.getRequestHeaders().getFirst("Host"));
        request.header("X-Forwarded-Proto", "http");
        HttpResponse<byte[]> response;
        try {
          response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          exchange.sendResponseHeaders(502, -1);
          return;
        } catch (IOException e) {
          exchange.sendResponseHeaders(502, -1);
          return;
        }
        response
            .headers()
            .map()
            .forEach(
                (name, values) -> {
                  if (!NOT_PASSED.contains(name.toLowerCase(Locale.ROOT))
                      && !name.startsWith(":")) {
                    values.forEach(v -> exchange.getResponseHeaders().add(name, v));
                  }
                });
        byte[] out = response.body();
        if (response.statusCode() == 503) {
          lastUnavailable.set(new String(out, StandardCharsets.UTF_8));
          unavailable.incrementAndGet();
        }
        exchange.sendResponseHeaders(response.statusCode(), out.length == 0 ? -1 : out.length);
        if (out.length > 0) {
          try (OutputStream o = exchange.getResponseBody()) {
            o.write(out);
          }
        }
      }
    }

    @Override
    public void close() {
      server.stop(0);
      threads.shutdownNow();
    }
  }
}
