package dev.runstream.server.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runstream.deploy.LocalStack;
import dev.runstream.query.RunQueries;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import dev.runstream.testing.LocalStackExtension;
import io.javalin.Javalin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.slf4j.LoggerFactory;

/**
 * The page in Debian's headless Chromium against the real stack: a person's clicks, checked by what
 * the page shows and by the state its charts were drawn from. Screenshots go to {@code
 * target/screenshots}.
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class WebPageIT {
  private WebFixture web;
  private ChromeDriver browser;
  private WebDriverWait wait;
  private Path shots;

  @BeforeAll
  void start(LocalStack stack) throws Exception {
    web = WebFixture.get(stack);
    Path target = Path.of(System.getProperty("basedir", "."), "target");
    Files.createDirectories(target);
    shots = Files.createDirectories(target.resolve("screenshots"));
    browser = Chromium.start(target);
    wait = new WebDriverWait(browser, Duration.ofSeconds(20));
  }

  @AfterAll
  void stop() {
    if (browser != null) {
      browser.quit();
    }
  }

  /** Clicks what {@code by} finds, again if the page redrew it in between. */
  private void click(By by) {
    wait.ignoring(StaleElementReferenceException.class)
        .until(
            d -> {
              d.findElement(by).click();
              return true;
            });
  }

  private Object js(String script, Object... args) {
    return ((JavascriptExecutor) browser).executeScript(script, args);
  }

  private void screenshot(String name) throws Exception {
    Path file = browser.getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(file, shots.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  private void waitForCount(int runs) {
    wait.until(ExpectedConditions.textToBe(By.id("count"), runs + " runs"));
  }

  /**
   * The text of one column of the rows drawn, top to bottom; read in one script, as the page
   * redraws rows while it polls.
   */
  @SuppressWarnings("unchecked")
  private List<String> column(String key) {
    Object out =
        js(
            "const head = [...document.querySelectorAll('#thead .td')];"
                + " const i = head.findIndex(h => h.dataset.col === arguments[0]);"
                + " if (i < 0) return null;"
                + " return [...document.querySelectorAll('#rows .tr')]"
                + ".map(r => r.children[i].textContent);",
            key);
    assertThat(out).as("column %s", key).isNotNull();
    return (List<String>) out;
  }

  /** Series per chart, in chart order, once every chosen metric's chart is drawn. */
  @SuppressWarnings("unchecked")
  private List<Long> seriesPerChart(int charts) {
    wait.until(
        d ->
            ((Number) js("return charts.length")).intValue() == charts
                && browser.findElements(By.cssSelector("#charts canvas")).size() == charts);
    return (List<Long>) js("return charts.map(u => u.series.length)");
  }

  @Test
  void aPersonFiltersSortsChartsGroupsOpensARunAndSharesTheView() throws Exception {
    browser.get(web.baseUrl + "/web/");
    wait.until(ExpectedConditions.elementToBeClickable(By.linkText("vision"))).click();
    waitForCount(WebFixture.RUNS);
    assertThat(browser.findElements(By.cssSelector("#rows .tr"))).hasSize(WebFixture.RUNS);

    // A tag chip in the table filters by the tag.
    browser
        .findElement(By.xpath("//div[@id='rows']//span[@class='chip' and text()='baseline']"))
        .click();
    waitForCount(4);
    assertThat(browser.getCurrentUrl()).contains("tag=baseline");

    // A config column's header sorts by it, numerically.
    click(By.cssSelector("#thead .td[data-col='config:lr']"));
    wait.until(d -> d.getCurrentUrl().contains("sort=config%3Alr"));
    wait.until(d -> column("config:lr").equals(List.of("0.001", "0.01", "0.1", "0.1")));

    // Metrics chosen: one chart each, a line per visible run.
    click(By.cssSelector("input[data-metric='loss']"));
    wait.until(d -> d.getCurrentUrl().contains("metrics=loss"));
    click(By.cssSelector("input[data-metric='acc']"));
    wait.until(d -> d.getCurrentUrl().contains("metrics=loss%2Cacc"));
    assertThat(seriesPerChart(2)).containsExactly(5L, 5L);
    assertThat(column("last:loss")).hasSize(4).allSatisfy(v -> assertThat(v).isNotBlank());

    // Smoothing and grouping by a config key: a mean line and a min/max band per value.
    js(
        "const s = document.getElementById('smooth'); s.value = '0.6';"
            + " s.dispatchEvent(new Event('change'));");
    wait.until(d -> d.getCurrentUrl().contains("smooth=0.6"));
    new Select(browser.findElement(By.id("group"))).selectByValue("optimizer");
    wait.until(d -> d.getCurrentUrl().contains("group=optimizer"));
    assertThat(seriesPerChart(2)).containsExactly(7L, 7L);
    assertThat(js("return charts[0].series.slice(1).filter(s => !s.group).map(s => s.label)"))
        .isEqualTo(List.of("optimizer=adam (2)", "optimizer=sgd (2)"));
    assertThat(((Number) js("return charts[0].bands.length")).intValue()).isEqualTo(2);
    screenshot("runs-grouped");

    // The URL is the view: a reload of the shared link draws the same.
    String shared = browser.getCurrentUrl();
    browser.get("about:blank");
    browser.get(shared);
    waitForCount(4);
    assertThat(seriesPerChart(2)).containsExactly(7L, 7L);
    assertThat(browser.findElement(By.cssSelector("input[data-metric='loss']")).isSelected())
        .isTrue();
    assertThat(new Select(browser.findElement(By.id("group"))).getFirstSelectedOption().getText())
        .isEqualTo("optimizer");
    assertThat(browser.findElement(By.id("smooth")).getDomProperty("value")).isEqualTo("0.6");
    assertThat(
            browser
                .findElement(By.cssSelector("#thead .td[data-col='config:lr']"))
                .getDomAttribute("class"))
        .contains("sorted");
    assertThat(column("config:lr")).containsExactly("0.001", "0.01", "0.1", "0.1");

    // Ungrouped, every visible run is a line; hovering one highlights it in the table.
    new Select(browser.findElement(By.id("group"))).selectByValue("");
    assertThat(seriesPerChart(2)).containsExactly(5L, 5L);

    // Selected runs are the ones charted.
    click(By.cssSelector("#rows .tr:nth-child(1) input[type='checkbox']"));
    click(By.cssSelector("#rows .tr:nth-child(2) input[type='checkbox']"));
    wait.until(ExpectedConditions.textToBe(By.id("count"), "4 runs, 2 selected"));
    wait.until(d -> seriesPerChart(2).equals(List.of(3L, 3L)));
    click(By.cssSelector("#rows .tr:nth-child(1) input[type='checkbox']"));
    click(By.cssSelector("#rows .tr:nth-child(2) input[type='checkbox']"));
    wait.until(ExpectedConditions.textToBe(By.id("count"), "4 runs"));
    wait.until(d -> seriesPerChart(2).equals(List.of(5L, 5L)));

    // Best value against a hyperparameter: a dot per visible run, by the key's value.
    new Select(browser.findElement(By.id("hp"))).selectByValue("lr");
    wait.until(d -> d.getCurrentUrl().contains("hp=lr"));
    assertThat(seriesPerChart(4)).containsExactly(5L, 5L, 2L, 2L);
    assertThat(js("return charts[2].data[0]")).isEqualTo(List.of(0.001, 0.01, 0.1, 0.1));
    screenshot("runs-charts");

    // A run's page.
    click(By.linkText("run-2"));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("run-name"), "run-2"));
    assertThat(browser.findElement(By.id("run-config")).getText()).contains("\"lr\": 0.001");
    assertThat(browser.findElement(By.id("run-summary")).getText()).contains("loss", "acc");
    assertThat(browser.findElement(By.id("run-duration")).getText()).matches("\\d+s");
    assertThat(browser.findElement(By.cssSelector("table.alerts")).getText())
        .contains(WebFixture.ALERT_TITLE);
    wait.until(d -> d.findElements(By.cssSelector("#charts canvas")).size() >= 2);
    screenshot("run-page");
  }

  @Test
  void aBadFilterIsShownAtItsPosition() {
    browser.get(web.baseUrl + "/web/index.html?project=vision");
    waitForCount(WebFixture.RUNS);
    WebElement where = browser.findElement(By.id("where"));
    where.sendKeys("lr < 0.01; DROP TABLE runs", Keys.ENTER);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("where-error"), "^"));
    String[] lines = browser.findElement(By.id("where-error")).getText().split("\n");
    assertThat(lines[0]).isEqualTo("lr < 0.01; DROP TABLE runs");
    assertThat(lines[1].indexOf('^')).as("caret under the ;").isEqualTo(9);
    assertThat(lines[1]).contains("position 10");
    assertThat(where.getDomAttribute("class")).contains("bad");
    assertThat(browser.findElements(By.cssSelector("#rows .tr"))).isEmpty();
    // SQL in the filter ran nowhere: a good filter finds every run again.
    where.clear();
    where.sendKeys("optimizer = 'adam'", Keys.ENTER);
    waitForCount(WebFixture.RUNS / 2);
  }

  @Test
  void aLiveRunsNewPointsAppearWithoutAReload(@TempDir Path dir) {
    try (Run run =
        Runstream.init(
            RunOptions.builder("live", Map.of())
                .directory(dir)
                .kafkaBootstrap(web.stack.kafkaBootstrap())
                .schemaRegistryUrl(web.stack.schemaRegistryUrl())
                .name("training")
                .build())) {
      for (int step = 0; step < 20; step++) {
        run.log(Map.of("loss", 1.0 / (step + 1)), step);
      }
      run.flush(Duration.ofSeconds(10));
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(300))
          .untilAsserted(() -> assertThat(web.queries.points(run.id()).get("loss")).hasSize(20));
      WebDriverWait slow = new WebDriverWait(browser, Duration.ofSeconds(60));
      browser.get(web.baseUrl + "/web/index.html?project=live&metrics=loss");
      slow.until(d -> ((Number) js("return charts.length")).intValue() == 1);
      slow.until(d -> ((Number) js("return charts[0].data[0].length")).intValue() == 20);
      js("window.notReloaded = true");
      for (int step = 20; step < 50; step++) {
        run.log(Map.of("loss", 1.0 / (step + 1)), step);
      }
      run.flush(Duration.ofSeconds(10));
      slow.until(d -> ((Number) js("return charts[0].data[0].length")).intValue() == 50);
      assertThat(js("return window.notReloaded")).isEqualTo(true);
      assertThat(browser.findElement(By.cssSelector("#rows .tr .state-RUNNING")).getText())
          .isEqualTo("RUNNING");
    }
  }

  @Test
  void tenThousandRowsDrawOnlyWhatIsInView() {
    browser.get(web.baseUrl + "/web/index.html?project=vision");
    waitForCount(WebFixture.RUNS);
    // The store's side of 10,000 runs is RunQueries' (one page of up to 10,000); the table's side
    // is drawing them: fed here as 10,000 copies of a run, with the poll stopped.
    js(
        "clearInterval(pollTimer); const r = data.runs[0];"
            + " data.runs = Array.from({length: 10000},"
            + " (_, i) => Object.assign({}, r, {id: 'id-' + i, name: 'synthetic-' + i}));"
            + " data.total = 10000; drawControls(); drawRows();");
    waitForCount(10_000);
    assertThat(browser.findElements(By.cssSelector("#rows .tr"))).hasSizeLessThan(60);
    js("const t = document.getElementById('table'); t.scrollTop = t.scrollHeight;");
    wait.until(
        d ->
            d.findElements(By.cssSelector("#rows .tr[data-run='id-9999']")).size() == 1
                && d.findElements(By.cssSelector("#rows .tr")).size() < 60);
  }

  @Test
  void aChartDrawsAThousandRunsOfAThousandPointsWithoutACap() {
    browser.get(web.baseUrl + "/web/index.html?project=vision&metrics=loss");
    waitForCount(WebFixture.RUNS);
    seriesPerChart(1);
    // The curves answer of 1,000 runs as the API shapes it (dense arrays on a shared grid), fed to
    // the page with the poll stopped: what the browser must draw.
    // Timed to the second animation frame after the charts were built: the canvas painted.
    Object ms =
        ((JavascriptExecutor) browser)
            .executeAsyncScript(
                "clearInterval(pollTimer); const r = data.runs[0]; const n = 1000;"
                    + " data.runs = Array.from({length: n},"
                    + " (_, i) => Object.assign({}, r, {id: 'id-' + i, name: 'synthetic-' + i}));"
                    + " data.byId = new Map(data.runs.map(x => [x.id, x])); data.total = n;"
                    + " data.curves = {loss: {metric: 'loss', bucketWidth: 10, runs: data.runs.map((x, i) =>"
                    + " ({id: x.id, start: 0, mean: Array.from({length: 1000},"
                    + " (_, s) => 2 * Math.exp(-(i % 10 + 1) * s / 3000) + Math.random() * 0.05)}))}};"
                    + " const done = arguments[arguments.length - 1]; const t0 = performance.now();"
                    + " drawCharts(); requestAnimationFrame(() => requestAnimationFrame("
                    + " () => done(performance.now() - t0)));");
    assertThat(seriesPerChart(1)).containsExactly(1001L);
    assertThat(((Number) js("return charts[0].data[0].length")).intValue()).isEqualTo(1000);
    LoggerFactory.getLogger(WebPageIT.class)
        .info(
            "web: 1,000 curves of 1,000 points built and painted in {} ms",
            Math.round(((Number) ms).doubleValue()));
  }

  @Test
  void chartsByRelativeTimeKeepTheChoiceInTheUrl() throws Exception {
    browser.get(web.baseUrl + "/web/index.html?project=vision&metrics=loss");
    waitForCount(WebFixture.RUNS);
    assertThat(seriesPerChart(1)).containsExactly(WebFixture.RUNS + 1L);
    assertThat(js("return charts[0].axes[0].label")).isEqualTo("step");
    new Select(browser.findElement(By.id("x"))).selectByValue("time");
    wait.until(d -> d.getCurrentUrl().contains("x=time"));
    wait.until(d -> "time".equals(js("return data.curves.loss && data.curves.loss.x")));
    wait.until(d -> "seconds since the run started".equals(js("return charts[0].axes[0].label")));
    assertThat(seriesPerChart(1)).containsExactly(WebFixture.RUNS + 1L);
    assertTimeAxis();
    screenshot("runs-by-time");

    // A shared link keeps the choice.
    String shared = browser.getCurrentUrl();
    browser.get("about:blank");
    browser.get(shared);
    waitForCount(WebFixture.RUNS);
    assertThat(seriesPerChart(1)).containsExactly(WebFixture.RUNS + 1L);
    assertThat(new Select(browser.findElement(By.id("x"))).getFirstSelectedOption().getText())
        .isEqualTo("relative time");
    wait.until(d -> "seconds since the run started".equals(js("return charts[0].axes[0].label")));
    assertTimeAxis();

    new Select(browser.findElement(By.id("x"))).selectByValue("step");
    wait.until(d -> !d.getCurrentUrl().contains("x=time"));
    wait.until(d -> "step".equals(js("return charts[0].axes[0].label")));
    assertThat(((Number) js("return charts[0].data[0].length")).intValue())
        .isEqualTo(WebFixture.STEPS);
  }

  /** The chart's x: whole seconds from 0, increasing, within the minute the fixture's runs took. */
  @SuppressWarnings("unchecked")
  private void assertTimeAxis() {
    List<Number> x = (List<Number>) js("return charts[0].data[0]");
    assertThat(x).isNotEmpty().hasSizeLessThanOrEqualTo(WebFixture.STEPS);
    assertThat(x.get(0).doubleValue()).isBetween(0.0, 60.0);
    for (int i = 1; i < x.size(); i++) {
      assertThat(x.get(i).doubleValue()).isGreaterThan(x.get(i - 1).doubleValue());
    }
    assertThat(x.get(x.size() - 1).doubleValue()).isLessThan(60.0);
    // Every run drew at least one point.
    assertThat(
            (List<Object>)
                js("return charts[0].data.slice(1).map(ys => ys.filter(v => v !== null).length)"))
        .allSatisfy(n -> assertThat(((Number) n).intValue()).isPositive());
  }

  @Test
  void tenThousandRunsFromTheStoreShowTheirFirstRowsAndSortByDuration() throws Exception {
    BulkRuns.ensure(web.stack);
    browser.get(web.baseUrl + "/web/index.html?project=" + BulkRuns.PROJECT);
    waitForCount(BulkRuns.RUNS);
    List<String> names = column("name");
    assertThat(names).hasSizeLessThan(60).startsWith("bulk-9999", "bulk-9998", "bulk-9997");
    assertThat(column("duration")).startsWith("16m 39s", "16m 38s", "16m 37s");
    screenshot("runs-ten-thousand");

    click(By.cssSelector("#thead .td[data-col='duration']"));
    wait.until(d -> d.getCurrentUrl().contains("sort=duration"));
    wait.until(d -> startsWith(column("name"), "bulk-0", "bulk-1000"));
    assertThat(column("duration")).startsWith("0s", "0s");
    click(By.cssSelector("#thead .td[data-col='duration']"));
    wait.until(d -> d.getCurrentUrl().contains("sort=-duration"));
    wait.until(d -> startsWith(column("name"), "bulk-1999", "bulk-2999"));
    assertThat(column("duration")).startsWith("16m 39s", "16m 39s");
    assertThat(browser.findElements(By.cssSelector("#rows .tr"))).hasSizeLessThan(60);
  }

  /** Whether {@code values} begin with {@code first}: false while the rows are being redrawn. */
  private static boolean startsWith(List<String> values, String... first) {
    return values.size() >= first.length && values.subList(0, first.length).equals(List.of(first));
  }

  @Test
  void aClickHouseThatDoesNotAnswerIsSaidAndThePageRecoversWhenItAnswers() throws Exception {
    // Nothing listens on the discard port: ClickHouse refuses, as when it is stopped. The page's
    // server reads through `current`, which the test points at the real ClickHouse later.
    try (RunQueries down = RunQueries.connect("http://127.0.0.1:9", "default", "", "runstream")) {
      AtomicReference<RunQueries> current = new AtomicReference<>(down);
      Javalin server =
          Javalin.create(config -> WebApp.register(config, ctx -> current.get()))
              .start("127.0.0.1", 0);
      try {
        String base = "http://127.0.0.1:" + server.port();
        for (String page :
            List.of("/web/index.html", "/web/index.html?project=vision&metrics=loss")) {
          browser.get(base + page);
          wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
          assertThat(browser.findElement(By.id("error")).getText())
              .as(page)
              .startsWith("ClickHouse did not answer")
              .endsWith("trying again every 5 s");
        }
        screenshot("clickhouse-down");
        js("window.notReloaded = true");
        current.set(web.queries);
        waitForCount(WebFixture.RUNS);
        assertThat(seriesPerChart(1)).containsExactly(WebFixture.RUNS + 1L);
        assertThat(browser.findElement(By.id("error")).isDisplayed()).isFalse();
        assertThat(js("return window.notReloaded")).isEqualTo(true);
      } finally {
        server.stop();
      }
    }
  }

  @Test
  void anUnknownProjectIsSaid() {
    browser.get(web.baseUrl + "/web/index.html?project=nope");
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
    assertThat(browser.findElement(By.id("error")).getText())
        .isEqualTo("no project named 'nope' has runs");
  }

  @Test
  void alertsAreListedWithLinksToTheirRuns() {
    browser.get(web.baseUrl + "/web/index.html?project=vision&view=alerts");
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("table.alerts")));
    WebElement link =
        browser.findElement(By.cssSelector("table.alerts a[href*='" + web.ids.get("run-2") + "']"));
    assertThat(browser.findElement(By.cssSelector("table.alerts")).getText())
        .contains(WebFixture.ALERT_TITLE);
    link.click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("run-name"), "run-2"));
    assertThat(Map.of("url", browser.getCurrentUrl()))
        .extractingByKey("url")
        .asString()
        .contains("view=run");
  }
}
