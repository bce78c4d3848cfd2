package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.clickhouse.client.api.Client;
import com.fasterxml.jackson.databind.JsonNode;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.RollupLevels;
import dev.runstream.query.internal.Sql;
import dev.runstream.query.internal.Tables;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.sink.ClickHouseSchema;
import dev.runstream.testing.LocalStackExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The two ways a rollup row is made — folded in memory by {@link RollupTracker} and recomputed by
 * the SQL of {@link Rollups} — give the same rows on the real ClickHouse 18.16: every bucket of
 * every level, ties, NaN and infinities included, after appends, a replay and a rewind.
 */
@ExtendWith(LocalStackExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RollupTrackerIT {
  /** The columns compared; the sum last, compared to rounding. */
  private static final List<String> COLUMNS =
      List.of(
          "run_id",
          "metric",
          "width",
          "bucket",
          "first_step",
          "last_step",
          "points",
          "finite",
          "min",
          "min_step",
          "max",
          "max_step",
          "last",
          "sum");

  private final LocalStack stack;
  private final String database =
      "itr_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private Client client;
  private ClickHouseHttp http;
  private TableWriter writer;

  RollupTrackerIT(LocalStack stack) {
    this.stack = stack;
  }

  @BeforeEach
  void setUp() {
    client = ClickHouseHttp.newClient(stack.clickhouseUrl(), "default", "");
    http = new ClickHouseHttp(client, false);
    ClickHouseSchema.migrate(client, database);
    writer = TableWriter.clickHouse(http, database);
  }

  @AfterEach
  void tearDown() {
    http.execute("DROP DATABASE IF EXISTS " + database);
    client.close();
  }

  /** Inserts the batch as the sink does, then hands it to the tracker. */
  private void write(RollupTracker tracker, List<MetricBatch> batches) throws Exception {
    RowBinary rows = new RowBinary();
    int count = 0;
    List<MetricPoints> points = new ArrayList<>();
    for (MetricBatch b : batches) {
      EncodedRows e = RecordMapper.metricBatch(Tables.METRICS, b);
      rows.raw(e.bytes(), 0, e.bytes().length);
      count += e.rows();
      points.add(e.points());
    }
    writer.insert(Tables.METRICS, rows.toByteArray(), count);
    tracker.add(points);
  }

  private static MetricBatch batch(String run, long step, long seq, double loss, double acc) {
    return MetricBatch.newBuilder()
        .setRunId(run)
        .setEntity("acme")
        .setProject("p")
        .setStep(step)
        .setTimestampMs(1_700_000_000_000L + step)
        .setSequence(seq)
        .setNames(List.of("loss", "acc"))
        .setValues(List.of(loss, acc))
        .build();
  }

  private List<List<String>> rollupRows() {
    List<List<String>> out = new ArrayList<>();
    for (JsonNode r :
        http.queryJson(
            "SELECT "
                + String.join(", ", COLUMNS)
                + " FROM "
                + database
                + ".metric_rollups FINAL ORDER BY run_id, metric, width, bucket")) {
      out.add(COLUMNS.stream().map(c -> r.get(c).asText()).toList());
    }
    return out;
  }

  @Test
  void shouldFoldPointsInMemoryIntoTheSameRowsTheSqlRecomputes() throws Exception {
    Random random = new Random(11);
    RollupTracker tracker = new RollupTracker();
    long seq = 0;
    int[] next = new int[3];
    for (int round = 0; round < 40; round++) {
      List<MetricBatch> batches = new ArrayList<>();
      for (int run = 0; run < 3; run++) {
        for (int n = 0; n < 25; n++) {
          int step = next[run]++;
          if (random.nextInt(40) == 0) {
            next[run] += 100; // a gap: buckets left empty
          }
          // Few distinct values, so min and max tie often; now and then NaN or infinity.
          double loss =
              switch (random.nextInt(12)) {
                case 0 -> Double.NaN;
                case 1 -> Double.POSITIVE_INFINITY;
                default -> random.nextInt(5) / 4.0;
              };
          batches.add(batch("run-" + run, step, ++seq, loss, random.nextInt(3) * 0.5));
        }
      }
      if (round == 20) {
        batches.add(batch("run-1", 3, ++seq, -9.0, 9.0)); // a step logged again: recomputed
      }
      if (round == 30) {
        batches.addAll(batches.subList(0, 10)); // the same points twice in one batch
      }
      write(tracker, batches);
      if (round % 3 == 2) {
        tracker.flush(writer);
      }
    }
    tracker.flush(writer);
    assertThat(tracker.appendedPoints()).as("most points folded in memory").isGreaterThan(4000);
    assertThat(tracker.recomputedSeries())
        .as("first sight, the re-log, the duplicates")
        .isPositive();

    List<List<String>> folded = rollupRows();
    // Every bucket recomputed by the SQL from the stored points, with newer versions.
    for (String sql : Rollups.backfillStatements(RollupLevels.LEVELS)) {
      http.execute(String.format(sql, Sql.identifier(database), "String", ""));
    }
    List<List<String>> recomputed = rollupRows();

    assertThat(folded).hasSameSizeAs(recomputed).hasSizeGreaterThan(1000);
    for (int i = 0; i < folded.size(); i++) {
      List<String> a = folded.get(i);
      List<String> b = recomputed.get(i);
      assertThat(a.subList(0, 13)).as("row %d", i).isEqualTo(b.subList(0, 13));
      assertThat(Double.parseDouble(a.get(13)))
          .as("sum of row %d", i)
          .isCloseTo(Double.parseDouble(b.get(13)), within(1e-9));
    }
  }
}
