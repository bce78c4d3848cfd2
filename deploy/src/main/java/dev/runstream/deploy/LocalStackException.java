package dev.runstream.deploy;

/**
 * Thrown when a server of the local stack cannot be started, reached or stopped. The message names
 * the server, its address and, for servers this launcher started, the tail of its log.
 */
public class LocalStackException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with a message.
   *
   * @param message what failed, with the address and log tail where known
   */
  public LocalStackException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and a cause.
   *
   * @param message what failed, with the address and log tail where known
   * @param cause the underlying failure
   */
  public LocalStackException(String message, Throwable cause) {
    super(message, cause);
  }
}
