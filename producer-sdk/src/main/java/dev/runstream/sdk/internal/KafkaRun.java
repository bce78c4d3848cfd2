package dev.runstream.sdk.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Heartbeat;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunCounters;
import dev.runstream.sdk.RunOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run that sends its records to Kafka from one background thread. The training thread only
 * validates, builds a record and offers it to a bounded queue, so it never waits for the network.
 */
public final class KafkaRun implements Run {
  private static final Logger log = LoggerFactory.getLogger(KafkaRun.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Outgoing STOP = new Outgoing(null, null, 0);

  private final RunOptions options;
  private final String id;
  private final String name;
  private final Topics topics;
  private final Producer<String, SpecificRecord> producer;
  private final BlockingQueue<Outgoing> queue;
  private final Thread sender;
  private final ScheduledExecutorService heartbeat;
  private final Thread shutdownHook;
  private final AtomicLong nextStep = new AtomicLong();
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicBoolean finished = new AtomicBoolean();
  private final LongAdder accepted = new LongAdder();
  private final LongAdder sent = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder failed = new LongAdder();

  /** A record waiting for the sender, and how many metric points it carries. */
  private record Outgoing(String topic, SpecificRecord value, int points) {}

  KafkaRun(RunOptions options, Producer<String, SpecificRecord> producer) {
    this.options = options;
    this.id = options.runId() != null ? options.runId() : RunNames.newRunId();
    this.name = options.name() != null ? options.name() : RunNames.newDisplayName();
    this.topics = Topics.withPrefix(options.topicPrefix());
    this.producer = producer;
    this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
    this.sender = new Thread(this::sendLoop, "runstream-sender-" + id);
    this.sender.setDaemon(true);
    this.heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "runstream-heartbeat-" + id);
              t.setDaemon(true);
              return t;
            });
    this.shutdownHook = new Thread(this::finishOnExit, "runstream-finish-" + id);
  }

  /** Starts a run that talks to the Kafka and registry named in {@code options}. */
  public static KafkaRun start(RunOptions options) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.kafkaBootstrap());
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "runstream-sdk");
    // Safety first: no duplicates from retries, nothing acknowledged before all replicas have it.
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    // Metric batches compress well and arrive in bursts; a short linger fills larger batches.
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.putAll(options.kafkaProperties());
    AvroSerializer<SpecificRecord> values =
        new AvroSerializer<>(SerdeConfig.registry(options.schemaRegistryUrl()));
    KafkaRun run =
        new KafkaRun(options, new KafkaProducer<>(props, new StringSerializer(), values));
    run.begin();
    return run;
  }

  void begin() {
    sender.start();
    RunStarted started =
        RunStarted.newBuilder()
            .setName(name)
            .setNotes(options.notes())
            .setTags(new ArrayList<>(options.tags()))
            .setConfigJson(toJson(options.config()))
            .setGroup(options.group())
            .setJobType(options.jobType())
            .setEnvironment(EnvironmentInfo.capture())
            .build();
    enqueue(topics.runs.name(), event(started), 0);
    long period = options.heartbeatInterval().toMillis();
    heartbeat.scheduleAtFixedRate(
        () -> enqueue(topics.runs.name(), event(new Heartbeat(nextStep.get() - 1)), 0),
        period,
        period,
        TimeUnit.MILLISECONDS);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    log.info("run {} ({}) started in project {}", id, name, options.project());
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
  public long step() {
    return nextStep.get();
  }

  @Override
  public void log(Map<String, ? extends Number> metrics) {
    logAt(metrics, -1);
  }

  @Override
  public void log(Map<String, ? extends Number> metrics, long step) {
    if (step < 0) {
      warnRejected("step " + step + " is negative", metrics == null ? 1 : metrics.size());
      return;
    }
    logAt(metrics, step);
  }

  private void logAt(Map<String, ? extends Number> metrics, long explicitStep) {
    try {
      if (finished.get()) {
        warnRejected("run " + id + " is finished", metrics == null ? 1 : metrics.size());
        return;
      }
      if (metrics == null || metrics.isEmpty()) {
        return;
      }
      List<String> names = new ArrayList<>(metrics.size());
      List<Double> values = new ArrayList<>(metrics.size());
      for (Map.Entry<String, ? extends Number> entry : metrics.entrySet()) {
        String key = entry.getKey();
        Number value = entry.getValue();
        if (key == null || key.isBlank()) {
          warnRejected("a metric name is blank", 1);
        } else if (value == null) {
          warnRejected("metric '" + key + "' has no value", 1);
        } else {
          names.add(key);
          values.add(value.doubleValue());
        }
      }
      long step;
      if (explicitStep >= 0) {
        // Unlike W&B, an earlier step is accepted: (run, metric, step) identifies a point.
        step = explicitStep;
        nextStep.accumulateAndGet(explicitStep + 1, Math::max);
      } else {
        step = nextStep.getAndIncrement();
      }
      if (names.isEmpty()) {
        return;
      }
      MetricBatch batch =
          MetricBatch.newBuilder()
              .setRunId(id)
              .setEntity(options.entity())
              .setProject(options.project())
              .setStep(step)
              .setTimestampMs(System.currentTimeMillis())
              .setSequence(sequence.getAndIncrement())
              .setNames(names)
              .setValues(values)
              .build();
      accepted.add(names.size());
      enqueue(topics.metrics.name(), batch, names.size());
    } catch (RuntimeException e) {
      // The training loop must never see our failures.
      warnRejected("unexpected error: " + e, metrics == null ? 1 : metrics.size());
    }
  }

  private void warnRejected(String reason, int points) {
    rejected.add(points);
    log.warn("runstream rejected {} point(s) of run {}: {}", points, id, reason);
  }

  private void enqueue(String topic, SpecificRecord value, int points) {
    if (!queue.offer(new Outgoing(topic, value, points))) {
      failed.add(points);
      log.warn(
          "runstream queue of run {} is full ({} records); a record was not sent",
          id,
          options.queueCapacity());
    }
  }

  private RunEvent event(SpecificRecord payload) {
    return RunEvent.newBuilder()
        .setRunId(id)
        .setEntity(options.entity())
        .setProject(options.project())
        .setTimestampMs(System.currentTimeMillis())
        .setSequence(sequence.getAndIncrement())
        .setPayload(payload)
        .build();
  }

  private void sendLoop() {
    while (true) {
      Outgoing next;
      try {
        next = queue.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (next == STOP) {
        return;
      }
      try {
        producer.send(
            new ProducerRecord<>(next.topic(), id, next.value()),
            (metadata, error) -> {
              if (error == null) {
                sent.add(next.points());
              } else {
                failed.add(next.points());
                log.warn("Kafka refused a record of run {}: {}", id, error.toString());
              }
            });
      } catch (RuntimeException e) {
        failed.add(next.points());
        log.warn("cannot send a record of run {}: {}", id, e.toString());
      }
    }
  }

  @Override
  public RunCounters counters() {
    return new RunCounters(accepted.sum(), sent.sum(), rejected.sum(), failed.sum());
  }

  @Override
  public void finish(int exitCode) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // finish() called from the hook itself; nothing to remove
    }
    complete(exitCode);
  }

  private void finishOnExit() {
    if (finished.compareAndSet(false, true)) {
      log.warn("run {} was not finished by the program; finishing it at JVM exit", id);
      complete(0);
    }
  }

  private void complete(int exitCode) {
    heartbeat.shutdownNow();
    enqueue(
        topics.runs.name(),
        event(
            RunFinished.newBuilder().setExitCode(exitCode).setLastStep(nextStep.get() - 1).build()),
        0);
    Duration timeout = options.finishTimeout();
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      queue.put(STOP);
      sender.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long remaining = Math.max(0, deadline - System.nanoTime());
    producer.close(Duration.ofNanos(remaining));
    RunCounters c = counters();
    long unsent = c.accepted() - c.sent() - c.failed();
    if (unsent > 0 || c.failed() > 0) {
      log.warn(
          "run {} finished with exit code {}: {} of {} points acknowledged by Kafka, {} failed, {} not"
              + " confirmed within {}",
          id,
          exitCode,
          c.sent(),
          c.accepted(),
          c.failed(),
          unsent,
          timeout);
    } else {
      log.info("run {} finished with exit code {}: all {} points sent", id, exitCode, c.sent());
    }
  }

  private static String toJson(Map<String, Object> config) {
    try {
      return JSON.writeValueAsString(config);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("config cannot be written as JSON: " + e.getMessage(), e);
    }
  }
}
