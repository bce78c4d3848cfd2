package dev.runstream.server.web;

import com.clickhouse.client.api.Client;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.RunQueries;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.RollupLevels;
import dev.runstream.query.internal.Tables;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunStarted;
import dev.runstream.sink.ClickHouseSchema;
import dev.runstream.sink.internal.EncodedRows;
import dev.runstream.sink.internal.RecordMapper;
import dev.runstream.sink.internal.Rollups;
import dev.runstream.sink.internal.TableWriter;
import io.javalin.Javalin;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page's benchmark, run by hand (never by {@code verify}): with 1,000 runs x 10,000 steps
 * of {@code loss} stored, the time from navigation to the chart of all runs drawn in Debian's
 * headless Chromium, split with the browser's Performance API into the wait before the curves are
 * asked for (page, metric names, runs table), the server's time (its {@code Server-Timing}: query
 * and JSON encoding), the transfer (bytes on the wire and time), parsing and drawing (the page's
 * {@code performance.mark}s); beside the same chart limited to W&amp;B's run count and MLflow's,
 * and the runs table of 10,000 runs (time to its first rows drawn).
 *
 * <p>It measures reads, so the points are loaded straight into the tables the sink writes with
 * {@code INSERT ... SELECT FROM numbers(n)} (10 M points through Kafka would take many minutes
 * here) and rolled up by the sink's own backfill statements; runs are written with the sink's
 * {@code RecordMapper}, as {@code SinkBench query} does. Only ClickHouse of the local stack runs.
 * Each scenario is loaded once to warm up, then {@code repeats} times; medians are printed.
 *
 * <p>Arguments: {@code [repeats] [runs] [steps] [tableRuns]}, default 5, 1000, 10000, 10000. See
 * server/README.md for the command and the figures.
 */
