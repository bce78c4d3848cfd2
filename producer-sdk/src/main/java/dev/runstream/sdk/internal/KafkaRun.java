package dev.runstream.sdk.internal;

import dev.runstream.schemas.HttpSchemaRegistryClient;
import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.Heartbeat;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunResumed;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.schemas.avro.Severity;
import dev.runstream.sdk.AlertLevel;
import dev.runstream.sdk.MetricDefinition;
import dev.runstream.sdk.Mode;
import dev.runstream.sdk.Resume;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunConfig;
import dev.runstream.sdk.RunCounters;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.RunSummary;
import dev.runstream.sdk.internal.RecordPipeline.Pending;
import dev.runstream.sdk.internal.ResumePlan.Previous;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiPredicate;
import java.util.function.Supplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run in {@link Mode#ONLINE} or {@link Mode#OFFLINE}. The training thread only validates, builds
 * a record and offers it to the {@link RecordPipeline}, which journals it in the run directory and
 * delivers it to Kafka from its own thread. Its parts: {@link ResumePlan} decides at start whether
 * and where the run continues, {@link Steps} counts steps and holds what {@code commit=false}
 * gathered, {@link RunAttributes} keeps config, summary, tags, notes and metric definitions (the
 * same class serves {@link DisabledRun}).
 */
public final class KafkaRun implements Run {
  private static final Logger log = LoggerFactory.getLogger(KafkaRun.class);
  private static final int MAX_WARNED_KEYS = 1_000;
  private static final Set<KafkaRun> LIVE = ConcurrentHashMap.newKeySet();
  private static final AtomicBoolean HANDLER_INSTALLED = new AtomicBoolean();
  private static final AtomicBoolean HOOK_INSTALLED = new AtomicBoolean();

  private final RunOptions options;
  private final String id;
  private final String name;
  private final Topics topics;
  private final RunDirectory directory;
  private final RecordPipeline pipeline;
  private final boolean resumed;
  private final long firstStep;
  private final Map<String, String> environment;
  private final Senders senders;
  private final List<ScheduledFuture<?>> timers = new ArrayList<>();
  private final Thread owner = Thread.currentThread();
  private final Steps steps;
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile boolean ownerFailed;
  private final LongAdder accepted = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder sent = new LongAdder();
  private final LongAdder replayed = new LongAdder();
  private final Set<String> warned = ConcurrentHashMap.newKeySet();
  private final RunAttributes attributes;
  // Made once: log(map, false) passes it on every call.
  private final BiPredicate<String, Object> validPoint = this::valid;

  /** How long the resume lookup waits for one schema from the registry. */
  private static final Duration LOOKUP_REGISTRY_TIMEOUT = Duration.ofSeconds(2);

  // One registry client per URL for the resume lookup, with a timeout that suits its budget (the
  // shared clients wait 10 s); clients cache schemas, so later inits rarely ask the registry.
  private static final Map<String, SchemaRegistry> LOOKUP_REGISTRIES = new ConcurrentHashMap<>();

  KafkaRun(
      RunOptions options,
      String id,
      RunDirectory directory,
      Previous previous,
      AlreadyInKafka inKafka,
      ProducerHandle producers,
      SendBudget budget,
      SchemaRegistry registry,
      Senders senders) {
    this.senders = senders;
    this.options = options;
    this.id = id;
    this.name =
        options.name() != null
            ? options.name()
            : previous.name() != null ? previous.name() : RunNames.newDisplayName();
    this.topics = Topics.withPrefix(options.topicPrefix());
    this.directory = directory;
    this.resumed = previous.resumed();
    this.firstStep = previous.nextStep();
    this.steps = new Steps(previous.nextStep());
    this.environment = EnvironmentInfo.cached();
    List<String> tags = new ArrayList<>(options.tags());
    if (options.gpuTag() && environment.containsKey("gpu_tag")) {
      tags.add(environment.get("gpu_tag"));
    }
    this.attributes = new RunAttributes(id, options.config(), tags, this::offerEvent);
    Delivery delivery =
        producers == null
            ? null
            : new Delivery(
                producers,
                budget,
                registry,
                topics,
                id,
                previous.ackedThrough(),
                sent,
                replayed,
                Delivery.DEFAULT_FIRST_ACK_WAIT);
    try {
      this.pipeline =
          new RecordPipeline(
              id,
              directory,
              previous.nextSequence(),
              previous.ackedThrough(),
              inKafka,
              delivery,
              senders,
              options.fsyncInterval());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the journal in " + directory.path(), e);
    }
  }

  /**
   * Starts a run as {@code options} say: checks the resume policy against the run directory and,
   * online with a given run id, against what Kafka holds of the run; makes the directory, announces
   * the run and starts its threads. Blocks for at most {@link RunOptions#resumeLookupTimeout()}
   * (plus a second) on Kafka.
   *
   * @throws IllegalStateException when the resume policy forbids this start, or the directory is
   *     used by another process
   * @throws UncheckedIOException when the run directory cannot be made
   */
  public static KafkaRun start(RunOptions options) {
    SharedProducers producers = null;
    SchemaRegistry registry = null;
    RunLookup lookup = null;
    if (options.mode() == Mode.ONLINE) {
      producers =
          SharedProducers.of(
              Delivery.producerConfig(options.kafkaBootstrap(), options.kafkaProperties()));
      registry = SerdeConfig.registry(options.schemaRegistryUrl());
      Duration budget = options.resumeLookupTimeout();
      if (!budget.isZero()) {
        SchemaRegistry lookupRegistry =
            LOOKUP_REGISTRIES.computeIfAbsent(
                options.schemaRegistryUrl(),
                url -> new HttpSchemaRegistryClient(url, LOOKUP_REGISTRY_TIMEOUT));
        lookup =
            new KafkaRunLookup(
                options.kafkaBootstrap(),
                options.kafkaProperties(),
                Topics.withPrefix(options.topicPrefix()),
                lookupRegistry,
                budget);
      }
    }
    return start(
        options,
        producers,
        producers == null ? null : producers.budget(),
        registry,
        lookup,
        Senders.shared());
  }

  /**
   * {@link #start(RunOptions)} with a producer of its own from {@code producers} (closed at finish)
   * and the run directory as the only record of earlier processes.
   */
  static KafkaRun start(
      RunOptions options, Supplier<Producer<String, byte[]>> producers, SchemaRegistry registry) {
    return start(options, producers, registry, null);
  }

  static KafkaRun start(
      RunOptions options,
      Supplier<Producer<String, byte[]>> producers,
      SchemaRegistry registry,
      RunLookup lookup) {
    return start(
        options,
        producers == null ? null : ProducerHandle.owned(producers),
        null,
        registry,
        lookup,
        Senders.shared());
  }

  /**
   * @param lookup asks Kafka about the run, or null when only the run directory counts (offline, or
   *     the lookup turned off)
   */
  static KafkaRun start(
      RunOptions options,
      ProducerHandle producers,
      SendBudget budget,
      SchemaRegistry registry,
      RunLookup lookup,
      Senders senders) {
    String id = options.runId() != null ? options.runId() : RunNames.newRunId();
    Path path = RunDirectory.pathOf(options.directory(), id);
    boolean exists = RunDirectory.exists(path);
    Resume resume = options.resume();
    if (exists && resume == Resume.NEVER) {
      throw new IllegalStateException(
          "run "
              + id
              + " already exists in "
              + path
              + "; resume it with Resume.ALLOW or choose another run id");
    }
    RunHistory kafka = null;
    // A generated id is new by construction: only an id the program chose can name an old run.
    // Offline, nothing is asked of Kafka.
    if (lookup != null && options.runId() != null && options.mode() == Mode.ONLINE) {
      kafka =
          lookup.find(
              id,
              resume == Resume.NEVER ? BackwardScan.Goal.EXISTS : BackwardScan.Goal.RESUME,
              resume != Resume.NEVER && options.name() == null && !exists);
    }
    ResumePlan plan = new ResumePlan(options, id, path);
    plan.check(exists, kafka);
    RunDirectory directory = RunDirectory.open(path);
    if (!directory.tryLock()) {
      throw new IllegalStateException(
          "run directory " + path + " is in use by another process or run");
    }
    try {
      Previous local = exists ? ResumePlan.scan(directory) : Previous.NONE;
      Previous previous = resume == Resume.NEVER ? local : ResumePlan.merge(local, exists, kafka);
      // The journal's records after its acknowledgement mark are replayed, except those Kafka
      // already holds: a killed process rarely recorded its last acknowledgements.
      AlreadyInKafka inKafka =
          exists && resume != Resume.NEVER
              ? AlreadyInKafka.of(kafka, directory.readReordered())
              : AlreadyInKafka.NOTHING;
      if (inKafka.any()) {
        log.info(
            "run {}: its journal's records after sequence {} that Kafka holds are not sent again"
                + " ({})",
            id,
            previous.ackedThrough(),
            inKafka);
      }
      KafkaRun run =
          new KafkaRun(
              options, id, directory, previous, inKafka, producers, budget, registry, senders);
      if (!exists) {
        directory.writeMetadata(run.metadata());
      }
      if (kafka != null && resume != Resume.NEVER) {
        plan.explain(kafka, exists, run.name, run.firstStep, run.pipeline.nextSequence());
      }
      run.begin();
      return run;
    } catch (RuntimeException e) {
      directory.unlock();
      throw e;
    }
  }

  private Map<String, Object> metadata() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", 1);
    m.put("runId", id);
    m.put("name", name);
    m.put("entity", options.entity());
    m.put("project", options.project());
    m.put("topicPrefix", options.topicPrefix());
    m.put("mode", options.mode().name().toLowerCase(Locale.ROOT));
    m.put("createdMs", System.currentTimeMillis());
    return m;
  }

  void begin() {
    pipeline.start();
    if (resumed) {
      offerEvent(new RunResumed(firstStep));
    } else {
      RunStarted started =
          RunStarted.newBuilder()
              .setName(name)
              .setNotes(options.notes())
              .setTags(new ArrayList<>(attributes.tags()))
              .setConfigJson(attributes.configJson())
              .setGroup(options.group())
              .setJobType(options.jobType())
              .setEnvironment(environment)
              .build();
      offerEvent(started);
    }
    long period = options.heartbeatInterval().toMillis();
    ScheduledExecutorService timer = senders.timer();
    timers.add(
        timer.scheduleAtFixedRate(
            () -> offerEvent(new Heartbeat(steps.last())), period, period, TimeUnit.MILLISECONDS));
    if (!options.systemMetricsInterval().isZero()) {
      long every = options.systemMetricsInterval().toMillis();
      // A random first delay, so that many jobs started together do not sample in lockstep.
      long first = ThreadLocalRandom.current().nextLong(Math.max(1, every / 2)) + every / 2;
      // GPUs are sampled only when nvidia-smi listed some at init: a machine whose nvidia-smi
      // has no driver or no device logs neither GPU metrics nor errors.
      SharedSampler system =
          SharedSampler.of(
              options.directory(), environment.containsKey("gpu_count"), Duration.ofMillis(every));
      timers.add(
          timer.scheduleAtFixedRate(
              () -> sampleSystem(system), first, every, TimeUnit.MILLISECONDS));
    }
    installUncaughtHandler();
    LIVE.add(this);
    installShutdownHook();
    log.info(
        "run {} ({}) {} in project {}; run directory {}",
        id,
        name,
        resumed ? "resumed at step " + firstStep : "started",
        options.project(),
        directory.path());
  }

  private void sampleSystem(SharedSampler system) {
    try {
      Map<String, Double> sample = system.sample();
      if (sample.isEmpty()) {
        return;
      }
      long now = System.currentTimeMillis();
      // The sample time is the step of system metrics: one point per metric and sample, so two
      // samples never replace each other downstream.
      MetricPoints points =
          new MetricPoints(
              id,
              options.entity(),
              options.project(),
              now,
              now,
              sample.keySet().toArray(new String[0]),
              sample.values().stream().mapToDouble(Double::doubleValue).toArray());
      // System metrics are not the program's points: not counted in accepted or sent.
      pipeline.offer(Pending.of(RecordKind.SYSTEM, points, 0));
    } catch (RuntimeException e) {
      log.debug("system metrics sample of run {} failed: {}", id, e.toString());
    }
  }

  // One hook for every run of the process: it finishes the runs the program forgot, one after the
  // other (their records are sent meanwhile by the shared senders, so the later ones wait little).
  private static void installShutdownHook() {
    if (!HOOK_INSTALLED.compareAndSet(false, true)) {
      return;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // One deadline for all: the longest finish timeout of the runs, not their sum.
                  List<KafkaRun> runs = List.copyOf(LIVE);
                  long longest = 0;
                  for (KafkaRun run : runs) {
                    longest = Math.max(longest, run.options.finishTimeout().toNanos());
                  }
                  long deadline = System.nanoTime() + longest;
                  for (KafkaRun run : runs) {
                    run.finishOnExit(deadline);
                  }
                },
                "runstream-finish"));
  }

  private static void installUncaughtHandler() {
    if (!HANDLER_INSTALLED.compareAndSet(false, true)) {
      return;
    }
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler(
        (thread, error) -> {
          // A run's training thread died: the run failed, whatever the shutdown hook sees later.
          for (KafkaRun run : LIVE) {
            if (run.owner == thread) {
              run.ownerFailed = true;
            }
          }
          if (previous != null) {
            previous.uncaughtException(thread, error);
          } else {
            System.err.print("Exception in thread \"" + thread.getName() + "\" ");
            error.printStackTrace();
          }
        });
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String project() {
    return options.project();
  }

  @Override
  public String entity() {
    return options.entity();
  }

  @Override
  public Mode mode() {
    return options.mode();
  }

  @Override
  public Optional<Path> directory() {
    return Optional.of(directory.path());
  }

  @Override
  public long step() {
    return steps.next();
  }

  @Override
  public boolean resumed() {
    return resumed;
  }

  @Override
  public Map<String, String> environment() {
    return environment;
  }

  @Override
  public Optional<String> gpuTag() {
    return Optional.ofNullable(environment.get("gpu_tag"));
  }

  @Override
  public void log(Map<String, ?> metrics) {
    logAt(metrics, -1);
  }

  @Override
  public void log(Map<String, ?> metrics, long step) {
    if (step < 0) {
      reject("step " + step + " is negative", "step:" + step, size(metrics));
      return;
    }
    logAt(metrics, step);
  }

  @Override
  public void log(Map<String, ?> metrics, long step, Instant time) {
    if (step < 0) {
      reject("step " + step + " is negative", "step:" + step, size(metrics));
      return;
    }
    if (time == null) {
      reject("time is null", "<null time>", size(metrics));
      return;
    }
    logAt(metrics, step, time.toEpochMilli());
  }

  @Override
  public void logSystem(Map<String, ? extends Number> metrics, Instant time) {
    try {
      if (finished.get()) {
        reject("run " + id + " is finished", "finished", size(metrics));
        return;
      }
      if (metrics == null || time == null) {
        reject(metrics == null ? "system metrics are null" : "time is null", "<system>", 1);
        return;
      }
      List<String> names = new ArrayList<>(metrics.size());
      List<Double> values = new ArrayList<>(metrics.size());
      for (Map.Entry<String, ? extends Number> e : metrics.entrySet()) {
        if (valid(e.getKey(), e.getValue())) {
          names.add(e.getKey());
          values.add(e.getValue().doubleValue());
        }
      }
      if (names.isEmpty()) {
        return;
      }
      long ms = time.toEpochMilli();
      // As the run's own sampler: the sample time is the step, one point per metric and sample.
      MetricPoints points =
          new MetricPoints(
              id,
              options.entity(),
              options.project(),
              ms,
              ms,
              names.toArray(new String[0]),
              values.stream().mapToDouble(Double::doubleValue).toArray());
      pipeline.offer(Pending.of(RecordKind.SYSTEM, points, 0));
    } catch (RuntimeException e) {
      reject("unexpected error: " + e, "error", size(metrics));
    }
  }

  @Override
  public void log(Map<String, ?> metrics, boolean commit) {
    if (commit) {
      logAt(metrics, -1);
      return;
    }
    try {
      if (finished.get()) {
        reject("run " + id + " is finished", "finished", size(metrics));
        return;
      }
      if (metrics == null) {
        reject("metrics are null", "<null map>", 1);
        return;
      }
      steps.gather(metrics, validPoint);
    } catch (RuntimeException e) {
      reject("unexpected error: " + e, "error", size(metrics));
    }
  }

  @Override
  public void log(String name, double value) {
    try {
      if (finished.get()) {
        reject("run " + id + " is finished", "finished", 1);
        return;
      }
      if (steps.hasUncommitted()) {
        logAt(Map.of(name, value), -1);
        return;
      }
      String problem = MetricNames.problem(name);
      if (problem != null) {
        reject(problem, name, 1);
        return;
      }
      long step = steps.advance();
      offerBatch(step, new String[] {name}, new double[] {value});
    } catch (RuntimeException e) {
      reject("unexpected error: " + e, "error", 1);
    }
  }

  private void logAt(Map<String, ?> metrics, long explicitStep) {
    logAt(metrics, explicitStep, -1);
  }

  /** {@code timeMs} is the points' time, or -1 for now. */
  private void logAt(Map<String, ?> metrics, long explicitStep, long timeMs) {
    try {
      if (finished.get()) {
        reject("run " + id + " is finished", "finished", size(metrics));
        return;
      }
      if (metrics == null) {
        reject("metrics are null", "<null map>", 1);
        return;
      }
      int n = metrics.size();
      String[] names = new String[n];
      double[] values = new double[n];
      int count = 0;
      for (Map.Entry<String, ?> e : metrics.entrySet()) {
        String key = e.getKey();
        Object value = e.getValue();
        if (valid(key, value)) {
          if (count == names.length) {
            // A map that grew while we read it (another thread writes it): keep every point.
            names = Arrays.copyOf(names, count * 2 + 1);
            values = Arrays.copyOf(values, count * 2 + 1);
          }
          names[count] = key;
          values[count] = ((Number) value).doubleValue();
          count++;
        }
      }
      if (count < names.length) {
        names = Arrays.copyOf(names, count);
        values = Arrays.copyOf(values, count);
      }
      long step;
      if (explicitStep >= 0) {
        if (steps.hasUncommitted()) {
          // As W&B does: what commit=false gathered belongs to the current step and is committed
          // there before the step moves on.
          commitUncommitted();
        }
        step = explicitStep;
        steps.reach(explicitStep);
      } else if (steps.hasUncommitted()) {
        Steps.Batch merged = steps.commitWith(names, values);
        names = merged.names();
        values = merged.values();
        step = merged.step();
      } else {
        step = steps.advance();
      }
      if (names.length > 0) {
        offerBatch(step, names, values, timeMs);
      }
    } catch (RuntimeException e) {
      // The training loop must never see our failures.
      reject("unexpected error: " + e, "error", size(metrics));
    }
  }

  private void commitUncommitted() {
    Steps.Batch batch = steps.commit();
    if (batch != null) {
      offerBatch(batch.step(), batch.names(), batch.values());
    }
  }

  private void offerBatch(long step, String[] names, double[] values) {
    offerBatch(step, names, values, -1);
  }

  private void offerBatch(long step, String[] names, double[] values, long timeMs) {
    long time = timeMs >= 0 ? timeMs : System.currentTimeMillis();
    MetricPoints points =
        new MetricPoints(id, options.entity(), options.project(), step, time, names, values);
    accepted.add(names.length);
    pipeline.offer(Pending.of(RecordKind.METRICS, points, names.length));
  }

  /**
   * Whether the point is valid: a valid name and a {@link Number} value (counted and warned about
   * when not).
   */
  private boolean valid(String key, Object value) {
    String problem = MetricNames.problem(key);
    if (problem != null) {
      reject(problem, key, 1);
      return false;
    }
    if (value instanceof Number) {
      return true;
    }
    reject(
        value == null
            ? "metric '" + key + "' has no value"
            : "metric '" + key + "' has a non-numeric value of type " + value.getClass().getName(),
        key,
        1);
    return false;
  }

  private static int size(Map<String, ?> metrics) {
    try {
      return metrics == null || metrics.isEmpty() ? 1 : metrics.size();
    } catch (RuntimeException e) {
      return 1; // a broken map: count the call, never throw from the rejection itself
    }
  }

  private void reject(String reason, String name, int points) {
    rejected.add(points);
    String key = name == null ? "<null name>" : name;
    // One warning per key: a bad name inside a training loop must not flood the log.
    if (warned.size() < MAX_WARNED_KEYS && warned.add(key)) {
      log.warn(
          "runstream rejected {} point(s) of run {}: {} (further rejections of '{}' are counted,"
              + " not logged)",
          points,
          id,
          reason,
          key);
    }
  }

  private void offerEvent(SpecificRecord payload) {
    RunEvent event =
        new RunEvent(
            id, options.entity(), options.project(), System.currentTimeMillis(), 0L, payload);
    pipeline.offer(Pending.of(RecordKind.RUN_EVENT, event, 0, -1));
  }

  @Override
  public RunConfig config() {
    return attributes.config();
  }

  @Override
  public RunSummary summary() {
    return attributes.summary();
  }

  @Override
  public MetricDefinition defineMetric(String metric) {
    return attributes.defineMetric(metric);
  }

  @Override
  public List<String> tags() {
    return attributes.tags();
  }

  @Override
  public void addTags(String... added) {
    attributes.addTags(added);
  }

  @Override
  public void removeTags(String... removed) {
    attributes.removeTags(removed);
  }

  @Override
  public void notes(String notes) {
    attributes.notes(notes);
  }

  @Override
  public void alert(String title, String text, AlertLevel level) {
    try {
      Severity severity =
          switch (level == null ? AlertLevel.INFO : level) {
            case INFO -> Severity.INFO;
            case WARN -> Severity.WARNING;
            case ERROR -> Severity.CRITICAL;
          };
      Alert alert =
          Alert.newBuilder()
              .setRunId(id)
              .setEntity(options.entity())
              .setProject(options.project())
              .setTimestampMs(System.currentTimeMillis())
              .setRule("user")
              .setSeverity(severity)
              .setTitle(title == null ? "" : title)
              .setMessage(text == null ? "" : text)
              .setStep(steps.last())
              .build();
      pipeline.offer(Pending.of(RecordKind.ALERT, alert, 0, -1));
    } catch (RuntimeException e) {
      log.warn("alert of run {} not sent: {}", id, e.toString());
    }
  }

  @Override
  public RunCounters counters() {
    return new RunCounters(
        accepted.sum(),
        sent.sum(),
        pipeline.spilled.sum(),
        replayed.sum(),
        rejected.sum(),
        pipeline.durable.sum(),
        pipeline.lost.sum());
  }

  @Override
  public boolean flush(Duration timeout) {
    return pipeline.flush(timeout);
  }

  @Override
  public void finish(int exitCode) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    complete(exitCode);
  }

  @Override
  public void detach() {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    for (ScheduledFuture<?> t : timers) {
      t.cancel(false);
    }
    if (steps.hasUncommitted()) {
      commitUncommitted();
    }
    // No RunFinished: the run stays open, to be resumed or marked crashed by the processor.
    boolean closed = pipeline.close(options.finishTimeout());
    LIVE.remove(this);
    directory.unlock();
    RunCounters c = counters();
    if (closed && pipeline.unacknowledgedRecords() == 0) {
      log.info("run {} detached, not finished: all {} points acknowledged by Kafka", id, c.sent());
    } else {
      log.warn(
          "run {} detached, not finished: points Kafka did not acknowledge within {} are safe in"
              + " {} and are sent when the run is resumed or synced",
          id,
          options.finishTimeout(),
          directory.path());
    }
  }

  private void finishOnExit(long deadlineNanos) {
    if (!options.finishOnExit()) {
      detach();
      return;
    }
    if (finished.compareAndSet(false, true)) {
      int exitCode = ownerFailed ? 1 : 0;
      log.warn(
          "run {} was not finished by the program; finishing it at JVM exit as {}",
          id,
          exitCode == 0 ? "finished" : "failed (its training thread died on an exception)");
      long left = Math.max(0, deadlineNanos - System.nanoTime());
      complete(exitCode, Duration.ofNanos(Math.min(left, options.finishTimeout().toNanos())));
    }
  }

  private void complete(int exitCode) {
    complete(exitCode, options.finishTimeout());
  }

  private void complete(int exitCode, Duration timeout) {
    for (ScheduledFuture<?> t : timers) {
      t.cancel(false);
    }
    if (steps.hasUncommitted()) {
      commitUncommitted();
    }
    offerEvent(RunFinished.newBuilder().setExitCode(exitCode).setLastStep(steps.last()).build());
    boolean closed = pipeline.close(timeout);
    LIVE.remove(this);
    directory.unlock();
    RunCounters c = counters();
    String where = directory.path().toString();
    if (options.mode() == Mode.OFFLINE) {
      log.info(
          "run {} finished offline with exit code {}: {} points in {}; upload them with"
              + " `runstream sync {}`",
          id,
          exitCode,
          c.accepted() - c.lost(),
          where,
          where);
    } else if (!closed || pipeline.unacknowledgedRecords() != 0) {
      // The journal says what Kafka lacks; it also holds what an earlier process of a resumed run
      // left, which accepted does not count. Without the count (the writer did not stop in time,
      // or stopped on an error) the counters are the best guess.
      long unacknowledged =
          pipeline.unacknowledgedRecords() >= 0 ? pipeline.unacknowledgedPoints() : c.unsent();
      log.warn(
          "run {} finished with exit code {}: Kafka acknowledged {} of {} points within {}; the"
              + " other {} are safe in {}: upload them with `runstream sync {}`",
          id,
          exitCode,
          c.sent(),
          c.sent() + unacknowledged,
          timeout,
          unacknowledged,
          where,
          where);
    } else {
      log.info(
          "run {} finished with exit code {}: all {} points acknowledged by Kafka",
          id,
          exitCode,
          c.sent());
    }
    if (c.lost() > 0) {
      log.error("run {} lost {} points that the run directory refused", id, c.lost());
    }
  }
}
