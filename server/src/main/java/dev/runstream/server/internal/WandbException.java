package dev.runstream.server.internal;

/** A request the server refuses, with the HTTP status and the message the client is shown. */
public final class WandbException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public WandbException(int status, String message) {
    super(message);
    this.status = status;
  }

  public WandbException(int status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
