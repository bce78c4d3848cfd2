package dev.runstream.sdk.internal;

import java.security.SecureRandom;
import java.util.List;
import java.util.random.RandomGenerator;

/** Run ids and W&B-style display names ({@code adjective-noun-number}). */
public final class RunNames {
  private static final List<String> ADJECTIVES =
      List.of(
          "brisk",
          "calm",
          "clever",
          "crisp",
          "dainty",
          "eager",
          "fancy",
          "gentle",
          "golden",
          "hardy",
          "jolly",
          "lively",
          "lucky",
          "misty",
          "noble",
          "polished",
          "quiet",
          "rosy",
          "silver",
          "snowy",
          "swift",
          "vivid",
          "wise",
          "zesty");
  private static final List<String> NOUNS =
      List.of(
          "aurora", "breeze", "brook", "cloud", "comet", "dawn", "dew", "field", "forest", "frost",
          "galaxy", "glade", "harbor", "lake", "meadow", "moon", "river", "sea", "shadow", "sky",
          "star", "sun", "valley", "wave");
  private static final char[] ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
  private static final RandomGenerator RANDOM = new SecureRandom();

  private RunNames() {}

  /** A random 8-character lower-case base-36 id, as W&B makes them. */
  public static String newRunId() {
    char[] id = new char[8];
    for (int i = 0; i < id.length; i++) {
      id[i] = ID_CHARS[RANDOM.nextInt(ID_CHARS.length)];
    }
    return new String(id);
  }

  /** A display name such as {@code brisk-river-42}. */
  public static String newDisplayName() {
    return ADJECTIVES.get(RANDOM.nextInt(ADJECTIVES.size()))
        + "-"
        + NOUNS.get(RANDOM.nextInt(NOUNS.size()))
        + "-"
        + (1 + RANDOM.nextInt(99));
  }
}
