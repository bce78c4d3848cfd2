package dev.runstream.server.wandb.translate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runstream.sdk.AlertLevel;
import java.time.Duration;

/**
 * Translates {@code run.alert(...)}, which the client sends as the GraphQL mutation {@code
 * NotifyScriptableRunAlert} with the variables {@code entityName}, {@code projectName}, {@code
 * runName}, {@code title}, {@code text}, {@code severity} ({@code INFO}, {@code WARN} or {@code
 * ERROR}; W&amp;B's {@code AlertSeverity}) and {@code waitDuration} (milliseconds; the client's
 * default {@code wait_duration} of one minute arrives as {@code 60000}). The entity, project and
 * run name address the run and are the server's to check; this takes only the alert from them.
 *
 * <p>Stateless and thread-safe.
 */
public final class AlertTranslator {
  private static final String WHERE = "NotifyScriptableRunAlert";

  private AlertTranslator() {}

  /**
   * Translates the mutation's {@code variables}.
   *
   * @throws WandbPayloadException when {@code title} or {@code text} is missing or not a string,
   *     {@code severity} is not one of {@code INFO}, {@code WARN}, {@code ERROR}, or {@code
   *     waitDuration} is not a non-negative whole number
   */
  public static WandbAlert translate(JsonNode variables) {
    if (variables == null || !variables.isObject()) {
      throw new WandbPayloadException(
          WHERE + ": variables are a JSON " + WandbJson.kind(variables) + "; expected an object");
    }
    String title = requiredText(variables, "title");
    String text = requiredText(variables, "text");
    AlertLevel level = level(variables.get("severity"));
    JsonNode wait = variables.get("waitDuration");
    Duration waitDuration = null;
    if (wait != null && !wait.isNull()) {
      if (!WandbJson.isWhole(wait) || wait.asLong() < 0) {
        throw new WandbPayloadException(
            WHERE
                + ": waitDuration is "
                + WandbJson.describe(wait)
                + "; expected non-negative milliseconds");
      }
      waitDuration = Duration.ofMillis(wait.asLong());
    }
    return new WandbAlert(title, text, level, waitDuration);
  }

  private static String requiredText(JsonNode variables, String name) {
    JsonNode value = variables.get(name);
    if (value == null || !value.isTextual()) {
      throw new WandbPayloadException(
          WHERE + ": " + name + " is " + WandbJson.describe(value) + "; expected a string");
    }
    return value.textValue();
  }

  private static AlertLevel level(JsonNode severity) {
    if (severity == null || severity.isNull()) {
      return AlertLevel.INFO;
    }
    if (severity.isTextual()) {
      switch (severity.textValue()) {
        case "INFO":
          return AlertLevel.INFO;
        case "WARN":
          return AlertLevel.WARN;
        case "ERROR":
          return AlertLevel.ERROR;
        default:
          break;
      }
    }
    throw new WandbPayloadException(
        WHERE + ": severity is " + WandbJson.describe(severity) + "; expected INFO, WARN or ERROR");
  }
}
