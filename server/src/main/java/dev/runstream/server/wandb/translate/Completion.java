package dev.runstream.server.wandb.translate;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * The end of a run as the client reports it: the last {@code file_stream} post carries {@code
 * "complete": true} and {@code "exitcode": N}. Exit code 0 is finished, anything else failed, as
 * {@code Run.finish(exitCode())} takes it. A run whose client dies sends no completion; the
 * processor marks it crashed when its heartbeats stop.
 *
 * <p>Facts from client 0.30.0: {@code run.finish()} and a script that returns send 0; an uncaught
 * exception sends 1; {@code run.finish(exit_code=7)} sends 7; {@code raise SystemExit(3)} sends 0.
 *
 * @param exitCode the client's exit code
 */
public record Completion(int exitCode) {

  /** Whether the run ended with exit code 0. */
  public boolean finished() {
    return exitCode == 0;
  }

  /** Whether the run ended with a non-zero exit code. */
  public boolean failed() {
    return exitCode != 0;
  }

  /**
   * The completion in a {@code file_stream} post's two fields, or empty while {@code complete} is
   * absent or false.
   *
   * @throws WandbPayloadException when {@code complete} is true and {@code exitcode} is missing
   */
  public static Optional<Completion> of(Boolean complete, Integer exitcode) {
    if (complete == null || !complete) {
      return Optional.empty();
    }
    if (exitcode == null) {
      throw new WandbPayloadException(
          "file_stream: \"complete\" is true but \"exitcode\" is missing");
    }
    return Optional.of(new Completion(exitcode));
  }

  /**
   * The completion in a parsed {@code file_stream} post body, or empty when it does not complete
   * the run.
   *
   * @throws WandbPayloadException when {@code complete} is not a boolean, or it is true and {@code
   *     exitcode} is missing or not a whole number
   */
  public static Optional<Completion> fromFileStream(JsonNode body) {
    JsonNode complete = body == null ? null : body.get("complete");
    if (complete == null || complete.isNull()) {
      return Optional.empty();
    }
    if (!complete.isBoolean()) {
      throw new WandbPayloadException(
          "file_stream: \"complete\" is "
              + WandbJson.describe(complete)
              + "; expected true or false");
    }
    JsonNode exitcode = body.get("exitcode");
    if (complete.booleanValue()
        && exitcode != null
        && !exitcode.isNull()
        && !(exitcode.isIntegralNumber() && exitcode.canConvertToInt())) {
      throw new WandbPayloadException(
          "file_stream: \"exitcode\" is "
              + WandbJson.describe(exitcode)
              + "; expected a whole number");
    }
    return of(
        complete.booleanValue(),
        exitcode == null || exitcode.isNull() ? null : exitcode.intValue());
  }
}
