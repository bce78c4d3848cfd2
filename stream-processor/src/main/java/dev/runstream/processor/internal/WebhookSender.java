package dev.runstream.processor.internal;

import dev.runstream.processor.NotifierConfig;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.Severity;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts one alert to every configured webhook, retrying each with exponential backoff and jitter.
 * Server errors, 429 and I/O failures are retried; other 4xx answers are not (the body or the URL
 * is wrong, and repeating it will not help). Blocks the calling thread for the retries;
 * thread-safe.
 */
public final class WebhookSender {
  private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);

  private final NotifierConfig config;
  private final HttpClient http;
  private final LongConsumer sleeper;

  public WebhookSender(NotifierConfig config) {
    this(config, WebhookSender::sleep);
  }

  /** With a sleeper that tests may replace to avoid real waits. */
  public WebhookSender(NotifierConfig config, LongConsumer sleeper) {
    this.config = config;
    this.sleeper = sleeper;
    this.http = HttpClient.newBuilder().connectTimeout(config.requestTimeout()).build();
  }

  /** Whether {@code alert} is severe enough to post. */
  public boolean wanted(Alert alert) {
    return alert.getSeverity().ordinal() >= config.minSeverity().ordinal();
  }

  /**
   * Posts {@code alert} to every webhook.
   *
   * @return how many webhooks accepted it
   */
  public int send(Alert alert) {
    int delivered = 0;
    for (URI uri : config.webhooks()) {
      delivered += post(uri, genericBody(alert)) ? 1 : 0;
    }
    for (URI uri : config.slackWebhooks()) {
      delivered += post(uri, slackBody(alert)) ? 1 : 0;
    }
    return delivered;
  }

  private boolean post(URI uri, String body) {
    long backoff = config.initialBackoff().toMillis();
    for (int attempt = 1; ; attempt++) {
      String failure;
      boolean retryable;
      try {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(uri)
                    .timeout(config.requestTimeout())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status / 100 == 2) {
          return true;
        }
        failure = "HTTP " + status;
        retryable = status >= 500 || status == 429 || status == 408;
      } catch (IOException e) {
        failure = e.toString();
        retryable = true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        log.warn("interrupted while posting an alert to {}", uri);
        return false;
      }
      if (!retryable || attempt >= config.maxAttempts()) {
        log.warn("giving up posting an alert to {} after {} attempt(s): {}", uri, attempt, failure);
        return false;
      }
      // "Equal jitter": half the backoff for sure, half at random, so many processors that lost
      // the same webhook do not retry in lockstep.
      long cap = Math.min(config.maxBackoff().toMillis(), backoff);
      long wait = cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
      log.debug("posting an alert to {} failed ({}); retrying in {} ms", uri, failure, wait);
      sleeper.accept(wait);
      backoff = Math.min(config.maxBackoff().toMillis(), backoff * 2);
    }
  }

  /** One JSON object with every field of the alert; non-finite numbers as strings. */
  public static String genericBody(Alert a) {
    StringBuilder json = new StringBuilder(512).append('{');
    field(json, "runId", a.getRunId()).append(',');
    field(json, "entity", a.getEntity()).append(',');
    field(json, "project", a.getProject()).append(',');
    json.append("\"timestampMs\":").append(a.getTimestampMs()).append(',');
    field(json, "rule", a.getRule()).append(',');
    field(json, "severity", a.getSeverity().name()).append(',');
    field(json, "title", a.getTitle()).append(',');
    field(json, "message", a.getMessage()).append(',');
    field(json, "metric", a.getMetric()).append(',');
    json.append("\"step\":").append(a.getStep() == null ? "null" : a.getStep()).append(',');
    number(json, "value", a.getValue()).append(',');
    number(json, "baseline", a.getBaseline()).append(',');
    field(json, "episodeId", a.getEpisodeId()).append(',');
    json.append("\"resolved\":").append(a.getResolved());
    return json.append('}').toString();
  }

  /** Slack's incoming-webhook body: one line of text with an emoji for the severity. */
  public static String slackBody(Alert a) {
    String icon =
        a.getResolved()
            ? ":white_check_mark:"
            : a.getSeverity() == Severity.CRITICAL
                ? ":rotating_light:"
                : a.getSeverity() == Severity.WARNING ? ":warning:" : ":information_source:";
    String text =
        icon
            + " *"
            + (a.getTitle().isEmpty() ? a.getRule() : a.getTitle())
            + "*\n"
            + a.getMessage()
            + "\n_run "
            + a.getRunId()
            + (a.getProject().isEmpty() ? "" : " in " + a.getProject())
            + ", rule "
            + a.getRule()
            + ", "
            + a.getSeverity().name().toLowerCase(Locale.ROOT)
            + "_";
    StringBuilder json = new StringBuilder(text.length() + 16).append('{');
    field(json, "text", text);
    return json.append('}').toString();
  }

  private static StringBuilder field(StringBuilder json, String name, CharSequence value) {
    json.append('"').append(name).append("\":");
    if (value == null) {
      return json.append("null");
    }
    json.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        default -> {
          if (c < 0x20) {
            json.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            json.append(c);
          }
        }
      }
    }
    return json.append('"');
  }

  private static StringBuilder number(StringBuilder json, String name, Double value) {
    if (value == null) {
      return json.append('"').append(name).append("\":null");
    }
    if (!Double.isFinite(value)) {
      return field(json, name, value.isNaN() ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    }
    return json.append('"').append(name).append("\":").append(value);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
