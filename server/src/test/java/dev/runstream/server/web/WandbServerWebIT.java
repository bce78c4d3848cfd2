package dev.runstream.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.deploy.LocalStack;
import dev.runstream.sdk.RunOptions;
import dev.runstream.server.ServerConfig;
import dev.runstream.server.WandbServer;
import dev.runstream.sink.SinkConfig;
import dev.runstream.testing.LocalStackExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page as the real server serves it: behind the API keys of the W&amp;B protocol, each key
 * seeing only its team's runs, over the fixture's runs (team {@value RunOptions#DEFAULT_ENTITY}).
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class WandbServerWebIT {
  private static final String KEY_A = "local-" + "a1".repeat(20);
  private static final String KEY_B = "local-" + "b2".repeat(20);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private WandbServer server;
  private String baseUrl;
  private ChromeDriver browser;

  @BeforeAll
  void start(LocalStack stack) throws Exception {
    WebFixture.get(stack);
    Path target = Path.of(System.getProperty("basedir", "."), "target");
    Files.createDirectories(target);
    server =
        WandbServer.start(
            ServerConfig.builder(stack.kafkaBootstrap(), stack.schemaRegistryUrl())
                .host("127.0.0.1")
                .port(0)
                .dataDir(Files.createTempDirectory(target, "wandb-server-web-"))
                .apiKey(KEY_A, RunOptions.DEFAULT_ENTITY)
                .apiKey(KEY_B, "other-team")
                .clickHouse(
                    new ServerConfig.ClickHouse(
                        stack.clickhouseUrl(),
                        SinkConfig.DEFAULT_CLICKHOUSE_USER,
                        SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD,
                        SinkConfig.DEFAULT_DATABASE))
                .build());
    baseUrl = "http://127.0.0.1:" + server.port();
    browser = Chromium.start(target);
  }

  @AfterAll
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (server != null) {
      server.close();
    }
  }

  private HttpResponse<String> get(String path, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path));
    if (key != null) {
      b.header("Authorization", basic(key));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static String basic(String key) {
    return "Basic "
        + Base64.getEncoder().encodeToString(("api:" + key).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void shouldServeTheApiOnlyToAKnownKeyAndAskABrowserForIt() throws Exception {
    for (String path :
        List.of("/api/projects", "/api/projects/" + WebFixture.PROJECT + "/runs", "/api/x")) {
      for (String key : new String[] {null, "local-" + "c3".repeat(20)}) {
        HttpResponse<String> r = get(path, key);
        assertThat(r.statusCode()).as("%s with key %s", path, key).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate"))
            .as(path)
            .hasValueSatisfying(v -> assertThat(v).startsWith("Basic realm=\"runstream\""));
        assertThat(JSON.readTree(r.body()).path("error").asText()).as(path).contains("API key");
      }
    }
    // The page's files and its libraries hold no data: served to anyone, key or not.
    for (String key : new String[] {null, KEY_A}) {
      HttpResponse<String> page = get("/web/index.html", key);
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("app.js");
      HttpResponse<String> script = get("/web/app.js", key);
      assertThat(script.statusCode()).isEqualTo(200);
      assertThat(script.body()).contains("function render");
      HttpResponse<String> uplot = get("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js", key);
      assertThat(uplot.statusCode()).isEqualTo(200);
      assertThat(uplot.body()).contains("uPlot");
    }
    assertThat(get("/web/", null).statusCode()).isIn(200, 302);
    HttpResponse<String> root = get("/", null);
    assertThat(root.statusCode()).isEqualTo(302);
    assertThat(root.headers().firstValue("Location")).contains("/web/");
  }

  @Test
  void shouldShowEachKeyOnlyItsTeamsProjectsAndRuns() throws Exception {
    HttpResponse<String> projectsA = get("/api/projects", KEY_A);
    assertThat(projectsA.statusCode()).isEqualTo(200);
    assertThat(texts(JSON.readTree(projectsA.body()))).contains(WebFixture.PROJECT);
    HttpResponse<String> runsA = get("/api/projects/" + WebFixture.PROJECT + "/runs", KEY_A);
    assertThat(runsA.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(runsA.body()).path("runs")).hasSize(WebFixture.RUNS);

    HttpResponse<String> projectsB = get("/api/projects", KEY_B);
    assertThat(projectsB.statusCode()).isEqualTo(200);
    assertThat(texts(JSON.readTree(projectsB.body()))).doesNotContain(WebFixture.PROJECT);
    HttpResponse<String> runsB = get("/api/projects/" + WebFixture.PROJECT + "/runs", KEY_B);
    assertThat(runsB.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(runsB.body()).path("error").asText())
        .contains("no project named '" + WebFixture.PROJECT + "'");
    String id = JSON.readTree(runsA.body()).path("runs").get(0).path("id").asText();
    assertThat(get("/api/projects/" + WebFixture.PROJECT + "/runs/" + id, KEY_A).statusCode())
        .isEqualTo(200);
    assertThat(get("/api/projects/" + WebFixture.PROJECT + "/runs/" + id, KEY_B).statusCode())
        .isEqualTo(404);
  }

  @Test
  void aBrowserWithTheKeySeesTheTeamsRunsFromTheServersRoot() {
    // What a person types into the browser's prompt, sent on every request of the page: the
    // page's own fetches included.
    browser.executeCdpCommand("Network.enable", Map.of());
    browser.executeCdpCommand(
        "Network.setExtraHTTPHeaders", Map.of("headers", Map.of("Authorization", basic(KEY_A))));
    browser.get(baseUrl + "/");
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    wait.until(ExpectedConditions.elementToBeClickable(By.linkText(WebFixture.PROJECT))).click();
    wait.until(ExpectedConditions.textToBe(By.id("count"), WebFixture.RUNS + " runs"));
    assertThat(browser.getCurrentUrl()).startsWith(baseUrl + "/web/");
    assertThat(browser.findElements(By.cssSelector("#rows .tr"))).hasSize(WebFixture.RUNS);
  }

  private static List<String> texts(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }
}
