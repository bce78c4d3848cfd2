package dev.runstream.server.wandb.translate;

import java.util.Objects;

/**
 * A logged value that is not a number: a string, a list, a null, an empty dict, or one of W&amp;B's
 * typed objects (a histogram, an image, a table...). It is handed to the server instead of being
 * dropped, so that the server can keep it (as a run attribute or a file) and count it per key.
 *
 * @param type what the value is: W&amp;B's own {@code _type} for typed objects (e.g. {@code
 *     histogram}, {@code image-file}, {@code table-file}), else one of {@link #STRING}, {@link
 *     #LIST}, {@link #NULL}, {@link #OBJECT}
 * @param json the value as compact JSON (non-finite floats written as {@code "NaN"} strings)
 * @param file the run file that holds the value's content ({@code path} of the {@code *-file}
 *     types, e.g. {@code media/images/image_12_4a09.png}, uploaded by the client through {@code
 *     CreateRunFiles}), or null
 */
public record NonScalar(String type, String json, String file) {
  /** The type of a JSON string. */
  public static final String STRING = "string";

  /** The type of a JSON array. */
  public static final String LIST = "list";

  /** The type of a JSON null (Python's {@code None}). */
  public static final String NULL = "null";

  /** The type of a dict with no {@code _type} and nothing in it to flatten. */
  public static final String OBJECT = "object";

  /** Checks the required components. */
  public NonScalar {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(json, "json");
  }
}
