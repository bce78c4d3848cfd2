package dev.runstream.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runstream.sdk.Mode;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import dev.runstream.server.wandb.translate.ConfigTranslator;
import dev.runstream.server.wandb.translate.HistoryRow;
import dev.runstream.server.wandb.translate.HistoryTranslator;
import dev.runstream.server.wandb.translate.WandbBodies;
import dev.runstream.server.wandb.translate.WandbPayloadException;
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
            ConfigTranslator.translate(
                    "{\"_wandb\":{\"value\":{\"t\":1}},\"lr\":{\"value\":0.02},"
                        + "\"arch\":{\"value\":\"CNN\"},\"nested\":{\"value\":{\"a\":[1,2]}}}")
                .values())
        .containsExactly(
            Map.entry("lr", 0.02),
            Map.entry("arch", "CNN"),
            Map.entry("nested", Map.of("a", List.of(1L, 2L))));
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
        rows(
            "{\"_step\":0,\"_timestamp\":1.7e9,\"loss\":0.5,\"val\":{\"acc\":0.25},\"n\":NaN}",
            "{\"_step\":1,\"_timestamp\":1.7e9,\"loss\":Infinity,\"text\":\"words\"}"));
    // A retried post: its lines again, and one new.
    writer.history(
        rows(
            "{\"_step\":0,\"_timestamp\":1.7e9,\"loss\":0.5}",
            "{\"_step\":1,\"_timestamp\":1.7e9,\"loss\":1}",
            "{\"_step\":2,\"_timestamp\":1.7e9,\"loss\":0.1}"));
    assertThat(writer.historyLines()).isEqualTo(3);
    assertThat(writer.repeatedLines()).isEqualTo(2);
    assertThat(writer.nonScalarValues()).isEqualTo(1); // "text"
    assertThat(run.counters().accepted()).isEqualTo(5); // loss, val.acc, n; loss; loss
    writer.finish(0);
    assertThat(writer.finished()).isTrue();
    writer.history(rows("{\"_step\":3,\"_timestamp\":1.7e9,\"loss\":0.1}"));
    assertThat(run.counters().accepted()).isEqualTo(5);
  }

  @Test
  void shouldRefuseBodiesThatAreNotJsonObjectsAsPayloadErrors() {
    assertThatThrownBy(() -> WandbBodies.object("{not json", "file_stream"))
        .isInstanceOf(WandbPayloadException.class)
        .hasMessageStartingWith("file_stream is not valid JSON");
    assertThatThrownBy(() -> WandbBodies.object("[1]", "config"))
        .hasMessage("config is a JSON array; expected a JSON object");
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

  private static List<HistoryRow> rows(String... lines) {
    return HistoryTranslator.translate(List.of(lines), 0);
  }
}
