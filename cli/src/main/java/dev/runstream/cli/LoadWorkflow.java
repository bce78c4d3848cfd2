package dev.runstream.cli;

import dev.runstream.cli.load.Latencies;
import dev.runstream.cli.load.LatencyRecorder;
import dev.runstream.cli.load.LevelResult;
import dev.runstream.cli.load.LoadGenerator;
import dev.runstream.cli.load.RateSearch;
import dev.runstream.cli.load.StageCounts;
import dev.runstream.cli.load.StageRates;
import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.ProcessorConfig;
import dev.runstream.processor.StreamProcessor;
import dev.runstream.query.IngestProgress;
import dev.runstream.query.RunQueries;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import dev.runstream.sink.ClickHouseSink;
import dev.runstream.sink.SinkConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * What {@code runstream load} does: finds the servers (those named by the environment, the stack of
 * {@code runstream up}, or a local stack of its own), runs the processor and sink instances asked
 * for in this JVM, optionally measures the baselines ({@link LoadBaselines}), then logs R runs x M
 * metrics at a target rate, one level or a search of levels ({@link RateSearch}), printing each
 * stage's points per second every second and, per level, the p50/p99 time from {@code log()} to
 * queryable in ClickHouse.
 */
final class LoadWorkflow {
  private static final Duration SAMPLE_EVERY = Duration.ofSeconds(1);
  private static final Duration LATENCY_POLL = Duration.ofMillis(100);
  private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(3);
  private static final Duration SAMPLE_RETRY = Duration.ofMinutes(1);
  private static final int MAX_FAILURES_SHOWN = 5;

  /**
   * What the command line chose.
   *
   * @param runs concurrent runs
   * @param metrics metrics per step
   * @param rate points per second in total (the first level of a search)
   * @param duration how long a single level lasts
   * @param search whether to search for the highest sustainable rate
   * @param hold how long each level of a search lasts
   * @param warmup how long to load at the first rate, unmeasured, before the first level
   * @param maxLevels the most levels a search runs
   * @param instances processor and sink instances
   * @param baseline whether to measure the baselines first
   */
  record Settings(
      int runs,
      int metrics,
      double rate,
      Duration duration,
      boolean search,
      Duration hold,
      Duration warmup,
      int maxLevels,
      int instances,
      boolean baseline) {}

  private final Settings settings;
  private final Map<String, String> env;
  private final PrintWriter out;

  LoadWorkflow(Settings settings, Map<String, String> env, PrintWriter out) {
    this.settings = settings;
    this.env = env;
    this.out = out;
  }

  /** Runs the load; blocks until it is done. */
  void run() throws Exception {
    Optional<StackState> up = StackState.readLive(env);
    ConfigProperties config = ConfigProperties.of(env);
    boolean named =
        config.getString(dev.runstream.schemas.config.Settings.KAFKA_BOOTSTRAP).isPresent()
            && config
                .getString(dev.runstream.schemas.config.Settings.SCHEMA_REGISTRY_URL)
                .isPresent()
            && config.getString(dev.runstream.schemas.config.Settings.CLICKHOUSE_URL).isPresent();
    if (up.isPresent() || named) {
      Servers servers = Servers.locate(env);
      servers.requireKafka();
      servers.requireSchemaRegistry();
      // With `runstream up`, one instance is its own; the others run here.
      int here = up.isPresent() ? settings.instances() - 1 : settings.instances();
      out.printf(
          up.isPresent()
              ? "Using the stack of `runstream up` (pid %d) and its processor and sink"
                  + (here > 0 ? ", plus %d instance(s) here.%n" : ".%n")
              : "Using the servers named by the environment, with %2$d processor and sink"
                  + " instance(s) here.%n",
          up.map(StackState::pid).orElse(-1L),
          here);
      Path work = Files.createTempDirectory(Files.createDirectories(StackState.home(env)), "load-");
      List<AutoCloseable> instances = new ArrayList<>();
      try {
        for (int i = 0; i < here; i++) {
          instances.add(startInstance(servers, work.resolve("processor-state-" + i)));
        }
        load(servers, work.resolve("runs"), null);
      } finally {
        for (AutoCloseable instance : instances) {
          instance.close();
        }
        deleteTree(work); // the runs' journals: as large as the load
      }
      return;
    }
    out.println("Starting the local stack: Kafka, schema registry, ClickHouse...");
    out.flush();
    try (LocalStack stack = LocalStack.start()) {
      out.printf(
          "(up in %.1f s) Starting %d processor and sink instance(s).%n",
          stack.startupTime().toMillis() / 1000.0, settings.instances());
      out.flush();
      try {
        for (int i = 0; i < settings.instances(); i++) {
          // Each instance its own state directory; the same group ids share the partitions.
          stack.closeFirst(
              Pipeline.start(
                  stack,
                  Pipeline.processorConfig(
                      stack, config, stack.dataDir().resolve("processor-state-" + i)),
                  Pipeline.sinkConfig(stack, config)));
        }
      } catch (IllegalArgumentException e) {
        throw new CliException("cannot start the processor and the sink: " + e.getMessage(), e);
      }
      Map<String, String> servers = new HashMap<>(env);
      servers.put("KAFKA_BOOTSTRAP", stack.kafkaBootstrap());
      servers.put("SCHEMA_REGISTRY_URL", stack.schemaRegistryUrl());
      servers.put("CLICKHOUSE_URL", stack.clickhouseUrl());
      load(Servers.locate(servers), stack.dataDir().resolve("runs"), stack);
      out.printf("%nStopping the processor, the sink and the local stack.%n");
      out.flush();
    }
  }

