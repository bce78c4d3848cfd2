package dev.runstream.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runstream.sdk.Mode;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
  void shouldLogEachStepOnceAndKeepNonFiniteAndNestedValues(@TempDir Path dir) {
    Run run =
        Runstream.init(
            RunOptions.builder("p", Map.of())
                .mode(Mode.OFFLINE)
                .directory(dir)
                .systemMetricsInterval(Duration.ZERO)
                .build());
    RunWriter writer = new RunWriter(new RunKey("t", "p", run.id()), run, null, null, null);
    writer.history(
        List.of(
            "{\"_step\":0,\"_timestamp\":1.7e9,\"loss\":0.5,\"val\":{\"acc\":0.25},\"n\":NaN}",
            "{\"_step\":1,\"loss\":Infinity,\"text\":\"words\"}"));
    // A retried post: its lines again, and one new.
    writer.history(
        List.of(
            "{\"_step\":0,\"loss\":0.5}",
            "{\"_step\":1,\"loss\":1}",
            "{\"_step\":2,\"loss\":0.1}"));
    assertThat(writer.historyLines()).isEqualTo(3);
    assertThat(writer.repeatedLines()).isEqualTo(2);
    assertThat(writer.skippedValues()).isEqualTo(1); // "text"
    assertThat(run.counters().accepted()).isEqualTo(5); // loss, val.acc, n; loss; loss
    writer.finish(0);
    assertThat(writer.finished()).isTrue();
    writer.history(List.of("{\"_step\":3,\"loss\":0.1}"));
    assertThat(run.counters().accepted()).isEqualTo(5);
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
