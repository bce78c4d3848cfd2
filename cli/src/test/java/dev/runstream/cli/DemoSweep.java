package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runstream.cli.demo.DemoRun;
import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.ProcessorConfig;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRecord;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.sink.SinkConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the command tests read: one pipeline per test JVM on the shared stack (registered to close
 * before the stack), and the demo's sweep trained once through {@code runstream demo}, as a user
 * runs it after {@code runstream up}: the tests' {@code RUNSTREAM_HOME} holds the state file that
 * points the commands at the shared stack. The ground truth the tests compare the commands with
 * comes from the sink's query API and the raw points, never from the commands.
 */
final class DemoSweep {
  /** The processor of the tests calls a silent run crashed after this long. */
  static final Duration CRASHED_AFTER = Duration.ofSeconds(10);

  private static Pipeline pipeline;
  private static DemoSweep sweep;

  /** Finds the stack through {@code RUNSTREAM_HOME}, as after {@code runstream up}. */
  final Map<String, String> env;

  /** Names the servers by {@code CLICKHOUSE_URL} and friends, with an empty home. */
  final Map<String, String> serverEnv;

  final LocalStack stack;
  final RunQueries queries;
  final CliRunner.Result demo;
  final String tag;
  final Path home;

  /** The sweep's runs by name, as the sink's query API reads them. */
  final Map<String, RunRecord> runs;

  private DemoSweep(LocalStack stack, Path home, CliRunner.Result demo) {
    this.stack = stack;
    this.home = home;
    this.demo = demo;
    Map<String, String> env = new HashMap<>(System.getenv());
    env.keySet().removeAll(List.of("KAFKA_BOOTSTRAP", "SCHEMA_REGISTRY_URL", "CLICKHOUSE_URL"));
    env.put("RUNSTREAM_HOME", home.toString());
    this.env = Map.copyOf(env);
    Map<String, String> servers = new HashMap<>(env);
    servers.put("RUNSTREAM_HOME", home.resolve("empty").toString());
    servers.put("KAFKA_BOOTSTRAP", stack.kafkaBootstrap());
    servers.put("SCHEMA_REGISTRY_URL", stack.schemaRegistryUrl());
    servers.put("CLICKHOUSE_URL", stack.clickhouseUrl());
    this.serverEnv = Map.copyOf(servers);
    this.queries =
        stack.closeFirst(
            RunQueries.connect(
                stack.clickhouseUrl(),
                SinkConfig.DEFAULT_CLICKHOUSE_USER,
                SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD,
                SinkConfig.DEFAULT_DATABASE));
    Matcher tag = Pattern.compile("tagged (sweep-\\d+)").matcher(demo.out());
    assertThat(tag.find()).as("the demo names its sweep tag: %s", demo).isTrue();
    this.tag = tag.group(1);
    Map<String, RunRecord> byName = new LinkedHashMap<>();
    queries.runs(DemoRun.PROJECT).stream()
        .filter(r -> r.tags().contains(this.tag))
        .forEach(r -> byName.put(r.name(), r));
    this.runs = Map.copyOf(byName);
    assertThat(runs.keySet())
        .containsExactlyInAnyOrderElementsOf(DemoRun.grid().stream().map(DemoRun::name).toList());
  }

  /** The processing side, started once per JVM on the shared stack. */
  static synchronized Pipeline pipeline(LocalStack stack) {
    if (pipeline == null) {
      Path state = tempDir("processor-state");
      ConfigProperties none = ConfigProperties.of(Map.of());
      ProcessorConfig config = Pipeline.processorConfig(stack, none, state);
      pipeline =
          stack.closeFirst(
              Pipeline.start(
                  stack,
                  config.withMonitor(
                      config.monitor().toBuilder()
                          .livenessCheckInterval(Duration.ofSeconds(1))
                          .unresponsiveAfter(CRASHED_AFTER.dividedBy(2))
                          .crashedAfter(CRASHED_AFTER)
                          .build()),
                  Pipeline.sinkConfig(stack, none)));
    }
    return pipeline;
  }

  /** The sweep, trained by the first caller in this JVM. */
  static synchronized DemoSweep get(LocalStack stack) throws IOException {
    if (sweep == null) {
      pipeline(stack);
      Path home = tempDir("home");
      Map<String, String> env = new HashMap<>(System.getenv());
      env.put("RUNSTREAM_HOME", home.toString());
      new StackState(
              ProcessHandle.current().pid(),
              new Endpoints(
                  stack.kafkaBootstrap(), stack.schemaRegistryUrl(), stack.clickhouseUrl()),
              "")
          .write(env);
      CliRunner.Result demo = CliRunner.run(env, "demo");
      assertThat(demo.exit()).as("%s", demo).isZero();
      // Against `runstream up` the demo does not wait for the crash; the tests want every state
      // final, so they wait for the processor to call the crashed run crashed.
      try (RunQueries queries =
          RunQueries.connect(
              stack.clickhouseUrl(),
              SinkConfig.DEFAULT_CLICKHOUSE_USER,
              SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD,
              SinkConfig.DEFAULT_DATABASE)) {
        String crashing =
            DemoRun.grid().stream()
                .filter(r -> r.fate() == DemoRun.Fate.CRASHES)
                .findFirst()
                .orElseThrow()
                .name();
        eventually(
            () ->
                assertThat(queries.runs(DemoRun.PROJECT))
                    .filteredOn(r -> r.name().equals(crashing))
                    .extracting(RunRecord::state)
                    .containsOnly("CRASHED"));
      }
      sweep = new DemoSweep(stack, home, demo);
    }
    return sweep;
  }

  /** The run of the sweep named {@code name}. */
  RunRecord run(String name) {
    RunRecord run = runs.get(name);
    assertThat(run).as("run %s of the sweep", name).isNotNull();
    return run;
  }

  /** The run with the given fate. */
  RunRecord run(DemoRun.Fate fate) {
    return run(
        DemoRun.grid().stream().filter(r -> r.fate() == fate).findFirst().orElseThrow().name());
  }

  /**
   * Every value {@code name} logged of {@code metric}, by step, read from ClickHouse's raw points.
   */
  NavigableMap<Long, Double> points(String name, String metric) {
    return queries.points(run(name).id()).get(metric);
  }

  /** The best (largest, or smallest for a loss) finite value of {@code metric} in a run. */
  double best(String name, String metric) {
    Stream<Double> finite = points(name, metric).values().stream().filter(Double::isFinite);
    return metric.contains("loss")
        ? finite.min(Comparator.naturalOrder()).orElseThrow()
        : finite.max(Comparator.naturalOrder()).orElseThrow();
  }

  /** Runs the CLI with {@link #env}. */
  CliRunner.Result cli(String... args) {
    return CliRunner.run(env, args);
  }

  /** Waits until ClickHouse's runs have caught up with {@code condition}. */
  static void eventually(Runnable assertion) {
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(assertion::run);
  }

  private static Path tempDir(String prefix) {
    try {
      String basedir = System.getProperty("basedir", ".");
      Path parent = Path.of(basedir, "target");
      Files.createDirectories(parent);
      return Files.createTempDirectory(parent, "cli-it-" + prefix + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
