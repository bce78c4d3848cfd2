package dev.runstream.cli;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.command.CommandResponse;
import dev.runstream.query.IngestProgress;
import dev.runstream.query.RunQueries;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sink.ClickHouseSchema;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The ClickHouse Kafka engine path as a baseline: a Kafka engine table and a materialized view into
 * a metrics table laid out as the sink's (in a database of its own), reading the same points as
 * JSONEachRow from a topic of its own (the engine of ClickHouse 18.16 reads no Avro). The topic is
 * filled while the view is detached, then the clock runs from attaching it until every row is in:
 * rows per second of ClickHouse's own path from Kafka, with no exactly-once and no processing. Rows
 * are counted through the query module.
 */
final class LoadEngineBaseline {
  static final String TOPIC = "runstream-load.engine-json";
  static final String DATABASE = "runstream_load_engine";
  private static final String PROJECT = "load-engine";
  private static final Duration WARM_UP = Duration.ofSeconds(90);
  private static final Duration INGEST_TIMEOUT = Duration.ofMinutes(5);
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private final Servers servers;

  LoadEngineBaseline(Servers servers) {
    this.servers = servers;
  }

  /** Rows per second the engine wrote, for {@code records} records of {@code metrics} rows. */
  double measure(int runs, int metrics, long records) throws InterruptedException {
    String db = DATABASE;
    try (Client client =
            new Client.Builder()
                .addEndpoint(servers.clickhouseUrl())
                .setUsername(servers.clickhouseUser())
                .setPassword(servers.clickhousePassword())
                .useHTTPBasicAuth(false)
                .compressServerResponse(false)
                .compressClientRequest(false)
                .setSocketTimeout(60, ChronoUnit.SECONDS)
                .setClientName("runstream-load")
                .build();
        RunQueries queries =
            RunQueries.connect(
                servers.clickhouseUrl(),
                servers.clickhouseUser(),
                servers.clickhousePassword(),
                db);
        KafkaProducer<String, String> json = producer()) {
      IngestProgress rows = queries.ingest();
      // librdkafka gives up on a topic without a leader for minutes: the topic exists first.
      send(json, "prime", "{}");
      execute(client, "DROP DATABASE IF EXISTS " + db);
      ClickHouseSchema.migrate(client, db);
      execute(
          client,
          "CREATE TABLE "
              + db
              + ".kafka_points (team String, project String, run_id String, metric String,"
              + " step Int64, time DateTime, value Float64, seq UInt64) ENGINE = Kafka('"
              + servers.kafkaBootstrap()
              + "', '"
              + TOPIC
              + "', 'runstream-load-engine-"
              + System.currentTimeMillis()
              + "', 'JSONEachRow')");
      String view =
          db + ".points_mv TO " + db + ".metrics AS SELECT * FROM " + db + ".kafka_points";
      execute(client, "CREATE MATERIALIZED VIEW " + view);
      try {
        // A new group starts at the latest offset: one row shows it joined (the engine writes a
        // block when the topic has been idle a few seconds).
        long deadline = System.nanoTime() + WARM_UP.toNanos();
        long resend = 0;
        while (rows.points("warm") == 0) {
          if (System.nanoTime() > deadline) {
            throw new CliException(
                "ClickHouse's Kafka engine did not start reading " + TOPIC + " in time");
          }
          if (System.nanoTime() >= resend) {
            send(json, "warm", row("warm", "w", "m0", 0, 0.0));
            resend = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
          }
          TimeUnit.MILLISECONDS.sleep(250); // polling interval
        }
        execute(client, "DETACH TABLE " + db + ".points_mv");
        for (long r = 0; r < records; r++) {
          String runId = "run-" + (r % runs);
          long step = r / runs;
          StringBuilder block = new StringBuilder(metrics * 140);
          for (int m = 0; m < metrics; m++) {
            block
                .append(row(PROJECT, runId, "m" + m, step, Math.sin(step * 0.01 + m)))
                .append('\n');
          }
          json.send(new ProducerRecord<>(TOPIC, runId, block.toString()));
        }
        json.flush();
        long total = records * metrics;
        long t0 = System.nanoTime();
        execute(client, "ATTACH TABLE " + db + ".points_mv");
        long end = t0 + INGEST_TIMEOUT.toNanos();
        while (rows.points(PROJECT) < total) {
          if (System.nanoTime() > end) {
            throw new CliException(
                "ClickHouse's Kafka engine wrote only "
                    + rows.points(PROJECT)
                    + " of "
                    + total
                    + " rows in "
                    + INGEST_TIMEOUT.toMinutes()
                    + " min");
          }
          TimeUnit.MILLISECONDS.sleep(200); // polling interval
        }
        return total / ((System.nanoTime() - t0) / 1e9);
      } finally {
        execute(client, "DROP DATABASE IF EXISTS " + db);
      }
    }
  }

  private KafkaProducer<String, String> producer() {
    Map<String, Object> props =
        servers
            .kafkaClients()
            .producer(
                Map.of(
                    ProducerConfig.CLIENT_ID_CONFIG,
                    "runstream-load-engine",
                    ProducerConfig.LINGER_MS_CONFIG,
                    10,
                    ProducerConfig.BATCH_SIZE_CONFIG,
                    256 * 1024));
    return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
  }

  private static void send(KafkaProducer<String, String> json, String key, String value) {
    try {
      json.send(new ProducerRecord<>(TOPIC, key, value)).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new CliException("the Kafka engine baseline could not write to " + TOPIC + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted while writing to " + TOPIC, e);
    }
  }

  private static void execute(Client client, String sql) {
    try (CommandResponse ignored = client.execute(sql).get(60, TimeUnit.SECONDS)) {
      // no rows
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted during: " + sql, e);
    } catch (Exception e) {
      throw new CliException("ClickHouse refused the Kafka engine baseline's " + sql + ": " + e, e);
    }
  }

  private static String row(String project, String runId, String metric, long step, double v) {
    return String.format(
        Locale.ROOT,
        "{\"team\":\"%s\",\"project\":\"%s\",\"run_id\":\"%s\",\"metric\":\"%s\",\"step\":%d,"
            + "\"time\":\"%s\",\"value\":%s,\"seq\":%d}",
        RunOptions.DEFAULT_ENTITY,
        project,
        runId,
        metric,
        step,
        TIME.format(Instant.ofEpochMilli(1_700_000_000_000L + step * 1000L)),
        Double.toString(v),
        step + 1);
  }
}
