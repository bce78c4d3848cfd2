package dev.runstream.server.wandb.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CompletionTest {

  private static List<Optional<Completion>> completions(String recording) {
    return CapturedRequests.load(recording).fileStreamBodies().stream()
        .map(Completion::fromFileStream)
        .toList();
  }

  @Test
  void shouldFinishOnlyOnTheLastPostOfARunThatEndedWell() {
    List<Optional<Completion>> completions = completions("simple");

    assertThat(completions.subList(0, completions.size() - 1)).allMatch(Optional::isEmpty);
    Completion last = completions.get(completions.size() - 1).orElseThrow();
    assertThat(last.exitCode()).isZero();
    assertThat(last.finished()).isTrue();
    assertThat(last.failed()).isFalse();
  }

  @Test
  void shouldFailWithTheExitCodeTheClientSent() {
    List<Optional<Completion>> raised = completions("fail2");
    List<Optional<Completion>> finishedWith7 = completions("fail3");

    assertThat(raised.get(raised.size() - 1)).contains(new Completion(1));
    assertThat(finishedWith7.get(finishedWith7.size() - 1)).contains(new Completion(7));
    assertThat(new Completion(7).failed()).isTrue();
  }

  @Test
  void shouldTakeTheClientsWordForSystemExit() {
    // The client itself reports exit code 0 after `raise SystemExit(3)`; the server can only take
    // its word. Kept as a test so that a client that starts sending 3 shows up.
    List<Optional<Completion>> exited = completions("systemexit");

    assertThat(exited.get(exited.size() - 1)).contains(new Completion(0));
  }

  @Test
  void shouldCompleteAnOfflineRunWhenItIsSynced() {
    List<Optional<Completion>> synced = completions("offline");

    assertThat(synced.get(synced.size() - 1)).contains(new Completion(0));
  }

  @Test
  void shouldNotCompleteWithoutComplete() throws Exception {
    assertThat(Completion.of(false, 3)).isEmpty();
    assertThat(Completion.of(null, null)).isEmpty();
    assertThat(Completion.fromFileStream(json("{\"exitcode\":2}"))).isEmpty();
    assertThat(Completion.fromFileStream(json("{\"complete\":false,\"exitcode\":2}"))).isEmpty();
    assertThat(Completion.fromFileStream(json("{\"complete\":true,\"exitcode\":-9}")))
        .contains(new Completion(-9));
  }

  @Test
  void shouldNameWhatIsWrongWithACompletion() {
    assertThatThrownBy(() -> Completion.of(true, null))
        .isInstanceOf(WandbPayloadException.class)
        .hasMessage("file_stream: \"complete\" is true but \"exitcode\" is missing");
    assertThatThrownBy(() -> Completion.fromFileStream(json("{\"complete\":\"yes\"}")))
        .isInstanceOf(WandbPayloadException.class)
        .hasMessage("file_stream: \"complete\" is \"yes\"; expected true or false");
    assertThatThrownBy(
            () -> Completion.fromFileStream(json("{\"complete\":true,\"exitcode\":1.5}")))
        .isInstanceOf(WandbPayloadException.class)
        .hasMessage("file_stream: \"exitcode\" is 1.5; expected a whole number");
  }

  private static JsonNode json(String text) throws Exception {
    return WandbJson.MAPPER.readTree(text);
  }
}
