package dev.runstream.cli;

/**
 * A failure a person can act on: the message says what went wrong and what to do, and is printed as
 * it is (after {@code runstream: }) with exit code 1, without a stack trace.
 */
final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  CliException(String message) {
    super(message);
  }

  CliException(String message, Throwable cause) {
    super(message, cause);
  }
}
