package dev.runstream.sdk.internal;

/**
 * What a metric name may be: 1 to {@value #MAX_LENGTH} characters of letters, digits, spaces and
 * {@code _-./:@#%+=()[]<>}, not starting or ending with a space. W&B-style sections ({@code
 * train/loss}) and dotted names work; control characters, quotes and commas, which break CSV
 * exports, shell use and SQL in dashboards, do not.
 */
final class MetricNames {
  static final int MAX_LENGTH = 256;
  private static final String PUNCTUATION = " _-./:@#%+=()[]<>";
  // The rule below for ASCII, precomputed: log() checks every name of every call.
  private static final boolean[] ALLOWED_ASCII = new boolean[128];

  static {
    for (char c = 0; c < 128; c++) {
      ALLOWED_ASCII[c] = allowed(c);
    }
  }

  private MetricNames() {}

  /** Null when {@code name} is valid, else why not. */
  static String problem(String name) {
    return name != null && valid(name) ? null : whyNot(name);
  }

  // The rule in one pass, for the common case of a valid name (a valid name is never blank: its
  // first character is allowed and not a space, so not whitespace).
  private static boolean valid(String name) {
    int length = name.length();
    if (length == 0
        || length > MAX_LENGTH
        || name.charAt(0) == ' '
        || name.charAt(length - 1) == ' ') {
      return false;
    }
    for (int i = 0; i < length; i++) {
      char c = name.charAt(i);
      if (c < 128 ? !ALLOWED_ASCII[c] : !allowed(c)) {
        return false;
      }
    }
    return true;
  }

  private static String whyNot(String name) {
    if (name == null) {
      return "a metric name is null";
    }
    int length = name.length();
    if (length == 0 || name.isBlank()) {
      return "a metric name is empty";
    }
    if (length > MAX_LENGTH) {
      return "metric name '" + name.substring(0, 32) + "...' is longer than " + MAX_LENGTH;
    }
    if (name.charAt(0) == ' ' || name.charAt(length - 1) == ' ') {
      return "metric name '" + name + "' starts or ends with a space";
    }
    for (int i = 0; i < length; i++) {
      char c = name.charAt(i);
      if (!allowed(c)) {
        return "metric name '"
            + printable(name)
            + "' has a forbidden character (U+"
            + String.format("%04X", (int) c)
            + ")";
      }
    }
    return "metric name '" + printable(name) + "' is not valid"; // not reached: valid() agrees
  }

  private static boolean allowed(char c) {
    return Character.isLetterOrDigit(c) || PUNCTUATION.indexOf(c) >= 0;
  }

  private static String printable(String name) {
    StringBuilder b = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      b.append(Character.isISOControl(c) ? '?' : c);
    }
    return b.toString();
  }
}
