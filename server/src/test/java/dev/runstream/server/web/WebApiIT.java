package dev.runstream.server.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.deploy.LocalStack;
import dev.runstream.query.RunQueries;
import dev.runstream.testing.LocalStackExtension;
import io.javalin.Javalin;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The web page's JSON API against the real stack, with runs written through the SDK. */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class WebApiIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private WebFixture web;

  @BeforeAll
  void start(LocalStack stack) {
    web = WebFixture.get(stack);
  }

  private record Answer(int status, JsonNode body) {}

  private Answer get(String path) throws Exception {
    return get(web.baseUrl, path);
  }

  private Answer get(String base, String path) throws Exception {
    HttpResponse<String> res =
        http.send(
            HttpRequest.newBuilder(URI.create(base + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(res.headers().firstValue("content-type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    return new Answer(res.statusCode(), JSON.readTree(res.body()));
  }

  private static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static List<String> names(JsonNode runs) {
    List<String> out = new ArrayList<>();
    runs.forEach(r -> out.add(r.get("name").asText()));
    return out;
  }

  @Test
  void listsProjectsAndMetrics() throws Exception {
    assertThat(get("/api/projects").body()).extracting(JsonNode::asText).contains("vision");
    Answer metrics = get("/api/projects/vision/metrics");
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body()).extracting(JsonNode::asText).containsExactly("acc", "loss");
  }

  @Test
  void runsCarryStateTagsConfigAndMetricColumns() throws Exception {
    Answer a = get("/api/projects/vision/runs?metrics=loss&limit=100");
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.body().get("total").asLong()).isEqualTo(WebFixture.RUNS);
    JsonNode runs = a.body().get("runs");
    assertThat(names(runs)).containsExactlyInAnyOrderElementsOf(web.ids.keySet());
    for (JsonNode r : runs) {
      String name = r.get("name").asText();
      assertThat(r.get("id").asText()).isEqualTo(web.ids.get(name));
      assertThat(r.get("state").asText())
          .isEqualTo(name.equals("run-" + (WebFixture.RUNS - 1)) ? "FAILED" : "FINISHED");
      assertThat(r.get("config").get("optimizer").asText())
          .isEqualTo(web.configs.get(name).get("optimizer"));
      assertThat(r.get("config").get("comment").asText())
          .isEqualTo("it's \"quoted\"; DELETE FROM runs");
      NavigableMap<Long, Double> loss = web.logged.get(name).get("loss");
      JsonNode m = r.get("metrics").get("loss");
      assertThat(m.get("last").asDouble()).isCloseTo(loss.lastEntry().getValue(), within(1e-5));
      assertThat(m.get("lastStep").asLong()).isEqualTo(WebFixture.STEPS - 1);
      double best = loss.values().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
      assertThat(m.get("best").asDouble()).isCloseTo(best, within(1e-5));
    }
    JsonNode sqlRun = runs.get(names(runs).indexOf(WebFixture.SQL_NAME));
    assertThat(sqlRun.get("tags"))
        .extracting(JsonNode::asText)
        .containsExactly("sweep", "baseline");
  }

  @Test
  void filtersByWhereTagAndStateAndPages() throws Exception {
    Answer lr = get("/api/projects/vision/runs?where=" + q("lr < 0.05 and optimizer = 'adam'"));
    assertThat(lr.status()).isEqualTo(200);
    List<String> expected =
        web.configs.entrySet().stream()
            .filter(e -> (double) e.getValue().get("lr") < 0.05)
            .filter(e -> e.getValue().get("optimizer").equals("adam"))
            .map(Map.Entry::getKey)
            .toList();
    assertThat(names(lr.body().get("runs"))).containsExactlyInAnyOrderElementsOf(expected);

    Answer tag = get("/api/projects/vision/runs?tag=baseline");
    assertThat(tag.body().get("total").asLong()).isEqualTo(4);
    Answer sqlTag = get("/api/projects/vision/runs?tag=" + q(WebFixture.SQL_TAG));
    assertThat(names(sqlTag.body().get("runs"))).containsExactly("run-1");

    Answer failed = get("/api/projects/vision/runs?state=failed");
    assertThat(names(failed.body().get("runs"))).containsExactly("run-" + (WebFixture.RUNS - 1));

    Answer page = get("/api/projects/vision/runs?sort=name&offset=2&limit=3");
    assertThat(page.body().get("total").asLong()).isEqualTo(WebFixture.RUNS);
    List<String> sorted = new ArrayList<>(web.ids.keySet());
    sorted.sort(null);
    assertThat(names(page.body().get("runs"))).containsExactlyElementsOf(sorted.subList(2, 5));
  }

  @Test
  void sortsByConfigAndByBestMetric() throws Exception {
    Answer byLr = get("/api/projects/vision/runs?sort=config:lr&limit=100");
    List<Double> lrs = new ArrayList<>();
    byLr.body().get("runs").forEach(r -> lrs.add(r.get("config").get("lr").asDouble()));
    assertThat(lrs).hasSize(WebFixture.RUNS).isSorted();
    Answer bySeedDesc = get("/api/projects/vision/runs?sort=-config:seed&limit=100");
    List<Integer> seeds = new ArrayList<>();
    bySeedDesc.body().get("runs").forEach(r -> seeds.add(r.get("config").get("seed").asInt()));
    // Numerically: 11 before 2, which text order would not give.
    assertThat(seeds).startsWith(11, 10, 9).endsWith(1, 0);

    Answer best = get("/api/projects/vision/runs?sort=best:loss&metrics=loss&limit=100");
    List<Double> bests = new ArrayList<>();
    best.body()
        .get("runs")
        .forEach(r -> bests.add(r.get("metrics").get("loss").get("best").asDouble()));
    assertThat(bests).hasSize(WebFixture.RUNS).isSorted();
  }

  @Test
  void aBadFilterIsA400WithItsPositionAndSqlIsNeverExecuted() throws Exception {
    Answer bad = get("/api/projects/vision/runs?where=" + q("lr < 0.01; DROP TABLE runs"));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.body().get("error").asText()).contains("position 10");
    assertThat(bad.body().get("position").asInt()).isEqualTo(10);

    // A value with quotes and SQL is compared as text: it matches nothing and runs nothing.
    Answer injected = get("/api/projects/vision/runs?where=" + q("optimizer = 'adam'' OR 1=1 --'"));
    assertThat(injected.status()).isEqualTo(200);
    assertThat(injected.body().get("total").asLong()).isZero();
    Answer key = get("/api/projects/vision/runs?where=" + q("`lr') OR 1=1 --` exists"));
    assertThat(key.status()).isEqualTo(200);
    assertThat(key.body().get("total").asLong()).isZero();

    Answer badSort = get("/api/projects/vision/runs?sort=" + q("name; DROP TABLE runs"));
    assertThat(badSort.status()).isEqualTo(400);
    assertThat(badSort.body().get("error").asText()).startsWith("sort must be");
    Answer badLimit = get("/api/projects/vision/runs?limit=" + q("1 OR 1=1"));
    assertThat(badLimit.status()).isEqualTo(400);

    Answer metricSql = get("/api/projects/vision/curves?metric=" + q("loss' OR '1'='1"));
    assertThat(metricSql.status()).isEqualTo(200);
    assertThat(metricSql.body().get("runs")).isEmpty();
    Answer runSql = get("/api/projects/vision/runs/" + q("x' OR '1'='1"));
    assertThat(runSql.status()).isEqualTo(404);

    // Every run is still there: nothing was dropped or deleted.
    assertThat(get("/api/projects/vision/runs").body().get("total").asLong())
        .isEqualTo(WebFixture.RUNS);
  }

  @Test
  void anUnknownProjectIsA404WithAMessage() throws Exception {
    Answer a = get("/api/projects/nope/runs");
    assertThat(a.status()).isEqualTo(404);
    assertThat(a.body().get("error").asText()).isEqualTo("no project named 'nope' has runs");
    Answer sql = get("/api/projects/" + q("vision' OR '1'='1") + "/curves?metric=loss");
    assertThat(sql.status()).isEqualTo(404);
  }

  @Test
  void curvesAreDenseArraysOnTheSharedGridWithMinAndMax() throws Exception {
    Answer full = get("/api/projects/vision/curves?metric=loss&points=1000");
    assertThat(full.status()).isEqualTo(200);
    assertThat(full.body().get("bucketWidth").asLong()).isEqualTo(1);
    JsonNode runs = full.body().get("runs");
    assertThat(runs).hasSize(WebFixture.RUNS);
    for (JsonNode r : runs) {
      String name =
          web.ids.entrySet().stream()
              .filter(e -> e.getValue().equals(r.get("id").asText()))
              .findFirst()
              .orElseThrow()
              .getKey();
      NavigableMap<Long, Double> loss = web.logged.get(name).get("loss");
      assertThat(r.get("start").asLong()).isZero();
      assertThat(r.get("mean")).hasSize(WebFixture.STEPS);
      for (int step = 0; step < WebFixture.STEPS; step++) {
        assertThat(r.get("mean").get(step).asDouble())
            .isCloseTo(loss.get((long) step), within(loss.get((long) step) * 1e-5));
      }
      assertThat(r.has("min")).as("one value per bucket: no band").isFalse();
    }

    Answer coarse =
        get("/api/projects/vision/curves?metric=loss&points=20&runs=" + web.ids.get("run-3"));
    JsonNode run = coarse.body().get("runs").get(0);
    assertThat(coarse.body().get("runs")).hasSize(1);
    long width = coarse.body().get("bucketWidth").asLong();
    assertThat(width).isGreaterThan(1);
    assertThat(run.get("mean").size()).isLessThanOrEqualTo(20);
    NavigableMap<Long, Double> loss = web.logged.get("run-3").get("loss");
    for (int b = 0; b < run.get("mean").size(); b++) {
      long from = b * width;
      NavigableMap<Long, Double> bucket = loss.subMap(from, true, from + width, false);
      double min = bucket.values().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
      double max = bucket.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
      assertThat(run.get("min").get(b).asDouble()).isCloseTo(min, within(1e-5));
      assertThat(run.get("max").get(b).asDouble()).isCloseTo(max, within(1e-5));
    }

    Answer noBands =
        get(
            "/api/projects/vision/curves?metric=loss&points=20&bands=false&runs="
                + web.ids.get("run-3"));
    assertThat(noBands.body().get("runs").get(0).has("min")).isFalse();
    assertThat(noBands.body().get("runs").get(0).get("mean")).isEqualTo(run.get("mean"));

    HttpResponse<byte[]> gzipped =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(web.baseUrl + "/api/projects/vision/curves?metric=loss"))
                .header("Accept-Encoding", "gzip")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(gzipped.headers().firstValue("content-encoding")).hasValue("gzip");

    Answer tagged = get("/api/projects/vision/curves?metric=acc&tag=baseline");
    assertThat(tagged.body().get("runs")).hasSize(4);
    Answer wall = get("/api/projects/vision/curves?metric=acc&x=wall");
    assertThat(wall.status()).isEqualTo(400);
    assertThat(wall.body().get("error").asText()).isEqualTo("x must be step or time: wall");
  }

  @Test
  void curvesByTimeCarryEachBucketsSecondsSinceItsRunStarted() throws Exception {
    Answer steps = get("/api/projects/vision/curves?metric=loss&points=50");
    Answer time = get("/api/projects/vision/curves?metric=loss&points=50&x=time");
    assertThat(time.status()).isEqualTo(200);
    assertThat(time.body().get("x").asText()).isEqualTo("time");
    assertThat(steps.body().get("x").asText()).isEqualTo("step");
    assertThat(time.body().get("bucketWidth")).isEqualTo(steps.body().get("bucketWidth"));
    JsonNode runs = time.body().get("runs");
    assertThat(runs).hasSize(WebFixture.RUNS);
    for (int i = 0; i < runs.size(); i++) {
      JsonNode r = runs.get(i);
      JsonNode plain = steps.body().get("runs").get(i);
      assertThat(r.get("id")).isEqualTo(plain.get("id"));
      assertThat(r.get("mean")).as("the same buckets").isEqualTo(plain.get("mean"));
      assertThat(plain.has("t")).isFalse();
      JsonNode t = r.get("t");
      assertThat(t).hasSameSizeAs(r.get("mean"));
      // The fixture's runs log every step within their first minute: whole seconds from 0 on,
      // never decreasing with the step.
      double previous = 0;
      for (JsonNode seconds : t) {
        assertThat(seconds.isNumber()).as("a time for every bucket of %s", r.get("id")).isTrue();
        assertThat(seconds.asDouble()).isBetween(previous, 60.0);
        assertThat(seconds.asDouble() % 1).isZero();
        previous = seconds.asDouble();
      }
    }
  }

  @Test
  void runsCarryHowLongTheyRanAndSortByIt() throws Exception {
    for (JsonNode r : get("/api/projects/vision/runs?limit=100").body().get("runs")) {
      assertThat(r.get("state").asText()).isIn("FINISHED", "FAILED");
      assertThat(r.get("duration").asLong())
          .isEqualTo(Math.max(0, r.get("ended").asLong() - r.get("started").asLong()))
          .isBetween(0L, 600_000L);
    }
    BulkRuns.ensure(web.stack);
    Answer longest = get("/api/projects/" + BulkRuns.PROJECT + "/runs?sort=-duration&limit=3");
    assertThat(longest.status()).isEqualTo(200);
    assertThat(longest.body().get("total").asLong()).isEqualTo(BulkRuns.RUNS);
    // 999 s each; ties by run id.
    assertThat(names(longest.body().get("runs")))
        .containsExactly("bulk-1999", "bulk-2999", "bulk-3999");
    longest
        .body()
        .get("runs")
        .forEach(r -> assertThat(r.get("duration").asLong()).isEqualTo(999_000));
    Answer shortest = get("/api/projects/" + BulkRuns.PROJECT + "/runs?sort=duration&limit=2");
    assertThat(names(shortest.body().get("runs"))).containsExactly("bulk-0", "bulk-1000");
    assertThat(shortest.body().get("runs").get(0).get("duration").asLong()).isZero();
  }

  @Test
  void aRunHasMetadataConfigSummaryAndAlerts() throws Exception {
    String id = web.ids.get("run-2");
    Answer a = get("/api/projects/vision/runs/" + id);
    assertThat(a.status()).isEqualTo(200);
    JsonNode run = a.body();
    assertThat(run.get("name").asText()).isEqualTo("run-2");
    assertThat(run.get("configJson").get("lr").asDouble()).isEqualTo(0.001);
    assertThat(run.get("summary").get("loss").get("count").asLong()).isEqualTo(WebFixture.STEPS);
    assertThat(run.get("summary").get("loss").get("last").asDouble())
        .isCloseTo(web.logged.get("run-2").get("loss").lastEntry().getValue(), within(1e-5));
    assertThat(run.get("alerts"))
        .extracting(x -> x.get("title").asText())
        .contains(WebFixture.ALERT_TITLE);

    Answer missing = get("/api/projects/vision/runs/nope");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.body().get("error").asText())
        .isEqualTo("project 'vision' has no run 'nope'");
  }

  @Test
  void alertsOfAProjectNameTheirRuns() throws Exception {
    Answer a = get("/api/projects/vision/alerts");
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.body())
        .filteredOn(x -> x.get("title").asText().equals(WebFixture.ALERT_TITLE))
        .singleElement()
        .satisfies(x -> assertThat(x.get("run").asText()).isEqualTo(web.ids.get("run-2")));
  }

  @Test
  void aClickHouseThatDoesNotAnswerIsA503WithAMessage() throws Exception {
    try (RunQueries down = RunQueries.connect("http://127.0.0.1:9", "default", "", "runstream")) {
      Javalin server =
          Javalin.create(config -> WebApp.register(config, down)).start("127.0.0.1", 0);
      try {
        Answer a = get("http://127.0.0.1:" + server.port(), "/api/projects/vision/runs");
        assertThat(a.status()).isEqualTo(503);
        assertThat(a.body().get("error").asText()).startsWith("ClickHouse did not answer");
      } finally {
        server.stop();
      }
    }
  }

  @Test
  void aTeamsKeySeesOnlyItsRunsAndNoKeyIsA401() throws Exception {
    Javalin server =
        Javalin.create(
                config ->
                    WebApp.register(
                        config,
                        ctx -> {
                          String key = ctx.header("Authorization");
                          return key == null ? null : web.queries.forTeam(key);
                        }))
            .start("127.0.0.1", 0);
    try {
      String base = "http://127.0.0.1:" + server.port();
      Answer none = get(base, "/api/projects/vision/runs");
      assertThat(none.status()).isEqualTo(401);
      assertThat(none.body().get("error").asText())
          .isEqualTo("an API key is required to read runs");
      HttpResponse<String> other =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/api/projects/vision/runs"))
                  .header("Authorization", "other-team' OR '1'='1")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(other.statusCode()).isEqualTo(404);
      HttpResponse<String> own =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/api/projects/vision/runs"))
                  .header("Authorization", "default")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(JSON.readTree(own.body()).get("total").asLong()).isEqualTo(WebFixture.RUNS);
    } finally {
      server.stop();
    }
  }

  @Test
  void servesThePageAndUplotFromTheJar() throws Exception {
    HttpResponse<String> page =
        http.send(
            HttpRequest.newBuilder(URI.create(web.baseUrl + "/web/index.html")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("uPlot.iife.min.js", "app.js");
    HttpResponse<String> uplot =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(web.baseUrl + "/webjars/uplot/1.6.30/dist/uPlot.iife.min.js"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(uplot.statusCode()).isEqualTo(200);
    assertThat(uplot.body()).contains("uPlot");
  }
}
