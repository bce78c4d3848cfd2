package dev.runstream.server.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runstream.query.AlertRecord;
import dev.runstream.query.CurvePoint;
import dev.runstream.query.MetricCurve;
import dev.runstream.query.MetricSummaryRow;
import dev.runstream.query.MetricValue;
import dev.runstream.query.RunFilter;
import dev.runstream.query.RunPage;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRecord;
import dev.runstream.query.RunRow;
import dev.runstream.query.RunSort;
import io.javalin.compression.CompressionStrategy;
import io.javalin.compression.Gzip;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web page that compares runs, and the JSON API it reads: every read goes through {@link
 * RunQueries}, so filters reach ClickHouse only as quoted literals.
 *
 * <p>Routes (all GET):
 *
 * <ul>
 *   <li>{@code /web/} the page (static files, uPlot from its WebJar under {@code /webjars/})
 *   <li>{@code /api/projects}
 *   <li>{@code /api/projects/{p}/metrics}
 *   <li>{@code /api/projects/{p}/runs?where=&tag=&state=&metrics=&sort=&offset=&limit=}
 *   <li>{@code /api/projects/{p}/curves?metric=&runs=&where=&tag=&state=&points=&bands=&x=} ({@code
 *       x=time} adds each bucket's time since its run's start)
 *   <li>{@code /api/projects/{p}/runs/{id}}
 *   <li>{@code /api/projects/{p}/alerts?limit=}
 * </ul>
 *
 * Errors are JSON {@code {"error": "...", "position": n}}: 400 for a bad parameter (with the
 * 1-based position of a filter's error), 404 for an unknown project or run, 503 when ClickHouse
 * does not answer.
 */
public final class WebApp {
  private static final Logger LOG = LoggerFactory.getLogger(WebApp.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern POSITION = Pattern.compile("at position (\\d+)");
  private static final MathContext DIGITS = new MathContext(6);

  /** Curve buckets unless {@code points} says otherwise. */
  public static final int DEFAULT_POINTS = 1000;

  /** The most buckets a curve may ask for. */
  public static final int MAX_POINTS = 10_000;

  private static final int FAST_GZIP_LEVEL = 1;

  /**
   * Curves carry min and max per bucket, unless {@code bands} says otherwise, up to this many runs:
   * beyond, bands would triple the bytes (1,000 runs of 1,000 buckets: about 8 MB gzipped instead
   * of 3) for lines too many to tell apart.
   */
  public static final int MAX_BANDED_RUNS = 100;

  private final Function<Context, RunQueries> scope;

  private WebApp(Function<Context, RunQueries> scope) {
    this.scope = Objects.requireNonNull(scope, "scope");
  }

  /**
   * Adds the page and its JSON API to a Javalin configuration, e.g. {@code Javalin.create(c ->
   * WebApp.register(c, queries))}. {@code queries} stays open; the caller closes it after the
   * server stopped. Use a team's view ({@link RunQueries#forTeam}) to show only its runs.
   */
  public static void register(JavalinConfig config, RunQueries queries) {
    Objects.requireNonNull(queries, "queries");
    register(config, ctx -> queries);
  }

  /**
   * Like {@link #register(JavalinConfig, RunQueries)} with the queries chosen per request, for team
   * isolation: e.g. the team of the request's API key, {@code ctx ->
   * all.forTeam(teamOf(ctx.header("Authorization")))}. When {@code scope} returns null the request
   * may read nothing: 401.
   */
  public static void register(JavalinConfig config, Function<Context, RunQueries> scope) {
    WebApp app = new WebApp(scope);
    // The curves of 1,000 runs are megabytes of JSON made per request: gzip's fastest level costs a
    // fraction of the default level's time for a few percent more bytes, on loopback and LAN alike.
    config.http.compressionStrategy = new CompressionStrategy(null, new Gzip(FAST_GZIP_LEVEL));
    config.staticFiles.add(
        files -> {
          files.hostedPath = "/web";
          files.directory = "/web";
          files.location = Location.CLASSPATH;
        });
    config.staticFiles.enableWebjars();
    config.routes.get("/web", ctx -> ctx.redirect("/web/index.html"));
    config.routes.get("/api/projects", ctx -> app.guard(ctx, () -> app.projects(ctx)));
    config.routes.get(
        "/api/projects/{project}/metrics", ctx -> app.guard(ctx, () -> app.metrics(ctx)));
    config.routes.get("/api/projects/{project}/runs", ctx -> app.guard(ctx, () -> app.runs(ctx)));
    config.routes.get(
        "/api/projects/{project}/runs/{run}", ctx -> app.guard(ctx, () -> app.run(ctx)));
    config.routes.get(
        "/api/projects/{project}/curves", ctx -> app.guard(ctx, () -> app.curves(ctx)));
    config.routes.get(
        "/api/projects/{project}/alerts", ctx -> app.guard(ctx, () -> app.alerts(ctx)));
  }

  /** A request's answer, or the failure the guard turns into a status. */
  private interface Answer {
    Object get() throws Exception;
  }

  /** A request whose sender may read nothing. */
  private static final class Unauthorized extends RuntimeException {
    Unauthorized(String message) {
      super(message);
    }
  }

  /** A request that names something that does not exist. */
  private static final class NotFound extends RuntimeException {
    NotFound(String message) {
      super(message);
    }
  }

  private void guard(Context ctx, Answer answer) {
    ctx.contentType("application/json");
    ctx.header("Cache-Control", "no-store");
    try {
      long t0 = System.nanoTime();
      Object body = answer.get();
      long t1 = System.nanoTime();
      byte[] bytes = JSON.writeValueAsBytes(body);
      // The browser's Resource Timing shows these: where a slow answer's time went (WebBench).
      ctx.header("Server-Timing", serverTiming(t1 - t0, System.nanoTime() - t1));
      ctx.result(bytes);
    } catch (Unauthorized e) {
      error(ctx, 401, e.getMessage(), null);
    } catch (NotFound e) {
      error(ctx, 404, e.getMessage(), null);
    } catch (IllegalArgumentException e) {
      Matcher m = POSITION.matcher(String.valueOf(e.getMessage()));
      error(ctx, 400, e.getMessage(), m.find() ? Integer.valueOf(m.group(1)) : null);
    } catch (Exception e) {
      // Arguments were checked above; what is left is ClickHouse not answering (refused, timed out,
      // failed): the page says so instead of showing nothing.
      LOG.warn("web: {} failed: {}", ctx.path(), e.toString());
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      // The client's own message says little ("Query request failed"); the cause says why.
      String cause = root.getMessage() != null ? root.getMessage() : root.toString();
      String why = root == e ? String.valueOf(e.getMessage()) : cause + " (" + e.getMessage() + ")";
      error(ctx, 503, "ClickHouse did not answer: " + why, null);
    }
  }

  /** {@code query}: reading ClickHouse and building the answer; {@code json}: encoding it. */
  static String serverTiming(long queryNanos, long jsonNanos) {
    return String.format(
        Locale.ROOT, "query;dur=%.1f, json;dur=%.1f", queryNanos / 1e6, jsonNanos / 1e6);
  }

  private static void error(Context ctx, int status, String message, Integer position) {
    ObjectNode body = JSON.createObjectNode().put("error", message);
    if (position != null) {
      body.put("position", position);
    }
    ctx.status(status);
    try {
      ctx.result(JSON.writeValueAsBytes(body));
    } catch (Exception e) {
      ctx.result("{\"error\":\"internal error\"}");
    }
  }

  // ---- answers ----------------------------------------------------------------------------------

  private RunQueries queries(Context ctx) {
    RunQueries queries = scope.apply(ctx);
    if (queries == null) {
      throw new Unauthorized("an API key is required to read runs");
    }
    return queries;
  }

  private Object projects(Context ctx) {
    RunQueries queries = queries(ctx);
    ArrayNode out = JSON.createArrayNode();
    queries.finder().projects().forEach(out::add);
    return out;
  }

  private String project(Context ctx) {
    RunQueries queries = queries(ctx);
    String project = ctx.pathParam("project");
    if (!queries.finder().projects().contains(project)) {
      throw new NotFound("no project named '" + project + "' has runs");
    }
    return project;
  }

  private Object metrics(Context ctx) {
    RunQueries queries = queries(ctx);
    ArrayNode out = JSON.createArrayNode();
    queries.metricNames(project(ctx)).forEach(out::add);
    return out;
  }

  private Object runs(Context ctx) {
    RunQueries queries = queries(ctx);
    String project = project(ctx);
    List<String> metrics = list(ctx, "metrics");
    int offset = intParam(ctx, "offset", 0);
    int limit = intParam(ctx, "limit", RunFilter.DEFAULT_LIMIT);
    String sort = Optional.ofNullable(ctx.queryParam("sort")).orElse("-started");
    RunPage page;
    if (sort.matches("-?config:.+")) {
      // RunSort has no config order: sort every match (the largest page the store returns) here.
      boolean descending = sort.startsWith("-");
      String key = sort.substring(sort.indexOf(':') + 1);
      RunPage all =
          queries.runs(filter(ctx, project, metrics).page(0, RunFilter.MAX_LIMIT).build());
      Comparator<RunRow> order = Comparator.comparing(r -> configValue(r, key), CONFIG_ORDER);
      if (descending) {
        order = Comparator.comparing(r -> configValue(r, key), CONFIG_ORDER.reversed());
      }
      List<RunRow> sorted =
          all.runs().stream()
              .sorted(order.thenComparing(r -> r.run().id()))
              .skip(offset)
              .limit(limit)
              .toList();
      page = new RunPage(sorted, all.total(), offset, limit);
    } else {
      page =
          queries.runs(filter(ctx, project, metrics).sort(sort(sort)).page(offset, limit).build());
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("total", page.total());
    out.put("offset", page.offset());
    out.put("limit", page.limit());
    ArrayNode rows = out.putArray("runs");
    for (RunRow row : page.runs()) {
      ObjectNode r = runJson(row.run());
      ObjectNode m = r.putObject("metrics");
      for (Map.Entry<String, MetricValue> e : row.metrics().entrySet()) {
        MetricValue v = e.getValue();
        ObjectNode mv = m.putObject(e.getKey());
        number(mv, "last", v.finalValue());
        mv.put("lastStep", v.finalStep());
        number(mv, "best", v.best());
        mv.put("bestStep", v.bestStep());
        mv.put("goal", v.goal().name());
        mv.put("points", v.points());
      }
      rows.add(r);
    }
    return out;
  }

  /** Missing keys last in either direction; numbers before text, numbers by value. */
  private static final Comparator<String> CONFIG_ORDER =
      Comparator.nullsLast(
          (a, b) -> {
            BigDecimal x = decimal(a);
            BigDecimal y = decimal(b);
            if (x != null && y != null) {
              return x.compareTo(y);
            }
            if (x != null || y != null) {
              return x != null ? -1 : 1;
            }
            return a.compareTo(b);
          });

  private static String configValue(RunRow row, String key) {
    return row.run().config().get(key);
  }

  private static BigDecimal decimal(String s) {
    try {
      return new BigDecimal(s.strip());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static RunFilter.Builder filter(Context ctx, String project, List<String> metrics) {
    RunFilter.Builder b = RunFilter.builder(project);
    List<String> tags = ctx.queryParams("tag");
    if (!tags.isEmpty()) {
      b.tagsAll(tags.toArray(String[]::new));
    }
    List<String> states = ctx.queryParams("state");
    if (!states.isEmpty()) {
      b.states(states.stream().map(String::toUpperCase).toArray(String[]::new));
    }
    String where = ctx.queryParam("where");
    if (where != null && !where.isBlank()) {
      b.where(where);
    }
    if (!metrics.isEmpty()) {
      b.metrics(metrics.toArray(String[]::new));
    }
    return b;
  }

  /**
   * {@code name}, {@code started}, {@code duration}, {@code best:m}, {@code last:m}; a leading -
   * reverses.
   */
  static RunSort sort(String text) {
    boolean descending = text.startsWith("-");
    String s = descending ? text.substring(1) : text;
    if (s.equals("name")) {
      return RunSort.name(descending);
    }
    if (s.equals("started")) {
      return RunSort.started(descending);
    }
    if (s.equals("duration")) {
      return RunSort.duration(descending);
    }
    if (s.startsWith("last:") && s.length() > 5) {
      return RunSort.finalValue(s.substring(5), descending);
    }
    if (s.startsWith("best:") && s.length() > 5) {
      // Best first, whatever the goal; a leading - puts the worst first.
      return new RunSort(RunSort.By.BEST, s.substring(5), descending);
    }
    throw new IllegalArgumentException(
        "sort must be name, started, duration, best:<metric>, last:<metric> or config:<key>,"
            + " with an"
            + " optional leading -: "
            + text);
  }

  private ObjectNode runJson(RunRecord run) {
    ObjectNode r = JSON.createObjectNode();
    r.put("id", run.id());
    r.put("name", run.name());
    r.put("state", run.state());
    ArrayNode tags = r.putArray("tags");
    run.tags().forEach(tags::add);
    ObjectNode config = r.putObject("config");
    run.config().forEach(config::put);
    r.put("group", run.group());
    r.put("jobType", run.jobType());
    r.put("notes", run.notes());
    r.put("started", run.startedAt().toEpochMilli());
    if (run.endedAt() != null) {
      r.put("ended", run.endedAt().toEpochMilli());
    }
    r.put("duration", run.duration(Instant.now()).toMillis());
    return r;
  }

  private Object run(Context ctx) throws Exception {
    RunQueries queries = queries(ctx);
    String project = project(ctx);
    String id = ctx.pathParam("run");
    RunRecord run =
        queries.runs(project).stream()
            .filter(r -> r.id().equals(id))
            .findFirst()
            .orElseThrow(() -> new NotFound("project '" + project + "' has no run '" + id + "'"));
    ObjectNode out = runJson(run);
    out.put("team", run.team());
    out.set("configJson", JSON.readTree(run.configJson().isBlank() ? "{}" : run.configJson()));
    ObjectNode summary = out.putObject("summary");
    long lastMs = 0;
    for (MetricSummaryRow s : queries.summaries(id).values()) {
      ObjectNode m = summary.putObject(s.metric());
      number(m, "last", s.last());
      m.put("lastStep", s.lastStep());
      number(m, "min", s.min());
      m.put("minStep", s.minStep());
      number(m, "max", s.max());
      m.put("maxStep", s.maxStep());
      m.put("count", s.count());
      lastMs = Math.max(lastMs, s.lastTimestampMs());
    }
    if (lastMs > 0) {
      out.put("lastLogged", lastMs);
    }
    ObjectNode system = out.putObject("system");
    for (Map.Entry<String, NavigableMap<Long, Double>> e : queries.systemPoints(id).entrySet()) {
      ArrayNode steps = JSON.createArrayNode();
      ArrayNode values = JSON.createArrayNode();
      e.getValue()
          .forEach(
              (step, value) -> {
                steps.add(step);
                addNumber(values, value);
              });
      ObjectNode m = system.putObject(e.getKey());
      m.set("x", steps);
      m.set("y", values);
    }
    out.set("alerts", alertsJson(queries.alerts(project, id, RunQueries.DEFAULT_ALERT_LIMIT)));
    return out;
  }

  private Object alerts(Context ctx) {
    RunQueries queries = queries(ctx);
    String project = project(ctx);
    int limit = intParam(ctx, "limit", RunQueries.DEFAULT_ALERT_LIMIT);
    return alertsJson(queries.alerts(project, null, limit));
  }

  private static ArrayNode alertsJson(List<AlertRecord> alerts) {
    ArrayNode out = JSON.createArrayNode();
    for (AlertRecord a : alerts) {
      ObjectNode o = out.addObject();
      o.put("run", a.runId());
      o.put("episode", a.episodeId());
      o.put("resolved", a.resolved());
      o.put("time", a.time().toEpochMilli());
      o.put("rule", a.rule());
      o.put("severity", a.severity());
      o.put("title", a.title());
      o.put("message", a.message());
      o.put("metric", a.metric());
      if (a.step() != null) {
        o.put("step", a.step());
      }
      if (a.value() != null) {
        number(o, "value", a.value());
      }
    }
    return out;
  }

  /**
   * The curves as dense arrays on the shared bucket grid: per run the first bucket index and, per
   * bucket from there, the mean (null where the run has no finite value), and min and max only when
   * some bucket holds more than one value; with {@code x=time} also {@code t}, the seconds from the
   * run's start to each bucket's earliest point. Six significant digits: what a chart shows.
   */
  private Object curves(Context ctx) {
    RunQueries queries = queries(ctx);
    String project = project(ctx);
    String metric = ctx.queryParam("metric");
    if (metric == null || metric.isBlank()) {
      throw new IllegalArgumentException("metric is required");
    }
    String x = Optional.ofNullable(ctx.queryParam("x")).orElse("step");
    if (!x.equals("step") && !x.equals("time")) {
      throw new IllegalArgumentException("x must be step or time: " + x);
    }
    boolean times = x.equals("time");
    int points = intParam(ctx, "points", DEFAULT_POINTS);
    if (points < 1 || points > MAX_POINTS) {
      throw new IllegalArgumentException("points must be 1 to " + MAX_POINTS + ": " + points);
    }
    List<String> ids = list(ctx, "runs");
    if (ids.isEmpty()
        && (ctx.queryParam("where") != null
            || !ctx.queryParams("tag").isEmpty()
            || !ctx.queryParams("state").isEmpty())) {
      ids =
          queries
              .runs(filter(ctx, project, List.of()).page(0, RunFilter.MAX_LIMIT).build())
              .runs()
              .stream()
              .map(r -> r.run().id())
              .toList();
      if (ids.isEmpty()) {
        return curvesJson(metric, 1, List.of(), false, times);
      }
    }
    List<MetricCurve> curves =
        times
            ? queries.curvesWithTimes(project, metric, ids, points)
            : queries.curves(project, metric, ids, points);
    long width = curves.isEmpty() ? 1 : curves.get(0).bucketWidth();
    String bands = ctx.queryParam("bands");
    boolean withBands =
        bands == null ? curves.size() <= MAX_BANDED_RUNS : Boolean.parseBoolean(bands);
    return curvesJson(metric, width, curves, withBands, times);
  }

  private static ObjectNode curvesJson(
      String metric, long width, List<MetricCurve> curves, boolean withBands, boolean times) {
    ObjectNode out = JSON.createObjectNode();
    out.put("metric", metric);
    out.put("bucketWidth", width);
    out.put("x", times ? "time" : "step");
    ArrayNode runs = out.putArray("runs");
    for (MetricCurve c : curves) {
      if (c.points().isEmpty()) {
        continue;
      }
      long first = c.points().get(0).firstStep() / width;
      long last = c.points().get(c.points().size() - 1).firstStep() / width;
      int n = (int) (last - first + 1);
      double[] mean = new double[n];
      double[] min = new double[n];
      double[] max = new double[n];
      double[] seconds = new double[n];
      Arrays.fill(seconds, Double.NaN);
      Arrays.fill(mean, Double.NaN);
      Arrays.fill(min, Double.NaN);
      Arrays.fill(max, Double.NaN);
      boolean spread = false;
      for (CurvePoint p : c.points()) {
        int i = (int) (p.firstStep() / width - first);
        mean[i] = p.mean();
        min[i] = p.min();
        max[i] = p.max();
        if (p.elapsedMs() != CurvePoint.NO_TIME) {
          seconds[i] = p.elapsedMs() / 1000.0;
        }
        spread |= p.finitePoints() > 1 && p.min() != p.max();
      }
      ObjectNode r = runs.addObject();
      r.put("id", c.runId());
      r.put("start", first);
      r.set("mean", array(mean));
      if (times) {
        r.set("t", array(seconds));
      }
      if (spread && withBands) {
        r.set("min", array(min));
        r.set("max", array(max));
      }
    }
    return out;
  }

  private static ArrayNode array(double[] values) {
    ArrayNode a = JSON.createArrayNode();
    for (double v : values) {
      addNumber(a, v);
    }
    return a;
  }

  /** JSON has no NaN or infinity: those become null. */
  private static void addNumber(ArrayNode a, double v) {
    if (Double.isFinite(v)) {
      a.add(round(v));
    } else {
      a.addNull();
    }
  }

  private static void number(ObjectNode o, String field, double v) {
    if (Double.isFinite(v)) {
      o.put(field, round(v));
    } else {
      o.putNull(field);
    }
  }

  /** Powers of ten from 1e-15 to 1e15, exact as doubles up to 1e22 and exact inverses below 1. */
  private static final double[] POWERS = new double[31];

  static {
    for (int i = 0; i < POWERS.length; i++) {
      POWERS[i] = Math.pow(10, Math.abs(i - 15));
    }
  }

  /**
   * {@code v} to six significant digits, trailing zeros stripped. A curve answer has up to a
   * million numbers: scaling to a six-digit integer costs a quarter of the exact {@code new
   * BigDecimal(v).round(...)} (834,000 values: 0.4 s instead of 1.9 s on a busy 2-core machine),
   * which remains for magnitudes beyond 1e&plusmn;15 and where the scaled value sits on a rounding
   * boundary.
   */
  static BigDecimal round(double v) {
    if (v == 0) {
      return BigDecimal.ZERO;
    }
    int scale = 5 - (int) Math.floor(Math.log10(Math.abs(v)));
    if (scale < -15 || scale > 15) {
      return new BigDecimal(v).round(DIGITS).stripTrailingZeros();
    }
    double scaled = scale >= 0 ? v * POWERS[scale + 15] : v / POWERS[15 - scale];
    double fraction = Math.abs(scaled - Math.rint(scaled));
    if (Math.abs(fraction - 0.5) < 1e-6) {
      // Near a half: the product's rounding error could pick the wrong neighbour.
      return new BigDecimal(v).round(DIGITS).stripTrailingZeros();
    }
    long m = Math.round(scaled);
    if (Math.abs(m) >= 1_000_000) {
      // log10 rounded up to the next power (e.g. 999999.7): one digit fewer.
      return new BigDecimal(v).round(DIGITS).stripTrailingZeros();
    }
    while (m % 10 == 0) {
      m /= 10;
      scale--;
    }
    return BigDecimal.valueOf(m, scale);
  }

  private static List<String> list(Context ctx, String name) {
    List<String> out = new ArrayList<>();
    for (String value : ctx.queryParams(name)) {
      for (String part : value.split(",")) {
        if (!part.isBlank()) {
          out.add(part.strip());
        }
      }
    }
    return out;
  }

  private static int intParam(Context ctx, String name, int fallback) {
    String value = ctx.queryParam(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number: " + value);
    }
  }
}
