package dev.runstream.processor.bench;

import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.ProcessorConfig;
import dev.runstream.processor.StreamProcessor;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunStarted;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Benchmark of the stream processor, run by hand (never by {@code verify}); it prints our figure
 * beside a baseline measured in the same run on the same stack, because the machine is shared and
 * noisy.
 *
 * <p>{@code process [points] [runs] [metrics]}: a pre-filled metrics topic of {@code points}
 * points, logged as {@link MetricBatch} records of {@code metrics} metrics by {@code runs} runs
 * (each started by a run-started event), read by
 *
 * <ul>
 *   <li>the baseline: a plain {@link KafkaConsumer} ({@code read_committed}) that only reads and
 *       deserializes every record, the ceiling for any consumer of these topics;
 *   <li>the {@link StreamProcessor} as it runs in production ({@code exactly_once_v2}), done when
 *       its group's committed offsets reach the end of both topics.
 * </ul>
 *
 * Both clocks start once the reader is assigned its partitions (the processor's state RUNNING), so
 * start-up and group join are not throughput. See stream-processor/README.md for the command.
 */
public final class ProcessorBench {
  private ProcessorBench() {}

  public static void main(String[] args) throws Exception {
    String what = args.length > 0 ? args[0] : "process";
    if (!what.equals("process")) {
      System.out.println("usage: ProcessorBench process [points] [runs] [metrics]");
      return;
    }
    long points = args.length > 1 ? Long.parseLong(args[1]) : 2_000_000L;
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    int metrics = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    try (LocalStack stack = LocalStack.builder().withClickHouse(false).start()) {
      process(stack, points, runs, metrics);
    }
  }

  private static void process(LocalStack stack, long points, int runs, int metrics)
      throws Exception {
    int records = (int) (points / metrics);
    long total = (long) records * metrics;
    System.out.printf(
        "process: %,d points (%,d metric batches of %d metrics, %d runs)%n",
        total, records, metrics, runs);
    Topics topics =
        Topics.withPrefix("bench-" + UUID.randomUUID().toString().substring(0, 8) + ".");
    try (Admin admin = admin(stack)) {
      TopicSetup.ensure(admin, topics, TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    long fillStart = System.nanoTime();
    fill(stack, topics, records, runs, metrics);
    System.out.printf("  filled the topics in %.1f s%n", (System.nanoTime() - fillStart) / 1e9);
    Map<TopicPartition, Long> end = endOffsets(stack, topics);

    double cpu0 = cpuSeconds();
    double baseline = plainConsumer(stack, topics, records + runs, total);
    double baselineCpu = cpuSeconds() - cpu0;
    System.out.printf(Locale.ROOT, "  baseline read in %.1f s%n", baseline);
    cpu0 = cpuSeconds();
    double ours = processor(stack, topics, end, total);
    double oursCpu = cpuSeconds() - cpu0;
    // On a shared machine the wall clock mostly measures the neighbours; the CPU seconds this JVM
    // spent (the Kafka server's are not counted) say what the work itself costs.
    System.out.println(
        "  points/s, and the ratio of the rate to the baseline's (by wall clock; by this JVM's CPU"
            + " time):");
    System.out.printf(
        Locale.ROOT,
        "  %-60s %,10.0f points/s  ratio 1.00  (%.1f s; %.1f CPU s: %,.0f points per CPU s,"
            + " ratio 1.00)%n",
        "baseline: KafkaConsumer, read_committed, deserialize only",
        total / baseline,
        baseline,
        baselineCpu,
        total / baselineCpu);
    System.out.printf(
        Locale.ROOT,
        "  %-60s %,10.0f points/s  ratio %.2f  (%.1f s; %.1f CPU s: %,.0f points per CPU s,"
            + " ratio %.2f)%n",
        "runstream stream processor, exactly_once_v2, until committed",
        total / ours,
        baseline / ours,
        ours,
        oursCpu,
        total / oursCpu,
        baselineCpu / oursCpu);
  }

  /** CPU seconds the processor's stream threads have used so far. */
  private static double streamThreadsCpuSeconds() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long nanos = 0;
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null && info.getThreadName().matches(".*-StreamThread-\\d+")) {
        nanos += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
      }
    }
    return nanos / 1e9;
  }

  /** CPU seconds this JVM has used, all threads. */
  private static double cpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime()
        / 1e9;
  }

  private static void fill(LocalStack stack, Topics topics, int records, int runs, int metrics)
      throws Exception {
    try (KafkaProducer<String, SpecificRecord> avro =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrap(),
                ProducerConfig.LINGER_MS_CONFIG,
                20,
                ProducerConfig.BATCH_SIZE_CONFIG,
                256 * 1024),
            new StringSerializer(),
            new AvroSerializer<>(SerdeConfig.registry(stack.schemaRegistryUrl())))) {
      for (int run = 0; run < runs; run++) {
        avro.send(new ProducerRecord<>(topics.runs.name(), runId(run), started(run)));
      }
      List<String> names = new ArrayList<>();
      for (int m = 0; m < metrics; m++) {
        // Half minimised, half without a goal: every detector the defaults enable has work.
        names.add(m % 2 == 0 ? "loss/" + m : "lr/" + m);
      }
      for (int r = 0; r < records; r++) {
        int run = r % runs;
        int step = r / runs;
        List<Double> values = new ArrayList<>(metrics);
        for (int m = 0; m < metrics; m++) {
          values.add((run + 1.0) / (step + 1.0) + m * 0.001);
        }
        avro.send(
            new ProducerRecord<>(
                topics.metrics.name(),
                runId(run),
                MetricBatch.newBuilder()
                    .setRunId(runId(run))
                    .setEntity("acme")
                    .setProject("bench")
                    .setStep(step)
                    .setTimestampMs(1_700_000_000_000L + step * 1000L)
                    .setSequence(step + 1)
                    .setNames(names)
                    .setValues(values)
                    .build()));
      }
    }
  }

  /** Seconds a plain consumer takes to read and deserialize all {@code records}. */
  private static double plainConsumer(LocalStack stack, Topics topics, int records, long total)
      throws Exception {
    SchemaRegistry registry = SerdeConfig.registry(stack.schemaRegistryUrl());
    Deserializer<MetricBatch> metrics = topics.metrics.serde(registry).deserializer();
    Deserializer<RunEvent> runs = topics.runs.serde(registry).deserializer();
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-baseline-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.runs.name(), topics.metrics.name()));
      while (consumer.assignment().isEmpty()) {
        consumer.poll(Duration.ofMillis(100)); // joins the group; reads nothing before assignment
      }
      consumer.seekToBeginning(consumer.assignment());
      long t0 = System.nanoTime();
      long read = 0;
      long pointsRead = 0;
      long deadline = t0 + TimeUnit.MINUTES.toNanos(10);
      while (read < records) {
        ConsumerRecords<String, byte[]> polled = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord<String, byte[]> r : polled) {
          if (r.topic().equals(topics.metrics.name())) {
            pointsRead += metrics.deserialize(r.topic(), r.value()).getValues().size();
          } else {
            runs.deserialize(r.topic(), r.value());
          }
          read++;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the baseline read " + read + " of " + records);
        }
      }
      if (pointsRead != total) {
        throw new IllegalStateException("the baseline read " + pointsRead + " of " + total);
      }
      return (System.nanoTime() - t0) / 1e9;
    }
  }

  /**
   * Seconds the stream processor takes from RUNNING until it committed {@code end}; prints the CPU
   * time of its stream threads for the {@code total} points.
   */
  private static double processor(
      LocalStack stack, Topics topics, Map<TopicPartition, Long> end, long total) throws Exception {
    Path stateDir = Files.createTempDirectory("processor-bench");
    String appId = "bench-processor-" + UUID.randomUUID();
    try (StreamProcessor processor =
        StreamProcessor.start(
            ProcessorConfig.of(stack.kafkaBootstrap(), stack.schemaRegistryUrl(), stateDir)
                .withTopics(topics)
                .withApplicationId(appId))) {
      long startDeadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (processor.state() != KafkaStreams.State.RUNNING) {
        if (System.nanoTime() > startDeadline) {
          throw new IllegalStateException("the processor is " + processor.state());
        }
        TimeUnit.MILLISECONDS.sleep(5); // a benchmark's polling interval
      }
      long t0 = System.nanoTime();
      awaitCommitted(stack, appId, end, Duration.ofMinutes(10));
      double seconds = (System.nanoTime() - t0) / 1e9;
      // The stream threads alone, start-up included: the processor's own cost without the JIT
      // compiler, the garbage collector and the clients' I/O threads that the JVM's figure holds.
      double streamCpu = streamThreadsCpuSeconds();
      System.out.printf(
          Locale.ROOT,
          "  stream threads: %.1f CPU s: %,.0f points per stream-thread CPU s%n",
          streamCpu,
          total / streamCpu);
      return seconds;
    }
  }

  private static Map<TopicPartition, Long> endOffsets(LocalStack stack, Topics topics)
      throws Exception {
    try (Admin admin = admin(stack)) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (String topic : List.of(topics.runs.name(), topics.metrics.name())) {
        for (int p = 0; p < TopicSetup.DEFAULT_PARTITIONS; p++) {
          latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
      }
      Map<TopicPartition, Long> out = new HashMap<>();
      admin
          .listOffsets(latest)
          .all()
          .get()
          .forEach(
              (tp, info) -> {
                if (info.offset() > 0) {
                  out.put(tp, info.offset());
                }
              });
      return out;
    }
  }

  /** Waits until {@code group} committed {@code end} on every partition. */
  private static void awaitCommitted(
      LocalStack stack, String group, Map<TopicPartition, Long> end, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = admin(stack)) {
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        boolean done =
            end.entrySet().stream()
                .allMatch(
                    e ->
                        committed.get(e.getKey()) != null
                            && committed.get(e.getKey()).offset() >= e.getValue());
        if (done) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(group + " committed " + committed + " of " + end);
        }
        TimeUnit.MILLISECONDS.sleep(50); // a benchmark's polling interval
      }
    }
  }

  private static Admin admin(LocalStack stack) {
    return Admin.create(
        Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()));
  }

  private static String runId(int run) {
    return String.format("run-%05d", run);
  }

  private static RunEvent started(int run) {
    return RunEvent.newBuilder()
        .setRunId(runId(run))
        .setEntity("acme")
        .setProject("bench")
        .setTimestampMs(1_700_000_000_000L + run)
        .setPayload(RunStarted.newBuilder().setName("run " + run).build())
        .build();
  }
}