  private static void deleteTree(Path root) throws java.io.IOException {
    try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** One processor and one sink in this JVM against {@code servers}; closing stops both. */
  private AutoCloseable startInstance(Servers servers, Path stateDir) {
    ConfigProperties config = ConfigProperties.of(env);
    try {
      StreamProcessor processor =
          StreamProcessor.start(
              ProcessorConfig.forServers(
                  config, servers.kafkaBootstrap(), servers.schemaRegistryUrl(), stateDir));
      ClickHouseSink sink;
      try {
        sink =
            ClickHouseSink.start(
                SinkConfig.forServers(
                    config,
                    servers.kafkaBootstrap(),
                    servers.schemaRegistryUrl(),
                    servers.clickhouseUrl()));
      } catch (RuntimeException e) {
        processor.close();
        throw e;
      }
      return () -> {
        try {
          sink.close();
        } finally {
          processor.close();
        }
      };
    } catch (IllegalArgumentException e) {
      throw new CliException("cannot start the processor and the sink: " + e.getMessage(), e);
    }
  }

  private void load(Servers servers, Path runsDir, LocalStack ownStack) throws Exception {
    Files.createDirectories(runsDir);
    String project = "load-" + LocalTime.now().format(DateTimeFormatter.ofPattern("HHmmss"));
    String metricsTopic = servers.topics().metrics.name();
    try (RunQueries queries = servers.queries();
        Admin admin = Admin.create(servers.kafkaClients().admin(Map.of()))) {
      Optional<LoadBaselines.Results> baselines = Optional.empty();
      if (settings.baseline()) {
        out.printf("%nBaselines (before the load, one at a time):%n");
        out.flush();
        baselines =
            Optional.of(
                new LoadBaselines(servers, out)
                    .measure(settings.runs(), settings.metrics(), baselineRecords()));
      }
      List<Run> runs = startRuns(servers, runsDir, project, ownStack);
      try {
        List<LevelResult> levels = drive(runs, queries.ingest(), admin, metricsTopic, project);
        report(levels, baselines);
      } finally {
        finish(runs);
      }
    }
  }

  private long baselineRecords() {
    double seconds = (settings.search() ? settings.hold() : settings.duration()).toMillis() / 1e3;
    return Math.max(1_000, Math.round(settings.rate() * seconds / settings.metrics()));
  }

  private List<Run> startRuns(Servers servers, Path runsDir, String project, LocalStack ownStack) {
    List<Run> runs = new ArrayList<>();
    for (int r = 0; r < settings.runs(); r++) {
      Run run =
          Runstream.init(
              RunOptions.builder(project, env)
                  .name(project + "-" + r)
                  .jobType("load")
                  .directory(runsDir)
                  .kafkaBootstrap(servers.kafkaBootstrap())
                  .schemaRegistryUrl(servers.schemaRegistryUrl())
                  .systemMetricsInterval(Duration.ZERO)
                  .gpuTag(false)
                  .build());
      if (ownStack != null) {
        ownStack.closeFirst(run); // on Ctrl-C, finished before Kafka stops
      }
      runs.add(run);
    }
    out.printf(
        "%nLoad: %d runs x %d metrics of project %s.%n",
        settings.runs(), settings.metrics(), project);
    out.flush();
    return runs;
  }

  private List<LevelResult> drive(
      List<Run> runs, IngestProgress ingest, Admin admin, String topic, String project)
      throws InterruptedException {
    double stepsPerRunPerSecond = settings.rate() / ((double) settings.runs() * settings.metrics());
    // About 20 timed steps per run per second: enough for a p99 per level at any rate.
    int sampleEvery = (int) Math.max(1, Math.min(100, Math.round(stepsPerRunPerSecond / 20)));
    LatencyRecorder recorder =
        new LatencyRecorder(runs.stream().map(Run::id).toList(), sampleEvery);
    LoadStages stages =
        new LoadStages(
            admin,
            topic,
            ingest,
            project,
            settings.metrics(),
            () -> runs.stream().mapToLong(r -> r.counters().accepted()).sum());
    stages.begin();
    List<LevelResult> levels = new ArrayList<>();
    try (LoadGenerator generator = new LoadGenerator(runs, settings.metrics(), recorder)) {
      generator.start(Math.max(1, Runtime.getRuntime().availableProcessors()));
      LevelRunner runner =
          new LevelRunner(generator, recorder, stages, ingest, project, generator.probeMetric());
      if (!settings.warmup().isZero()) {
        runner.warmUp(settings.rate(), settings.warmup());
      }
      if (!settings.search()) {
        levels.add(runner.level(1, settings.rate(), settings.duration()));
      } else {
        RateSearch search =
            new RateSearch(
                settings.rate(),
                Math.min(settings.rate(), 1_000),
                RateSearch.DEFAULT_PRECISION,
                settings.maxLevels());
        for (OptionalDouble next = search.next(); next.isPresent(); next = search.next()) {
          LevelResult level = runner.level(levels.size() + 1, next.getAsDouble(), settings.hold());
          levels.add(level);
          search.record(level.targetRate(), level.sustained());
          generator.rate(0);
          runner.drain();
        }
      }
      generator.rate(0);
      StageCounts last = runner.drain();
      out.printf(
          Locale.ROOT,
          "%nTotals: logged %,d points; accepted %,d, in Kafka %,d, counted by the processor %,d,"
              + " written by the sink %,d; %,d latencies measured.%n",
          generator.logged(),
          last.accepted(),
          last.inKafka(),
          last.counted(),
          last.written(),
          runner.measured());
    }
    return levels;
  }

  /** Runs levels and prints a row per second. */
  private final class LevelRunner {
    private final LoadGenerator generator;
    private final LatencyRecorder recorder;
    private final LoadStages stages;
    private final IngestProgress ingest;
    private final String project;
    private final String probe;
    private long measured;
    private int failures;

    LevelRunner(
        LoadGenerator generator,
        LatencyRecorder recorder,
        LoadStages stages,
        IngestProgress ingest,
        String project,
        String probe) {
      this.generator = generator;
      this.recorder = recorder;
      this.stages = stages;
      this.ingest = ingest;
      this.project = project;
      this.probe = probe;
    }

    long measured() {
      return measured;
    }

    LevelResult level(int number, double rate, Duration hold) throws InterruptedException {
      out.printf(
          Locale.ROOT, "%nLevel %d: %,.0f points/s for %d s%n", number, rate, hold.toSeconds());
      out.printf(
          "%6s %11s %11s %11s %11s %11s %10s %7s %7s%n",
          "t (s)",
          "target/s",
          "accepted/s",
          "in Kafka/s",
          "counted/s",
          "written/s",
          "backlog",
          "p50 s",
          "p99 s");
      out.flush();
      recorder.drain(-1); // latencies of earlier levels' stragglers are not this level's
      long t0 = System.nanoTime();
      StageCounts start = sample();
      generator.rate(rate);
      long end = t0 + hold.toNanos();
      StageCounts previous = start;
      long previousAt = t0;
      long nextSample = t0 + SAMPLE_EVERY.toNanos();
      while (true) {
        long now = System.nanoTime();
        if (now >= end) {
          break;
        }
        if (now >= nextSample) {
          long at = System.nanoTime(); // the SDK's counters are read first, at once
          Optional<StageCounts> sampled = trySample();
          if (sampled.isEmpty()) {
            nextSample = System.nanoTime() + SAMPLE_EVERY.toNanos();
            continue;
          }
          StageCounts counts = sampled.get();
          StageRates rates = StageRates.between(previous, counts, at - previousAt);
          Latencies soFar = recorder.snapshot();
          out.printf(
              Locale.ROOT,
              "%6.0f %,11.0f %,11.0f %,11.0f %,11.0f %,11.0f %,10d %7s %7s%n",
              (at - t0) / 1e9,
              rate,
              rates.accepted(),
              rates.inKafka(),
              rates.counted(),
              rates.written(),
              counts.backlog(),
              seconds(soFar.count(), soFar.p50Nanos()),
              seconds(soFar.count(), soFar.p99Nanos()));
          out.flush();
          previous = counts;
          previousAt = at;
          // A sample slower than the interval (a loaded machine) delays the next, never bunches it.
          nextSample = Math.max(nextSample, System.nanoTime()) + SAMPLE_EVERY.toNanos();
          continue;
        }
        pollLatencies();
        sleepUntil(Math.min(nextSample, Math.min(end, System.nanoTime() + LATENCY_POLL.toNanos())));
      }
      long at = System.nanoTime();
      StageCounts last = sample();
      Latencies latencies = recorder.drain(at);
      measured += latencies.count() - recorder.pendingCount();
      LevelResult result =
          LevelResult.judge(
              rate, StageRates.between(start, last, at - t0), latencies, last.backlog());
      out.println(summary(number, result));
      out.flush();
      return result;
    }

    /**
     * Loads at {@code rate} for {@code length} without measuring, then drains: the first level
     * would otherwise pay for JIT compilation in this JVM and the first parts of ClickHouse's
     * tables, which a pipeline that has been running a while does not pay again.
     */
    void warmUp(double rate, Duration length) throws InterruptedException {
      out.printf(
          Locale.ROOT,
          "%nWarm-up: %,.0f points/s for %d s, not measured; then every stage catches up.%n",
          rate,
          length.toSeconds());
      out.flush();
      long t0 = System.nanoTime();
      StageCounts start = sample();
      generator.rate(rate);
      long end = t0 + length.toNanos();
      while (System.nanoTime() < end) {
        pollLatencies();
        sleepUntil(Math.min(end, System.nanoTime() + LATENCY_POLL.toNanos()));
      }
      generator.rate(0);
      long at = System.nanoTime();
      StageCounts last = trySample().orElse(start);
      StageRates rates = StageRates.between(start, last, at - t0);
      long measuredBefore = measured;
      drain();
      measured = measuredBefore; // the warm-up's latencies are not any level's
      recorder.drain(-1);
      out.printf(
          Locale.ROOT,
          "Warm-up done: accepted %,.0f, written %,.0f points/s; caught up after %.1f s.%n",
          rates.accepted(),
          rates.written(),
          (System.nanoTime() - at) / 1e9);
      out.flush();
    }

    /**
     * Waits, logging nothing, until every stage holds what was accepted (at most {@link
     * #DRAIN_TIMEOUT}), measuring the latencies of the last steps meanwhile.
     */
    StageCounts drain() throws InterruptedException {
      long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
      long nextSample = System.nanoTime();
      StageCounts counts = sample();
      while (System.nanoTime() < deadline) {
        pollLatencies();
        if (System.nanoTime() >= nextSample) {
          counts = trySample().orElse(counts);
          if (counts.caughtUp() && recorder.pendingCount() == 0) {
            break;
          }
          nextSample = System.nanoTime() + SAMPLE_EVERY.toNanos();
        }
        sleepUntil(System.nanoTime() + LATENCY_POLL.toNanos());
      }
      measured += recorder.drain(-1).count();
      return counts;
    }

    private void pollLatencies() {
      long lowest = recorder.lowestPendingStep();
      if (lowest < 0) {
        return;
      }
      Map<String, Long> latest;
      try {
        latest = ingest.latestSteps(project, probe, lowest);
      } catch (RuntimeException e) {
        failed("a latency poll", e); // the next poll, 100 ms later, sees the same steps
        return;
      }
      long now = System.nanoTime();
      latest.forEach((run, step) -> recorder.seen(run, step, now));
    }

    /**
     * The stage counts, or empty when a server did not answer in time: on a loaded machine a count
     * may time out while the pipeline goes on, and one missing row of the table is better than a
     * load ended half way.
     */
    private Optional<StageCounts> trySample() {
      try {
        return Optional.of(stages.sample());
      } catch (RuntimeException e) {
        failed("a sample of the stages", e);
        return Optional.empty();
      }
    }

    /** The stage counts, trying again for up to {@link #SAMPLE_RETRY}; then the failure. */
    private StageCounts sample() throws InterruptedException {
      long deadline = System.nanoTime() + SAMPLE_RETRY.toNanos();
      while (true) {
        try {
          return stages.sample();
        } catch (RuntimeException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
          failed("a sample of the stages", e);
          sleepUntil(System.nanoTime() + SAMPLE_EVERY.toNanos());
        }
      }
    }

    private void failed(String what, RuntimeException e) {
      failures++;
      if (failures <= MAX_FAILURES_SHOWN) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
          root = root.getCause();
        }
        out.printf(
            "  (%s failed and was skipped: %s)%s%n",
            what,
            Servers.describe(root),
            failures == MAX_FAILURES_SHOWN ? " (further failures not shown)" : "");
        out.flush();
      }
    }
  }

  private static String seconds(int count, long nanos) {
    return count == 0 ? "-" : String.format(Locale.ROOT, "%.2f", nanos / 1e9);
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long wait = nanos - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait); // the sampler's pacing
    }
  }

  static String summary(int number, LevelResult r) {
    StageRates s = r.rates();
    Latencies l = r.latencies();
    return String.format(
        Locale.ROOT,
        "Level %d: target %,.0f points/s; accepted %,.0f, in Kafka %,.0f, counted %,.0f,"
            + " written %,.0f points/s; log-to-queryable p50 %.2f s, p99 %.2f s (%,d timed steps);"
            + " %s",
        number,
        r.targetRate(),
        s.accepted(),
        s.inKafka(),
        s.counted(),
        s.written(),
        l.p50Nanos() / 1e9,
        l.p99Nanos() / 1e9,
        l.count(),
        r.sustained() ? "sustained" : "not sustained: " + String.join("; ", r.failures()));
  }

  private void report(List<LevelResult> levels, Optional<LoadBaselines.Results> baselines) {
    out.printf("%nSummary:%n");
    for (int i = 0; i < levels.size(); i++) {
      out.println("  " + summary(i + 1, levels.get(i)));
    }
    baselines.ifPresent(
        b -> {
          out.printf(
              Locale.ROOT,
              "Baselines: raw producer %,.0f points/s; ClickHouse Kafka engine %s.%n",
              b.rawProducerPoints(),
              b.enginePoints().isPresent()
                  ? String.format(Locale.ROOT, "%,.0f rows/s", b.enginePoints().getAsDouble())
                  : "not measured (" + b.engineNote() + ")");
          for (int i = 0; i < levels.size(); i++) {
            StageRates s = levels.get(i).rates();
            out.printf(
                Locale.ROOT,
                "  Level %d / raw producer: accepted %.3f, in Kafka %.3f, counted %.3f, written"
                    + " %.3f%s%n",
                i + 1,
                s.accepted() / b.rawProducerPoints(),
                s.inKafka() / b.rawProducerPoints(),
                s.counted() / b.rawProducerPoints(),
                s.written() / b.rawProducerPoints(),
                b.enginePoints().isPresent()
                    ? String.format(
                        Locale.ROOT,
                        "; written / Kafka engine %.3f",
                        s.written() / b.enginePoints().getAsDouble())
                    : "");
          }
        });
    OptionalDouble best =
        levels.stream().filter(LevelResult::sustained).mapToDouble(LevelResult::targetRate).max();
    out.printf(
        Locale.ROOT,
        "Sustainable rate (p99 log-to-queryable under %.0f s, the sink keeping up), %d"
            + " processor/sink instance(s): %s%n",
        LevelResult.MAX_P99_MILLIS / 1000.0,
        settings.instances(),
        best.isPresent()
            ? String.format(Locale.ROOT, "%,.0f points/s", best.getAsDouble())
            : "none of the rates tried");
    out.flush();
  }

  private void finish(List<Run> runs) throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(runs.size(), 16));
    try {
      List<Future<?>> done = new ArrayList<>();
      for (Run run : runs) {
        done.add(pool.submit(() -> run.finish()));
      }
      for (Future<?> f : done) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          out.println("A run did not finish cleanly: " + e.getCause());
        }
      }
    } finally {
      pool.shutdown();
      pool.awaitTermination(1, TimeUnit.MINUTES);
    }
  }
}
