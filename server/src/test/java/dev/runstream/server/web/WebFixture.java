package dev.runstream.server.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.ProcessorConfig;
import dev.runstream.processor.StreamProcessor;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRecord;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.sdk.AlertLevel;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import dev.runstream.sink.ClickHouseSink;
import dev.runstream.sink.SinkConfig;
import io.javalin.Javalin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * What the web tests read, built once per test JVM on the shared stack: the processor and the sink
 * running here, a sweep of {@value #RUNS} runs written with the SDK (quotes and SQL in names, tags
 * and config values), and a Javalin server with {@link WebApp} over the sink's database.
 */
final class WebFixture {
  static final String PROJECT = "vision";
  static final int RUNS = 12;
  static final int STEPS = 200;
  static final double[] LEARNING_RATES = {0.1, 0.01, 0.001};
  static final String SQL_NAME = "x'); DROP TABLE runstream.runs; --";
  static final String SQL_TAG = "o'neil\"; DROP TABLE runs";
  static final String ALERT_TITLE = "loss went up";

  private static WebFixture fixture;

  final LocalStack stack;
  final RunQueries queries;
  final Javalin server;
  final String baseUrl;

  /** Run name to the values it logged: metric to step to value. */
  final Map<String, Map<String, NavigableMap<Long, Double>>> logged = new LinkedHashMap<>();

  /** Run name to its id. */
  final Map<String, String> ids = new LinkedHashMap<>();

  /** Run name to its config as sent. */
  final Map<String, Map<String, Object>> configs = new LinkedHashMap<>();

  private WebFixture(LocalStack stack) {
    this.stack = stack;
    Path dir = tempDir("web-it");
    ConfigProperties none = ConfigProperties.of(Map.of());
    StreamProcessor processor =
        stack.closeFirst(
            StreamProcessor.start(
                ProcessorConfig.forServers(
                    none,
                    stack.kafkaBootstrap(),
                    stack.schemaRegistryUrl(),
                    dir.resolve("processor"))));
    ClickHouseSink sink =
        stack.closeFirst(
            ClickHouseSink.start(
                SinkConfig.forServers(
                    none,
                    stack.kafkaBootstrap(),
                    stack.schemaRegistryUrl(),
                    stack.clickhouseUrl())));
    assertThat(processor).isNotNull();
    assertThat(sink).isNotNull();
    queries =
        stack.closeFirst(
            RunQueries.connect(
                stack.clickhouseUrl(),
                SinkConfig.DEFAULT_CLICKHOUSE_USER,
                SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD,
                SinkConfig.DEFAULT_DATABASE));
    writeRuns(dir.resolve("runs"));
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              List<RunRecord> runs = queries.runs(PROJECT);
              assertThat(runs).hasSize(RUNS);
              assertThat(runs).allSatisfy(r -> assertThat(r.state()).isIn("FINISHED", "FAILED"));
              for (RunRecord r : runs) {
                assertThat(queries.summaries(r.id()).keySet()).contains("loss", "acc");
                assertThat(queries.points(r.id()).get("loss")).hasSize(STEPS);
              }
              assertThat(queries.alerts(PROJECT)).isNotEmpty();
            });
    server = Javalin.create(config -> WebApp.register(config, queries)).start("127.0.0.1", 0);
    stack.closeFirst(server::stop);
    baseUrl = "http://127.0.0.1:" + server.port();
  }

  static synchronized WebFixture get(LocalStack stack) {
    if (fixture == null) {
      fixture = new WebFixture(stack);
    }
    return fixture;
  }

  private void writeRuns(Path dir) {
    List<Run> open = new ArrayList<>();
    for (int i = 0; i < RUNS; i++) {
      double lr = LEARNING_RATES[i % LEARNING_RATES.length];
      String optimizer = i % 2 == 0 ? "adam" : "sgd";
      String name = i == 0 ? SQL_NAME : "run-" + i;
      Map<String, Object> config = new LinkedHashMap<>();
      config.put("lr", lr);
      config.put("optimizer", optimizer);
      config.put("seed", i);
      config.put("comment", "it's \"quoted\"; DELETE FROM runs");
      List<String> tags = new ArrayList<>(List.of("sweep"));
      if (i < 4) {
        tags.add("baseline");
      }
      if (i == 1) {
        tags.add(SQL_TAG);
      }
      Run run =
          Runstream.init(
              RunOptions.builder(PROJECT, Map.of())
                  .directory(dir)
                  .kafkaBootstrap(stack.kafkaBootstrap())
                  .schemaRegistryUrl(stack.schemaRegistryUrl())
                  .name(name)
                  .tags(tags)
                  .config(config)
                  .build());
      Map<String, NavigableMap<Long, Double>> values = new TreeMap<>();
      for (int step = 0; step < STEPS; step++) {
        double loss = 2.0 * Math.exp(-lr * 10 * step / STEPS) + 0.01 * ((step * 7 + i) % 5);
        double acc = 1 - loss / 2.5;
        run.log(Map.of("loss", loss, "acc", acc), step);
        values.computeIfAbsent("loss", k -> new TreeMap<>()).put((long) step, loss);
        values.computeIfAbsent("acc", k -> new TreeMap<>()).put((long) step, acc);
      }
      if (i == 2) {
        run.alert(ALERT_TITLE, "loss rose above 1.5 at step 10", AlertLevel.WARN);
      }
      logged.put(name, values);
      ids.put(name, run.id());
      configs.put(name, config);
      open.add(run);
    }
    for (int i = 0; i < open.size(); i++) {
      open.get(i).finish(i == RUNS - 1 ? 1 : 0);
    }
  }

  private static Path tempDir(String prefix) {
    try {
      Path parent = Path.of(System.getProperty("basedir", "."), "target");
      Files.createDirectories(parent);
      return Files.createTempDirectory(parent, prefix + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
