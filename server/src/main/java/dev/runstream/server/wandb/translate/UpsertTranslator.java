package dev.runstream.server.wandb.translate;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates the variables of the GraphQL mutation {@code UpsertBucket} into a {@link RunUpsert}.
 *
 * <p>The variables client 0.30.0 sends: {@code id} (the server's id from an earlier answer, or
 * null), {@code name} (the run id), {@code project}, {@code entity}, {@code groupName}, {@code
 * description}, {@code displayName}, {@code notes}, {@code commit}, {@code config} (a JSON string,
 * see {@link ConfigTranslator}), {@code host}, {@code debug}, {@code program}, {@code repo}, {@code
 * jobType}, {@code state}, {@code sweep}, {@code tags} and {@code summaryMetrics} (a JSON string,
 * see {@link SummaryTranslator}). Left out: {@code entity}, which the server must not trust (the
 * API key decides the team), {@code id}, which is the server's own, and {@code debug}, {@code
 * state} and {@code sweep}, which runstream has no use for.
 *
 * <p>Stateless and thread-safe.
 */
public final class UpsertTranslator {
  private static final String WHERE = "UpsertBucket";

  private UpsertTranslator() {}

  /**
   * Translates the mutation's {@code variables}.
   *
   * @throws WandbPayloadException when {@code name} is missing or not a string, another named field
   *     is not a string, {@code tags} is not a list of strings, or {@code config} or {@code
   *     summaryMetrics} cannot be translated
   */
  public static RunUpsert translate(JsonNode variables) {
    if (variables == null || !variables.isObject()) {
      throw new WandbPayloadException(
          WHERE + ": variables are a JSON " + WandbJson.kind(variables) + "; expected an object");
    }
    String runId = text(variables, "name");
    if (runId == null || runId.isEmpty()) {
      throw new WandbPayloadException(
          WHERE
              + ": name (the run id) is "
              + WandbJson.describe(variables.get("name"))
              + "; expected a non-empty string");
    }
    String notes = text(variables, "notes");
    String config = text(variables, "config");
    String summary = text(variables, "summaryMetrics");
    return new RunUpsert(
        runId,
        text(variables, "project"),
        text(variables, "displayName"),
        notes != null ? notes : text(variables, "description"),
        tags(variables.get("tags")),
        text(variables, "groupName"),
        text(variables, "jobType"),
        text(variables, "host"),
        text(variables, "program"),
        text(variables, "commit"),
        text(variables, "repo"),
        config == null ? null : ConfigTranslator.translate(config),
        summary == null ? null : SummaryTranslator.translate(summary));
  }

  private static String text(JsonNode variables, String name) {
    JsonNode value = variables.get(name);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new WandbPayloadException(
          WHERE + ": " + name + " is " + WandbJson.describe(value) + "; expected a string");
    }
    return value.textValue();
  }

  private static List<String> tags(JsonNode tags) {
    if (tags == null || tags.isNull()) {
      return null;
    }
    if (!tags.isArray()) {
      throw new WandbPayloadException(
          WHERE + ": tags is " + WandbJson.describe(tags) + "; expected a list of strings");
    }
    List<String> list = new ArrayList<>(tags.size());
    for (JsonNode tag : tags) {
      if (!tag.isTextual()) {
        throw new WandbPayloadException(
            WHERE + ": tags holds " + WandbJson.describe(tag) + "; expected a list of strings");
      }
      list.add(tag.textValue());
    }
    return list;
  }
}
