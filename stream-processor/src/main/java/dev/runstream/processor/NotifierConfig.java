package dev.runstream.processor;

import dev.runstream.schemas.avro.Severity;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Where and how {@link AlertNotifier} posts alerts. Immutable and thread-safe.
 *
 * @param webhooks URLs that receive the generic JSON body (one object with every field of the
 *     alert); {@code RUNSTREAM_WEBHOOK_URLS}, comma-separated; default none
 * @param slackWebhooks Slack incoming-webhook URLs (or anything that takes Slack's {@code {"text":
 *     ...}} body); {@code RUNSTREAM_SLACK_WEBHOOK_URLS}; default none
 * @param minSeverity alerts below this severity are not posted; {@code
 *     RUNSTREAM_WEBHOOK_MIN_SEVERITY}; default INFO (everything)
 * @param maxAttempts attempts per webhook and alert, the first included; {@code
 *     RUNSTREAM_WEBHOOK_ATTEMPTS}; default {@value #DEFAULT_MAX_ATTEMPTS}
 * @param initialBackoff wait before the second attempt, doubled (with jitter) for each further one;
 *     {@code RUNSTREAM_WEBHOOK_BACKOFF_MS}; default 500 ms
 * @param maxBackoff the longest wait between attempts; default 30 s
 * @param requestTimeout how long one request may take; default 10 s
 */
public record NotifierConfig(
    List<URI> webhooks,
    List<URI> slackWebhooks,
    Severity minSeverity,
    int maxAttempts,
    Duration initialBackoff,
    Duration maxBackoff,
    Duration requestTimeout) {

  /** Default attempts per webhook and alert: {@value}. */
  public static final int DEFAULT_MAX_ATTEMPTS = 5;

  /** Default wait before the second attempt: 500 ms. */
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);

  /** Default longest wait between attempts: 30 s. */
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);

  /** Default timeout of one request: 10 s. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  public NotifierConfig {
    webhooks = List.copyOf(Objects.requireNonNull(webhooks, "RUNSTREAM_WEBHOOK_URLS"));
    slackWebhooks =
        List.copyOf(Objects.requireNonNull(slackWebhooks, "RUNSTREAM_SLACK_WEBHOOK_URLS"));
    Objects.requireNonNull(minSeverity, "RUNSTREAM_WEBHOOK_MIN_SEVERITY");
    for (URI uri : webhooks) {
      requireHttp(uri, "RUNSTREAM_WEBHOOK_URLS");
    }
    for (URI uri : slackWebhooks) {
      requireHttp(uri, "RUNSTREAM_SLACK_WEBHOOK_URLS");
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException(
          "RUNSTREAM_WEBHOOK_ATTEMPTS must be at least 1: " + maxAttempts);
    }
    if (initialBackoff == null || initialBackoff.isNegative()) {
      throw new IllegalArgumentException(
          "RUNSTREAM_WEBHOOK_BACKOFF_MS must be non-negative: " + initialBackoff);
    }
    if (maxBackoff == null || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "maxBackoff must be at least RUNSTREAM_WEBHOOK_BACKOFF_MS: " + maxBackoff);
    }
    if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be positive: " + requestTimeout);
    }
  }

  /** No webhooks: the notifier does not run. */
  public static NotifierConfig none() {
    return of(List.of(), List.of());
  }

  /** The given webhooks with default severity filter, attempts and backoff. */
  public static NotifierConfig of(List<URI> webhooks, List<URI> slackWebhooks) {
    return new NotifierConfig(
        webhooks,
        slackWebhooks,
        Severity.INFO,
        DEFAULT_MAX_ATTEMPTS,
        DEFAULT_INITIAL_BACKOFF,
        DEFAULT_MAX_BACKOFF,
        DEFAULT_REQUEST_TIMEOUT);
  }

  /** Whether any webhook is configured. */
  public boolean enabled() {
    return !webhooks.isEmpty() || !slackWebhooks.isEmpty();
  }

  private static void requireHttp(URI uri, String setting) {
    String scheme = uri.getScheme();
    if (scheme == null
        || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
        || uri.getHost() == null) {
      throw new IllegalArgumentException(setting + " must hold http(s) URLs: " + uri);
    }
  }
}
