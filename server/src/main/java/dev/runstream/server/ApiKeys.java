package dev.runstream.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads the server's API keys from a file of {@code key=team} lines ({@code #} starts a comment,
 * blank lines are skipped), so that keys never appear on a command line or in a process listing.
 *
 * <p>A key must be one the {@code wandb} client accepts before it ever asks the server: an optional
 * {@code prefix-} followed by at least 40 letters, digits or underscores.
 */
public final class ApiKeys {
  // What wandb 0.30's validation.check_api_key lets through (prefix, dash, 40+ word characters).
  private static final Pattern CLIENT_ACCEPTS = Pattern.compile("([^-]*-)?[A-Za-z0-9_-]{40,}");

  private ApiKeys() {}

  /**
   * Reads {@code file}.
   *
   * @return key to team, in file order
   * @throws IllegalArgumentException naming the line that is not {@code key=team} or holds a key
   *     the client would refuse
   * @throws UncheckedIOException if the file cannot be read
   */
  public static Map<String, String> read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the API keys file " + file + ": " + e, e);
    }
    return parse(lines, file.toString());
  }

  /** {@link #read} of lines already read; {@code source} names them in messages. */
  static Map<String, String> parse(List<String> lines, String source) {
    Map<String, String> keys = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      String where = source + " line " + (i + 1);
      if (eq <= 0 || eq == line.length() - 1) {
        throw new IllegalArgumentException(where + " is not key=team");
      }
      String key = line.substring(0, eq).strip();
      String team = line.substring(eq + 1).strip();
      if (!CLIENT_ACCEPTS.matcher(key).matches()) {
        throw new IllegalArgumentException(
            where
                + ": the wandb client refuses keys shorter than 40 letters, digits or underscores"
                + " (after an optional prefix-)");
      }
      if (team.isEmpty()) {
        throw new IllegalArgumentException(where + " names no team");
      }
      if (keys.put(key, team) != null) {
        throw new IllegalArgumentException(where + " repeats a key");
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException(source + " holds no key=team line");
    }
    return keys;
  }
}
