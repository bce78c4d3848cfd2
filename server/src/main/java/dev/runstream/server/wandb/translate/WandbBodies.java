package dev.runstream.server.wandb.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The request bodies around the payloads: a GraphQL request and a {@code file_stream} post, read in
 * the client's JSON dialect (bare {@code NaN} and infinities) with the same errors as the
 * translators.
 *
 * <p>Stateless and thread-safe.
 */
public final class WandbBodies {
  private WandbBodies() {}

  /**
   * Parses a request body as one JSON object; {@code what} names it in error messages.
   *
   * @throws WandbPayloadException when it is blank, not JSON, or not an object
   */
  public static ObjectNode object(String body, String what) {
    return WandbJson.parseObject(body, what);
  }

  /**
   * The {@code content} lines of one file of a {@code file_stream} post; a missing or null {@code
   * content} is no lines.
   *
   * @throws WandbPayloadException when {@code content} is not a list of strings
   */
  public static List<String> lines(JsonNode content, String what) {
    return listOfStrings(content, what + ": content");
  }

  /**
   * The strings of a GraphQL variable that is a list of strings ({@code what} names it); a missing
   * or null variable is none.
   *
   * @throws WandbPayloadException when it is not a list of strings
   */
  public static List<String> strings(JsonNode list, String what) {
    return listOfStrings(list, what);
  }

  private static List<String> listOfStrings(JsonNode content, String what) {
    List<String> lines = new ArrayList<>();
    if (content == null || content.isNull()) {
      return lines;
    }
    if (!content.isArray()) {
      throw new WandbPayloadException(
          what + " is " + WandbJson.describe(content) + "; expected a list of strings");
    }
    for (JsonNode line : content) {
      if (!line.isTextual()) {
        throw new WandbPayloadException(
            what + " holds " + WandbJson.describe(line) + "; expected a list of strings");
      }
      lines.add(line.textValue());
    }
    return lines;
  }
}
