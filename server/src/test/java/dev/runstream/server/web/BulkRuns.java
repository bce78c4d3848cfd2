package dev.runstream.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.deploy.LocalStack;
import dev.runstream.sink.SinkConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/**
 * A project of {@value #RUNS} finished runs, written straight into the sink's tables ({@code runs}
 * and {@code run_states}) with two {@code INSERT ... SELECT}s: how a large workspace looks to the
 * page, in a second instead of the minutes the SDK and the pipeline would take. Run {@code i} is
 * named {@code bulk-i}, started {@code i} seconds after {@link #T0_SECONDS} and ran {@code i %
 * 1000} seconds. Written once per test JVM, after {@link WebFixture} created the tables.
 */
final class BulkRuns {
  static final String PROJECT = "bulk";
  static final int RUNS = 10_000;
  static final long T0_SECONDS = 1_700_000_000L;

  private static boolean written;

  private BulkRuns() {}

  static synchronized void ensure(LocalStack stack) throws Exception {
    if (written) {
      return;
    }
    String db = SinkConfig.DEFAULT_DATABASE;
    String id = "concat('bulk-id-', toString(number))";
    String name = "concat('bulk-', toString(number))";
    String startMs = "toInt64((" + T0_SECONDS + " + number) * 1000)";
    String endMs = "toInt64((" + T0_SECONDS + " + number + number % 1000) * 1000)";
    insert(
        stack,
        "INSERT INTO "
            + db
            + ".runs (team, project, run_id, name, tags, config_json, started_at, version)"
            + " SELECT 'default', '"
            + PROJECT
            + "', "
            + id
            + ", "
            + name
            + ", ['bulk'], concat('{\"seed\": ', toString(number % 7), '}'), toDateTime("
            + T0_SECONDS
            + " + number), toUInt64("
            + startMs
            + ") FROM system.numbers LIMIT "
            + RUNS);
    insert(
        stack,
        "INSERT INTO "
            + db
            + ".run_states (team, project, run_id, state, updated_ms, started_ms, finished_ms,"
            + " exit_code, last_seen_ms, name) SELECT 'default', '"
            + PROJECT
            + "', "
            + id
            + ", 'FINISHED', toUInt64(1), "
            + startMs
            + ", "
            + endMs
            + ", 0, "
            + endMs
            + ", "
            + name
            + " FROM system.numbers LIMIT "
            + RUNS);
    written = true;
  }

  private static void insert(LocalStack stack, String sql) throws Exception {
    HttpResponse<String> res =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(stack.clickhouseUrl() + "/"))
                    .POST(HttpRequest.BodyPublishers.ofString(sql, StandardCharsets.UTF_8))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as("%s: %s", sql, res.body()).isEqualTo(200);
  }
}
