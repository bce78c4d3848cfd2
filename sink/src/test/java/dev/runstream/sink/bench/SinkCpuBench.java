package dev.runstream.sink.bench;

import dev.runstream.query.internal.Tables;
import dev.runstream.schemas.AvroSerializer;
import dev.runstream.schemas.InMemorySchemaRegistry;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.sink.internal.EncodedRows;
import dev.runstream.sink.internal.RecordMapper;
import dev.runstream.sink.internal.RollupTracker;
import dev.runstream.sink.internal.RowBatch;
import dev.runstream.sink.internal.TableWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The sink's own CPU per point without servers: what its consumer and writer threads do to a metric
 * record between Kafka and ClickHouse (decode, batch, encode the rows in key order, fold the
 * rollups and encode their rows), on one thread, with a writer that discards the bytes. Kafka's and
 * ClickHouse's clients are left out, so a change to the sink's own hot paths shows in a few seconds
 * and is not drowned by a busy machine; {@code ingest} measures the whole sink.
 */
final class SinkCpuBench {
  private static final int RUNS = 100;
  private static final int METRICS = 16;
  private static final int BATCH_ROWS = 50_000;
  // Batches per rollup write: about what the ingest benchmark does in a rollup interval.
  private static final int BATCHES_PER_FLUSH = 6;

  private SinkCpuBench() {}

  static void run(long points) throws Exception {
    Topics topics = Topics.withPrefix("bench.");
    InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    AvroSerializer<MetricBatch> serializer = new AvroSerializer<>(registry);
    List<String> names = new ArrayList<>();
    for (int m = 0; m < METRICS; m++) {
      names.add("loss/component_" + m);
    }
    // Every run's records of a few hundred steps, serialized once and read again and again with
    // growing steps would need re-serializing: instead each pass reads the same bytes as new
    // steps of new runs (a run id per pass), which the tracker folds like a live run's.
    int steps = 512;
    List<List<byte[]>> passes = new ArrayList<>();
    int passCount = 2;
    for (int pass = 0; pass < passCount; pass++) {
      List<byte[]> records = new ArrayList<>();
      for (int step = 0; step < steps; step++) {
        for (int run = 0; run < RUNS; run++) {
          List<Double> values = new ArrayList<>(METRICS);
          for (int m = 0; m < METRICS; m++) {
            values.add(Math.sin(run * 31 + step * 0.01 + m));
          }
          MetricBatch batch =
              MetricBatch.newBuilder()
                  .setRunId("run-" + pass + "-" + String.format(Locale.ROOT, "%05d", run))
                  .setEntity("acme")
                  .setProject("bench")
                  .setStep(step)
                  .setTimestampMs(1_700_000_000_000L + step * 1000L)
                  .setSequence(step + 1)
                  .setNames(names)
                  .setValues(values)
                  .build();
          records.add(serializer.serialize(topics.metrics.name(), batch));
        }
      }
      passes.add(records);
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    for (int round = 1; round <= 3; round++) {
      RecordMapper mapper = new RecordMapper(topics, registry);
      RollupTracker tracker = new RollupTracker();
      TableWriter discard = (table, bytes, rows) -> {};
      long done = 0;
      long cpu0 = threads.getCurrentThreadCpuTime();
      long wall0 = System.nanoTime();
      RowBatch batch = new RowBatch();
      int batches = 0;
      long offset = 0;
      // Each round re-reads the passes with higher steps by starting a new tracker per lap.
      int lap = 0;
      while (done < points) {
        List<byte[]> records = passes.get(lap % passCount);
        lap++;
        if (lap % passCount == 0) {
          tracker.flush(discard);
          tracker = new RollupTracker(); // the runs start again at step 0: new series to it
        }
        for (byte[] value : records) {
          List<EncodedRows> rows = mapper.map(topics.metrics.name(), value);
          batch.add(
              new RowBatch.Source(topics.metrics.name(), 0, offset++, null, value),
              rows,
              System.nanoTime());
          done += METRICS;
          if (batch.rows() >= BATCH_ROWS) {
            write(batch, tracker, discard);
            batch.clear();
            if (++batches % BATCHES_PER_FLUSH == 0) {
              tracker.flush(discard);
            }
          }
        }
      }
      double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e3 / done;
      double wall = (System.nanoTime() - wall0) / 1e3 / done;
      System.out.printf(
          Locale.ROOT,
          "cpu: round %d: %,d points, %.3f us/point CPU (%.3f us/point wall)%n",
          round,
          done,
          cpu,
          wall);
    }
  }

  private static void write(RowBatch batch, RollupTracker tracker, TableWriter writer)
      throws Exception {
    for (RowBatch.TableRows rows : batch.pendingTables().values()) {
      tracker.prepare(rows.points(), writer);
      byte[] bytes = rows.bytes();
      writer.insert(Tables.METRICS, bytes, rows.rows());
      tracker.add(rows.points());
    }
  }
}
