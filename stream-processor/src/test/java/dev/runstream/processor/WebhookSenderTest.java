package dev.runstream.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.runstream.processor.internal.WebhookSender;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.Severity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class WebhookSenderTest {
  private HttpServer server;
  private final List<String> generic = new CopyOnWriteArrayList<>();
  private final List<String> slack = new CopyOnWriteArrayList<>();
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private volatile int failureStatus = 503;
  private final List<Long> waits = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/generic", ex -> answer(ex, generic));
    server.createContext("/slack", ex -> answer(ex, slack));
    server.start();
  }

  private void answer(com.sun.net.httpserver.HttpExchange ex, List<String> into)
      throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    int status = failuresLeft.getAndDecrement() > 0 ? failureStatus : 200;
    if (status == 200) {
      into.add(body);
    }
    ex.sendResponseHeaders(status, -1);
    ex.close();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  private WebhookSender sender(int attempts) {
    return new WebhookSender(
        new NotifierConfig(
            List.of(uri("/generic")),
            List.of(uri("/slack")),
            Severity.WARNING,
            attempts,
            Duration.ofMillis(100),
            Duration.ofSeconds(1),
            Duration.ofSeconds(5)),
        waits::add);
  }

  private static Alert alert(Severity severity) {
    return Alert.newBuilder()
        .setRunId("r1")
        .setEntity("team")
        .setProject("tinyllm")
        .setTimestampMs(1234)
        .setRule("divergence")
        .setSeverity(severity)
        .setTitle("divergence of val_loss in tinyllm/test1")
        .setMessage("val_loss diverged: 3.20 at step 1200, best 0.41 at step 800 (7.8x)")
        .setMetric("val_loss")
        .setStep(1200L)
        .setValue(3.2)
        .setBaseline(0.41)
        .setEpisodeId("r1/divergence/val_loss/1200")
        .build();
  }

  @Test
  void shouldPostTheGenericJsonAndTheSlackBody() {
    assertThat(sender(3).send(alert(Severity.CRITICAL))).isEqualTo(2);

    assertThat(generic)
        .singleElement()
        .asString()
        .contains("\"runId\":\"r1\"")
        .contains("\"rule\":\"divergence\"")
        .contains("\"severity\":\"CRITICAL\"")
        .contains("\"step\":1200")
        .contains("\"value\":3.2")
        .contains("\"baseline\":0.41")
        .contains("\"resolved\":false")
        .contains(
            "\"message\":\"val_loss diverged: 3.20 at step 1200, best 0.41 at step 800 (7.8x)\"");
    assertThat(slack)
        .singleElement()
        .asString()
        .startsWith("{\"text\":\":rotating_light: *divergence of val_loss in tinyllm/test1*\\n")
        .contains("val_loss diverged: 3.20");
  }

  @Test
  void shouldRetryServerErrorsWithGrowingBackoff() {
    failuresLeft.set(3); // the generic webhook fails three times, then both succeed
    assertThat(sender(5).send(alert(Severity.CRITICAL))).isEqualTo(2);
    assertThat(generic).hasSize(1);
    assertThat(waits).hasSize(3);
    assertThat(waits.get(0)).isBetween(50L, 100L);
    assertThat(waits.get(2)).isBetween(200L, 400L);
  }

  @Test
  void shouldGiveUpAfterTheConfiguredAttempts() {
    failuresLeft.set(4);
    assertThat(sender(2).send(alert(Severity.CRITICAL))).isEqualTo(0);
    assertThat(generic).isEmpty();
    assertThat(slack).isEmpty();
  }

  @Test
  void shouldNotRetryARequestTheReceiverRejects() {
    failureStatus = 400;
    failuresLeft.set(1);
    assertThat(sender(5).send(alert(Severity.CRITICAL))).isEqualTo(1);
    assertThat(waits).isEmpty();
    assertThat(generic).isEmpty();
    assertThat(slack).hasSize(1);
  }

  @Test
  void shouldFilterAlertsBelowTheMinimumSeverity() {
    assertThat(sender(1).wanted(alert(Severity.INFO))).isFalse();
    assertThat(sender(1).wanted(alert(Severity.WARNING))).isTrue();
  }

  @Test
  void shouldWriteValidJsonWhateverTheTextHolds() throws IOException {
    Alert odd = alert(Severity.CRITICAL);
    odd.setMessage("quote \" backslash \\ newline \n tab \t bell \u0007 snowman \u2603");
    odd.setMetric(null);
    odd.setValue(Double.NEGATIVE_INFINITY);
    ObjectMapper json = new ObjectMapper();
    JsonNode generic = json.readTree(WebhookSender.genericBody(odd));
    assertThat(generic.get("message").asText()).isEqualTo(odd.getMessage());
    assertThat(generic.get("metric").isNull()).isTrue();
    assertThat(generic.get("value").asText()).isEqualTo("-Infinity");
    assertThat(generic.get("baseline").asDouble()).isEqualTo(0.41);
    assertThat(generic.get("step").asLong()).isEqualTo(1200);
    assertThat(generic.get("resolved").asBoolean()).isFalse();
    assertThat(json.readTree(WebhookSender.slackBody(odd)).get("text").asText())
        .contains(odd.getMessage());
  }

  @Test
  void shouldWriteNonFiniteNumbersAsStrings() {
    Alert nan = alert(Severity.CRITICAL);
    nan.setValue(Double.NaN);
    nan.setBaseline(null);
    assertThat(WebhookSender.genericBody(nan))
        .contains("\"value\":\"NaN\"")
        .contains("\"baseline\":null");
  }
}
