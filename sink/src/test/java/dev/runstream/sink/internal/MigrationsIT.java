package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.clickhouse.client.api.Client;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.Tables;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.Severity;
import dev.runstream.sink.ClickHouseSchema;
import dev.runstream.testing.LocalStackExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The migrations on the real ClickHouse 18.16: recorded, idempotent, safe to race. */
@ExtendWith(LocalStackExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MigrationsIT {
  private final LocalStack stack;
  private final String database =
      "itm_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private Client client;
  private ClickHouseHttp http;

  MigrationsIT(LocalStack stack) {
    this.stack = stack;
  }

  @BeforeEach
  void setUp() {
    client = ClickHouseHttp.newClient(stack.clickhouseUrl(), "default", "");
    http = new ClickHouseHttp(client, false);
  }

  @AfterEach
  void tearDown() {
    http.execute("DROP DATABASE IF EXISTS " + database);
    client.close();
  }

  @Test
  void shouldApplyEveryMigrationOnceEvenWhenTwoSinksStartTogether() throws Exception {
    ExecutorService two = Executors.newFixedThreadPool(2);
    try {
      Callable<List<Integer>> migrate = () -> ClickHouseSchema.migrate(client, database);
      List<Future<List<Integer>>> results = new ArrayList<>();
      results.add(two.submit(migrate));
      results.add(two.submit(migrate));
      for (Future<List<Integer>> result : results) {
        // Each applied what it found missing; both may have applied all of it.
        assertThat(result.get(2, TimeUnit.MINUTES)).isSubsetOf(1, 2, 3, 4);
      }
    } finally {
      two.shutdownNow();
    }
    assertThat(ClickHouseSchema.migrate(client, database)).as("current now").isEmpty();
    assertThat(
            http.queryJson(
                "SELECT version, description FROM "
                    + database
                    + ".schema_migrations FINAL ORDER BY version"))
        .extracting(r -> r.get("version").asInt())
        .containsExactly(1, 2, 3, 4);
    assertThat(
            http.queryJson(
                "SELECT name, type FROM system.columns WHERE database = '"
                    + database
                    + "' AND name = 'at' ORDER BY table"))
        .extracting(r -> r.get("type").asText())
        .containsExactly("DateTime", "DateTime");
  }

  @Test
  void shouldShowAnAlertsMillisecondsAsATimeWithoutTheSinkNamingTheColumn() throws Exception {
    ClickHouseSchema.migrate(client, database);
    Alert alert =
        Alert.newBuilder()
            .setRunId("r")
            .setTimestampMs(1_700_000_000_999L)
            .setRule("user")
            .setSeverity(Severity.INFO)
            .setMessage("m")
            .setEpisodeId("e")
            .build();
    EncodedRows rows = RecordMapper.alert(alert);
    TableWriter.clickHouse(http, database).insert(Tables.ALERTS, rows.bytes(), rows.rows());
    assertThat(
            http.queryJson("SELECT toUnixTimestamp(at) AS s FROM " + database + ".alerts")
                .get(0)
                .get("s")
                .asLong())
        .as("seconds on 18.16, which has no DateTime64")
        .isEqualTo(1_700_000_000L);
  }
}
