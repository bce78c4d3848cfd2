package dev.runstream.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunWriterTest {
  @Test
  void shouldUnwrapConfigValuesAndDropWandbsOwnEntry() {
    assertThat(
            RunWriter.config(
                "{\"_wandb\":{\"value\":{\"t\":1}},\"lr\":{\"value\":0.02},"
                    + "\"arch\":{\"value\":\"CNN\"},\"nested\":{\"value\":{\"a\":[1,2]}}}"))
        .containsExactly(
            Map.entry("lr", 0.02),
            Map.entry("arch", "CNN"),
            Map.entry("nested", Map.of("a", List.of(1, 2))));
  }

  @Test
  void shouldRefuseBodiesThatAreNotJsonObjectsWithA400() {
    assertThatThrownBy(() -> RunWriter.object("{not json", "file_stream"))
        .isInstanceOfSatisfying(WandbException.class, e -> assertThat(e.status()).isEqualTo(400))
        .hasMessageStartingWith("file_stream: not JSON");
    assertThatThrownBy(() -> RunWriter.object("[1]", "config"))
        .hasMessage("config: a JSON object was expected");
  }

  @Test
  void shouldReadOperationNamesFromTheDocumentOrOperationName() {
    ObjectNode empty = RunWriter.JSON.createObjectNode();
    assertThat(GraphQlApi.operationName(empty, "\nquery Viewer {\n viewer { id } }"))
        .isEqualTo("Viewer");
    assertThat(GraphQlApi.operationName(empty, "mutation UpsertBucket ($id: String) {"))
        .isEqualTo("UpsertBucket");
    ObjectNode named = RunWriter.JSON.createObjectNode().put("operationName", "Other");
    assertThat(GraphQlApi.operationName(named, "query Viewer {")).isEqualTo("Other");
    assertThatThrownBy(() -> GraphQlApi.operationName(empty, "{ viewer { id } }"))
        .isInstanceOfSatisfying(WandbException.class, e -> assertThat(e.status()).isEqualTo(400))
        .hasMessageContaining("names no operation");
  }
}
