package dev.runstream.sdk.bench;

import dev.runstream.deploy.LocalStack;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Metric points delivered to the local broker (acknowledged with acks=all) per second: a whole SDK
 * run (log, journal, send, finish) against the floor, a raw {@link KafkaProducer} with the same
 * settings sending the same batches already serialized. One invocation moves {@value #POINTS}
 * points.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class DeliveryBenchmark {
  static final int BATCHES = 20_000;
  static final int POINTS = BATCHES * 10;
  // Metric names are constants in a training loop; building them per call would time the string
  // concatenation and hashing of this benchmark, not the SDK.
  static final String[] NAMES = names().toArray(new String[0]);

  /** The producers' {@code compression.type}, the same on both sides (BenchMain sets it). */
  @Param({"lz4"})
  public String compression;

  /**
   * How clients reach the broker: {@code plaintext}, or {@code sasl} (SASL/SCRAM-SHA-512 with the
   * KRaft authorizer and prefixed ACLs, both producers logged in as a team's user through its
   * properties file). BenchMain's {@code delivery-sasl} runs both in one JMH run.
   */
  @Param({"plaintext"})
  public String kafka;

  LocalStack stack;
  Path dir;
  List<byte[]> serialized;
  KafkaProducer<String, byte[]> raw;
  String prefix;
  Run run;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    boolean sasl = kafka.equals("sasl");
    LocalStack.Builder builder = LocalStack.builder().withClickHouse(false);
    stack = (sasl ? builder.secureKafka(List.of("bench")) : builder).start();
    dir = Files.createTempDirectory("runstream-bench");
    prefix = "bench" + (sasl ? "." : "-") + UUID.randomUUID().toString().substring(0, 8) + ".";
    Map<String, String> env =
        sasl
            ? Map.of(
                "RUNSTREAM_KAFKA_PROPERTIES_FILE", stack.kafkaTeamProperties("bench").toString())
            : Map.of();
    run =
        Runstream.init(
            RunOptions.builder("bench", env)
                .kafkaBootstrap(stack.kafkaBootstrap())
                .schemaRegistryUrl(stack.schemaRegistryUrl())
                .topicPrefix(prefix)
                .directory(dir)
                .systemMetricsInterval(Duration.ZERO)
                .kafkaProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression)
                .build());
    // The raw producer sends what the run sends: batches of the same run, team, project, names
    // and values, keyed by the run id.
    AvroSerializer<MetricBatch> serializer =
        new AvroSerializer<>(SerdeConfig.registry(stack.schemaRegistryUrl()));
    serialized = new ArrayList<>(BATCHES);
    for (int step = 0; step < BATCHES; step++) {
      MetricBatch b =
          new MetricBatch(
              run.id(),
              run.entity(),
              run.project(),
              (long) step,
              System.currentTimeMillis(),
              (long) step,
              names(),
              values(step));
      serialized.add(serializer.serialize(prefix + "metrics", b));
    }
    Map<String, Object> props = new HashMap<>();
    if (sasl) {
      Properties login = new Properties();
      try (Reader in = Files.newBufferedReader(stack.kafkaTeamProperties("bench"))) {
        login.load(in);
      }
      login.stringPropertyNames().forEach(k -> props.put(k, login.getProperty(k)));
    }
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
    raw = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    raw.close();
    run.finish();
    stack.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static List<String> names() {
    List<String> names = new ArrayList<>(10);
    for (int i = 0; i < 10; i++) {
      names.add("metric_" + i);
    }
    return names;
  }

  private static List<Double> values(long step) {
    List<Double> values = new ArrayList<>(10);
    for (int i = 0; i < 10; i++) {
      values.add(i + 1.0 / (step + 1));
    }
    return values;
  }

  /** The floor: pre-serialized batches through a raw producer, then flush (all acknowledged). */
  @Benchmark
  @OperationsPerInvocation(POINTS)
  public void baselineRawProducer() {
    String topic = prefix + "metrics";
    for (byte[] value : serialized) {
      raw.send(new ProducerRecord<>(topic, run.id(), value));
    }
    raw.flush();
  }

  /**
   * A live run in steady state: log every batch, then wait until Kafka acknowledged all of them
   * (the run's counters), so journaling, encoding and the writer thread are all in the time. A run
   * has no flush to Kafka: its last batch waits out {@code linger.ms} (10 ms) where the floor's
   * {@code flush()} sends it at once, so each operation carries up to 10 ms the floor does not.
   */
  @Benchmark
  @OperationsPerInvocation(POINTS)
  public long sdkRun() {
    long target = run.counters().sent() + POINTS;
    Map<String, Double> m = new LinkedHashMap<>();
    for (int step = 0; step < BATCHES; step++) {
      for (int i = 0; i < 10; i++) {
        m.put(NAMES[i], i + 1.0 / (step + 1));
      }
      run.log(m);
    }
    while (run.counters().sent() < target) {
      LockSupport.parkNanos(100_000);
    }
    return run.counters().sent();
  }
}
