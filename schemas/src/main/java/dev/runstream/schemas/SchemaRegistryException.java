package dev.runstream.schemas;

/** A schema registry refused a request or could not be reached. */
public class SchemaRegistryException extends RuntimeException {
  private final int status;

  /**
   * @param message what failed, naming the registry URL and subject or id
   * @param status the HTTP status, or -1 when no response arrived
   */
  public SchemaRegistryException(String message, int status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public SchemaRegistryException(String message, int status) {
    this(message, status, null);
  }

  /** The HTTP status of the failed response, or -1 when no response arrived. */
  public int status() {
    return status;
  }
}
