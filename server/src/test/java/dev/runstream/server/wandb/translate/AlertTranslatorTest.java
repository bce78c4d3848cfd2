package dev.runstream.server.wandb.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runstream.sdk.AlertLevel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertTranslatorTest {

  @Test
  void shouldTranslateTheClientsAlerts() {
    List<WandbAlert> alerts =
        CapturedRequests.load("rich").graphql("mutation NotifyScriptableRunAlert").stream()
            .map(AlertTranslator::translate)
            .toList();

    assertThat(alerts)
        .containsExactly(
            new WandbAlert(
                "Loss \"diverged\"", "val_loss went up ü", AlertLevel.WARN, Duration.ofMinutes(1)),
            new WandbAlert("plain", "info text", AlertLevel.INFO, Duration.ofMinutes(1)));
  }

  @Test
  void shouldDefaultToInfoWithoutAWait() throws Exception {
    assertThat(AlertTranslator.translate(json("{\"title\":\"t\",\"text\":\"\",\"severity\":null}")))
        .isEqualTo(new WandbAlert("t", "", AlertLevel.INFO, null));
    assertThat(
            AlertTranslator.translate(
                json("{\"title\":\"t\",\"text\":\"x\",\"severity\":\"ERROR\",\"waitDuration\":0}")))
        .isEqualTo(new WandbAlert("t", "x", AlertLevel.ERROR, Duration.ZERO));
  }

  @Test
  void shouldNameWhatIsWrongWithAnAlert() {
    Map<String, String> cases =
        Map.of(
            "{\"text\":\"x\"}", "NotifyScriptableRunAlert: title is missing; expected a string",
            "{\"title\":1,\"text\":\"x\"}",
                "NotifyScriptableRunAlert: title is 1; expected a string",
            "{\"title\":\"t\"}", "NotifyScriptableRunAlert: text is missing; expected a string",
            "{\"title\":\"t\",\"text\":\"x\",\"severity\":\"CRITICAL\"}",
                "NotifyScriptableRunAlert: severity is \"CRITICAL\"; expected INFO, WARN or ERROR",
            "{\"title\":\"t\",\"text\":\"x\",\"waitDuration\":-5}",
                "NotifyScriptableRunAlert: waitDuration is -5; expected non-negative milliseconds",
            "[]", "NotifyScriptableRunAlert: variables are a JSON array; expected an object");
    cases.forEach(
        (variables, message) ->
            assertThatThrownBy(() -> AlertTranslator.translate(json(variables)))
                .as(variables)
                .isInstanceOf(WandbPayloadException.class)
                .hasMessage(message));
    assertThatThrownBy(() -> AlertTranslator.translate(null))
        .isInstanceOf(WandbPayloadException.class)
        .hasMessage("NotifyScriptableRunAlert: variables are a JSON nothing; expected an object");
  }

  private static JsonNode json(String text) throws Exception {
    return WandbJson.MAPPER.readTree(text);
  }
}
