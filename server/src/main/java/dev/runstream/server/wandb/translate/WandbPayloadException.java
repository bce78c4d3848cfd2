package dev.runstream.server.wandb.translate;

/**
 * A payload from a {@code wandb} client that cannot be translated: malformed JSON, a missing or
 * ill-typed required field. The message names the part of the payload (file, line, key) and what is
 * wrong with it, so the server can answer HTTP 400 with it as it is.
 */
public final class WandbPayloadException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** An exception with {@code message}, which names what is wrong and where. */
  public WandbPayloadException(String message) {
    super(message);
  }

  /** An exception with {@code message} caused by {@code cause} (typically a JSON parse error). */
  public WandbPayloadException(String message, Throwable cause) {
    super(message, cause);
  }
}