public final class WebBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DB = "bench_web";
  private static final String CHART_PROJECT = "bench";
  private static final String TABLE_PROJECT = "bench-table";
  private static final Duration PAGE_TIMEOUT = Duration.ofMinutes(3);

  /** What the page exposes once a view is drawn: marks, and the API calls' Resource Timing. */
  private static final String COLLECT =
      """
      const mark = (n) => { const e = performance.getEntriesByName(n, 'mark'); \
      return e.length ? e[0].startTime : null; };
      const api = performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/'))
        .map((r) => ({ name: r.name, start: r.startTime, requestStart: r.requestStart,
          responseStart: r.responseStart, responseEnd: r.responseEnd,
          transferSize: r.transferSize, encodedBodySize: r.encodedBodySize,
          decodedBodySize: r.decodedBodySize,
          server: Object.fromEntries(r.serverTiming.map((s) => [s.name, s.duration])) }));
      const curves = Object.values(data.curves);
      return JSON.stringify({
        rowsDrawn: mark('rs:rows-drawn'), curvesLoaded: mark('rs:curves-loaded'),
        drawStart: mark('rs:draw-start'), chartsDrawn: mark('rs:charts-drawn'),
        tableRuns: data.runs.length,
        chartRuns: curves.reduce((n, c) => n + c.runs.length, 0),
        points: curves.reduce((n, c) => n + c.runs.reduce((m, r) => m + r.mean.length, 0), 0),
        api });
      """;

  private WebBench() {}

  /** One view of the page to measure. */
  private record Scenario(String name, String query, boolean chart) {}

  /** One load of a view, in ms from navigation start; bytes of the answer the view waits for. */
  private record Sample(
      int runs,
      long points,
      double before,
      double query,
      double json,
      double firstByte,
      double transferBytes,
      double bodyBytes,
      double transfer,
      double parse,
      double draw,
      double total) {}

  public static void main(String[] args) throws Exception {
    int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
    int tableRuns = args.length > 3 ? Integer.parseInt(args[3]) : 10_000;
    Path dir = Path.of(System.getProperty("basedir", "."), "target");
    Files.createDirectories(dir);
    try (LocalStack stack =
        LocalStack.builder().withKafka(false).withSchemaRegistry(false).start()) {
      // Loading and rolling up 10 M points takes minutes on a busy machine.
      Client client =
          ClickHouseHttp.newClient(
              stack.clickhouseUrl(), "default", "", Duration.ofMinutes(30), "runstream-web-bench");
      try (ClickHouseHttp http = new ClickHouseHttp(client, true, Duration.ofMinutes(30))) {
        load(http, client, runs, steps, tableRuns);
      }
      // The server's own client, as `runstream server` builds it.
      try (RunQueries queries = RunQueries.connect(stack.clickhouseUrl(), "default", "", DB)) {
        Javalin server =
            Javalin.create(config -> WebApp.register(config, queries)).start("127.0.0.1", 0);
        try {
          String base = "http://127.0.0.1:" + server.port() + "/web/index.html";
          // Before the browser, whose page would poll meanwhile.
          storeOnly(queries, repeats);
          ChromeDriver browser = Chromium.start(dir);
          try {
            measure(browser, base, repeats, runs, steps, tableRuns);
          } finally {
            browser.quit();
          }
        } finally {
          server.stop();
        }
      }
    }
  }

  // ---- data -------------------------------------------------------------------------------------

  private static void load(ClickHouseHttp http, Client client, int runs, int steps, int tableRuns)
      throws Exception {
    long t0 = System.nanoTime();
    http.execute("DROP DATABASE IF EXISTS " + DB);
    ClickHouseSchema.migrate(client, DB);
    writeRuns(http, CHART_PROJECT, "run-", runs);
    writeRuns(http, TABLE_PROJECT, "tbl-", tableRuns);
    // A decaying loss per run, its rate set by the run's index, with a little noise.
    http.execute(
        String.format(
            Locale.ROOT,
            "INSERT INTO %1$s.metrics (team, project, run_id, metric, step, time, value, seq)"
                + " SELECT 'acme', '%2$s', concat('run-', substring(toString(100000 +"
                + " intDiv(number, %3$d)), 2)), 'loss', number %% %3$d, toDateTime(1700000000 +"
                + " number %% %3$d), 0.1 + 2 * exp(-(number %% %3$d) / (500 + intDiv(number, %3$d)"
                + " * 10)) + (cityHash64(number) %% 1000) / 1e4, 1 FROM numbers(%4$d)",
            DB,
            CHART_PROJECT,
            steps,
            (long) runs * steps));
    for (String sql : Rollups.backfillStatements(RollupLevels.LEVELS)) {
      http.execute(String.format(sql, "`" + DB + "`", "String", ""));
    }
    // What the processor would have written: each run's state and its summary of loss (the page
    // lists metric names from the summaries).
    http.execute(
        String.format(
            Locale.ROOT,
            "INSERT INTO %1$s.metric_summaries (team, project, run_id, metric, updated_ms, count,"
                + " finite_count, sum, min, min_step, max, max_step, first, first_step, last,"
                + " last_step, last_timestamp_ms, nan_count, inf_count, ema, em_var, best,"
                + " best_step, goal) SELECT team, project, run_id, metric, 1, count(), count(),"
                + " sum(value), min(value), argMin(step, value), max(value), argMax(step, value),"
                + " argMin(value, step), min(step), argMax(value, step), max(step),"
                + " toInt64(max(time)) * 1000, 0, 0, argMax(value, step), 0, min(value),"
                + " argMin(step, value), 'MINIMIZE' FROM %1$s.metrics GROUP BY team, project,"
                + " run_id, metric",
            DB));
    for (String[] p :
        List.of(
            new String[] {CHART_PROJECT, "run-", Integer.toString(runs)},
            new String[] {TABLE_PROJECT, "tbl-", Integer.toString(tableRuns)})) {
      http.execute(
          String.format(
              Locale.ROOT,
              "INSERT INTO %1$s.run_states (team, project, run_id, state, updated_ms, started_ms,"
                  + " finished_ms, exit_code, last_seen_ms, name) SELECT 'acme', '%2$s',"
                  + " concat('%3$s', substring(toString(100000 + number), 2)), 'FINISHED', 2,"
                  + " 1700000000000 + number, 1700010000000 + number, 0, 1700010000000 + number,"
                  + " concat('%3$s', toString(number)) FROM numbers(%4$s)",
              DB,
              p[0],
              p[1],
              p[2]));
    }
    System.out.printf(
        Locale.ROOT,
        "loaded %,d runs x %,d steps of loss (%,d points) and %,d table runs in %.1f s;"
            + " rollup rows: %s%n",
        runs,
        steps,
        (long) runs * steps,
        tableRuns,
        (System.nanoTime() - t0) / 1e9,
        http.queryJson(
                "SELECT groupArray(concat(toString(width), ':', toString(c))) AS w FROM (SELECT"
                    + " width, count() AS c FROM "
                    + DB
                    + ".metric_rollups GROUP BY width ORDER BY width)")
            .get(0)
            .get("w"));
  }

  /** Runs as the sink writes them from RunStarted: a few config keys, idx to filter by. */
  private static void writeRuns(ClickHouseHttp http, String project, String prefix, int runs)
      throws Exception {
    TableWriter writer = TableWriter.clickHouse(http, DB);
    Map<String, ByteArrayOutputStream> bytes = new HashMap<>();
    Map<String, Integer> rows = new HashMap<>();
    String[] optimizers = {"adam", "sgd", "adamw"};
    for (int i = 0; i < runs; i++) {
      String id = prefix + String.format(Locale.ROOT, "%05d", i);
      String config =
          String.format(
              Locale.ROOT,
              "{\"idx\": %d, \"lr\": %s, \"optimizer\": \"%s\", \"batch_size\": %d,"
                  + " \"dropout\": %s}",
              i,
              new double[] {0.1, 0.01, 0.001, 0.0001}[i % 4],
              optimizers[i % 3],
              32 << (i % 4),
              (i % 5) / 10.0);
      RunEvent started =
          RunEvent.newBuilder()
              .setRunId(id)
              .setEntity("acme")
              .setProject(project)
              .setTimestampMs(1_700_000_000_000L + i)
              .setPayload(
                  RunStarted.newBuilder()
                      .setName(prefix + i)
                      .setTags(List.of(i % 2 == 0 ? "even" : "odd"))
                      .setConfigJson(config)
                      .build())
              .build();
      for (EncodedRows e : RecordMapper.runEvent(started)) {
        bytes.computeIfAbsent(e.table(), t -> new ByteArrayOutputStream()).write(e.bytes());
        rows.merge(e.table(), e.rows(), Integer::sum);
      }
    }
    for (String table : List.of(Tables.RUNS, Tables.RUN_EVENTS, Tables.RUN_ATTRIBUTES)) {
      writer.insert(table, bytes.get(table).toByteArray(), rows.get(table));
    }
  }

  // ---- the browser ------------------------------------------------------------------------------

  private static void measure(
      ChromeDriver browser, String base, int repeats, int runs, int steps, int tableRuns)
      throws Exception {
    List<Scenario> scenarios =
        List.of(
            new Scenario(
                "chart, all runs (W&B's most per workspace: 1,000)",
                "project=" + CHART_PROJECT + "&metrics=loss",
                true),
            new Scenario(
                "chart, MLflow's 100 runs",
                "project=" + CHART_PROJECT + "&metrics=loss&where=" + encode("idx < 100"),
                true),
            new Scenario(
                "chart, 10 runs",
                "project=" + CHART_PROJECT + "&metrics=loss&where=" + encode("idx < 10"),
                true),
            new Scenario("runs table, first rows", "project=" + TABLE_PROJECT, false));
    System.out.printf(
        Locale.ROOT,
        "%nmedians of %d page loads each after one warm-up; ms from navigation start; the chart"
            + " asks for one point per pixel of its width, at most 1,000, per run (%,d steps stored per run)%n",
        repeats,
        steps);
    String header =
        String.format(
            Locale.ROOT,
            "%-50s %6s %9s %8s %7s %6s %8s %10s %10s %8s %7s %7s %8s",
            "scenario",
            "runs",
            "points",
            "before",
            "query",
            "json",
            "1st byte",
            "wire bytes",
            "body bytes",
            "transfer",
            "parse",
            "draw",
            "total");
    System.out.println(loadAverage());
    System.out.println(header);
    for (Scenario s : scenarios) {
      load(browser, base, s); // warm-up: the server's JIT, ClickHouse's caches
      List<Sample> samples = new ArrayList<>();
      for (int i = 0; i < repeats; i++) {
        samples.add(load(browser, base, s));
      }
      Sample first = samples.get(0);
      System.out.printf(
          Locale.ROOT,
          "%-50s %6d %9d %8.0f %7.0f %6.0f %8.0f %10.0f %10.0f %8.0f %7.0f %7.0f %8.0f%n",
          s.name(),
          first.runs(),
          first.points(),
          median(samples, Sample::before),
          median(samples, Sample::query),
          median(samples, Sample::json),
          median(samples, Sample::firstByte),
          median(samples, Sample::transferBytes),
          median(samples, Sample::bodyBytes),
          median(samples, Sample::transfer),
          median(samples, Sample::parse),
          median(samples, Sample::draw),
          median(samples, Sample::total));
    }
    System.out.println(loadAverage());
    System.out.println(
        "before: until the answer the view waits for was asked for (page, metric names and, for"
            + " charts, the runs table); query, json: the server's Server-Timing of that answer;"
            + " 1st byte: request sent to first byte; transfer: first to last byte; parse: last"
            + " byte to JSON parsed; draw: charts drawn (rows, for the table) after parsing;"
            + " total: navigation to drawn");
  }

  /** The store's part of the curves answer: {@link RunQueries#curves} alone, no JSON. */
  private static void storeOnly(RunQueries queries, int repeats) {
    queries.curves(CHART_PROJECT, "loss", List.of(), WebApp.DEFAULT_POINTS); // warm-up
    double[] ms = new double[repeats];
    int curves = 0;
    for (int i = 0; i < repeats; i++) {
      long t0 = System.nanoTime();
      curves = queries.curves(CHART_PROJECT, "loss", List.of(), WebApp.DEFAULT_POINTS).size();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    System.out.printf(
        Locale.ROOT,
        "RunQueries.curves of all %d runs alone (ClickHouse and its client; part of the chart's"
            + " query below), median %.0f ms%n",
        curves,
        ms[repeats / 2]);
  }

  private static Sample load(ChromeDriver browser, String base, Scenario s) throws Exception {
    browser.get("about:blank");
    browser.get(base + "?" + s.query());
    String done = s.chart() ? "rs:charts-drawn" : "rs:rows-drawn";
    new WebDriverWait(browser, PAGE_TIMEOUT)
        .pollingEvery(Duration.ofMillis(50))
        .until(
            d ->
                (Boolean)
                    ((JavascriptExecutor) d)
                        .executeScript(
                            "const e = document.getElementById('error');"
                                + " if (e && !e.hidden && e.textContent) throw new Error("
                                + "'the page shows an error: ' + e.textContent);"
                                + " return performance.getEntriesByName(arguments[0], 'mark')"
                                + ".length > 0",
                            done));
    JsonNode m = JSON.readTree((String) browser.executeScript(COLLECT));
    JsonNode answer = null;
    for (JsonNode r : m.get("api")) {
      String path = r.get("name").asText();
      if (s.chart() ? path.contains("/curves?") : path.contains("/runs?")) {
        answer = r; // the first: a poll asks again every 5 s
        break;
      }
    }
    if (answer == null) {
      throw new IllegalStateException(s.name() + ": the page made no request for its data: " + m);
    }
    double parsed = s.chart() ? m.get("curvesLoaded").asDouble() : Double.NaN;
    double drawn = s.chart() ? m.get("chartsDrawn").asDouble() : m.get("rowsDrawn").asDouble();
    double end = answer.get("responseEnd").asDouble();
    return new Sample(
        s.chart() ? m.get("chartRuns").asInt() : m.get("tableRuns").asInt(),
        m.get("points").asLong(),
        answer.get("start").asDouble(),
        answer.path("server").path("query").asDouble(Double.NaN),
        answer.path("server").path("json").asDouble(Double.NaN),
        answer.get("responseStart").asDouble() - answer.get("requestStart").asDouble(),
        answer.get("transferSize").asDouble(),
        answer.get("decodedBodySize").asDouble(),
        end - answer.get("responseStart").asDouble(),
        s.chart() ? parsed - end : Double.NaN,
        s.chart() ? drawn - m.get("drawStart").asDouble() : drawn - end,
        drawn);
  }

  /** The machine's load, printed beside the figures: on a shared machine they depend on it. */
  private static String loadAverage() throws java.io.IOException {
    Path proc = Path.of("/proc/loadavg");
    return Files.isReadable(proc)
        ? "load average (1, 5, 15 min): " + Files.readString(proc).strip()
        : "load average: unknown";
  }

  private static double median(List<Sample> samples, ToDoubleFunction<Sample> f) {
    double[] v = samples.stream().mapToDouble(f).toArray();
    Arrays.sort(v);
    return v[v.length / 2];
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
