package dev.runstream.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The baselines a load is compared with, measured on the same machine in the same run: what a plain
 * Kafka producer sends as fast as it can, records like the SDK's (same keys, about the same size,
 * the SDK's producer settings), on a topic of its own so the pipeline does not read them.
 */
final class LoadBaselines {
  /** The raw producer's topic: not the team's metrics topic, which the processor and sink read. */
  static final String RAW_TOPIC = "runstream-load.raw";

  /**
   * What the baselines reached.
   *
   * @param rawProducerPoints points per second a plain producer sent (records x metrics)
   * @param enginePoints rows per second ClickHouse's Kafka engine wrote, when measured
   * @param engineNote why the engine was not measured, or empty
   */
  record Results(double rawProducerPoints, OptionalDouble enginePoints, String engineNote) {}

  private final Servers servers;
  private final PrintWriter out;

  LoadBaselines(Servers servers, PrintWriter out) {
    this.servers = servers;
    this.out = out;
  }

  /** Measures the baselines with {@code records} records of {@code metrics} points each. */
  Results measure(int runs, int metrics, long records) throws InterruptedException {
    double raw = rawProducer(runs, metrics, records);
    out.printf(
        Locale.ROOT,
        "  raw producer: %,d records of %d points in %s: %,.0f points/s%n",
        records,
        metrics,
        RAW_TOPIC,
        raw);
    out.flush();
    try {
      double engine = new LoadEngineBaseline(servers).measure(runs, metrics, records);
      out.printf(
          Locale.ROOT,
          "  ClickHouse Kafka engine + materialized view: %,d rows (JSONEachRow, topic %s) in"
              + " database %s: %,.0f rows/s%n",
          records * metrics,
          LoadEngineBaseline.TOPIC,
          LoadEngineBaseline.DATABASE,
          engine);
      out.flush();
      return new Results(raw, OptionalDouble.of(engine), "");
    } catch (CliException e) {
      // The load is still worth running: say why this baseline is missing.
      out.printf("  ClickHouse Kafka engine: not measured: %s%n", e.getMessage());
      out.flush();
      return new Results(raw, OptionalDouble.empty(), e.getMessage());
    }
  }

  /** Points per second a plain producer sends, from the first send to the last acknowledgement. */
  double rawProducer(int runs, int metrics, long records) throws InterruptedException {
    Map<String, Object> props =
        servers
            .kafkaClients()
            .producer(
                Map.of(
                    ProducerConfig.CLIENT_ID_CONFIG,
                    "runstream-load-raw",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                    true,
                    ProducerConfig.ACKS_CONFIG,
                    "all",
                    ProducerConfig.COMPRESSION_TYPE_CONFIG,
                    "lz4",
                    ProducerConfig.LINGER_MS_CONFIG,
                    10,
                    ProducerConfig.BATCH_SIZE_CONFIG,
                    256 * 1024,
                    ProducerConfig.BUFFER_MEMORY_CONFIG,
                    64L * 1024 * 1024));
    String[] keys = new String[runs];
    for (int r = 0; r < runs; r++) {
      keys[r] = String.format(Locale.ROOT, "%032x", (long) r * 0x9E3779B97F4A7C15L);
    }
    SplittableRandom random = new SplittableRandom(1);
    AtomicLong acked = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      // The topic exists and has a leader before the clock starts.
      try {
        producer
            .send(new ProducerRecord<>(RAW_TOPIC, "warm", new byte[1]))
            .get(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new CliException("the raw producer baseline could not write to Kafka: " + e, e);
      }
      long start = System.nanoTime();
      for (long i = 0; i < records; i++) {
        producer.send(
            new ProducerRecord<>(RAW_TOPIC, keys[(int) (i % runs)], value(random, metrics, i)),
            (meta, e) -> {
              if (e != null) {
                failure.compareAndSet(null, e);
              } else {
                acked.incrementAndGet();
              }
            });
      }
      producer.flush();
      double seconds = (System.nanoTime() - start) / 1e9;
      if (failure.get() != null) {
        throw new CliException("the raw producer baseline failed: " + failure.get(), failure.get());
      }
      return acked.get() * (double) metrics / seconds;
    }
  }

  /**
   * A value about the size and entropy of the SDK's encoded record: the wire header, run id, step
   * and time, then per metric its name and a random double.
   */
  private static byte[] value(SplittableRandom random, int metrics, long step) {
    byte[] v = new byte[48 + metrics * 12];
    v[0] = 0;
    v[4] = 1;
    for (int i = 5; i < 40; i++) {
      v[i] = (byte) ('a' + (i % 16));
    }
    long s = step;
    for (int i = 40; i < 48; i++, s >>>= 8) {
      v[i] = (byte) s;
    }
    for (int m = 0; m < metrics; m++) {
      int at = 48 + m * 12;
      v[at] = 4;
      v[at + 1] = 'm';
      v[at + 2] = (byte) ('0' + m % 10);
      v[at + 3] = 0;
      long bits = Double.doubleToLongBits(random.nextDouble());
      for (int b = 0; b < 8; b++, bits >>>= 8) {
        v[at + 4 + b] = (byte) bits;
      }
    }
    return v;
  }
}
