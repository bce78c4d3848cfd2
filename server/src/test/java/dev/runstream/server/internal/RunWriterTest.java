package dev.runstream.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runstream.sdk.Goal;
import dev.runstream.sdk.MetricDefinition;
import dev.runstream.sdk.Mode;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.RunSummary;
import dev.runstream.sdk.Runstream;
import dev.runstream.sdk.SummaryMode;
import dev.runstream.server.wandb.translate.ConfigTranslator;
import dev.runstream.server.wandb.translate.DefinedMetric;
import dev.runstream.server.wandb.translate.EventsTranslator;
import dev.runstream.server.wandb.translate.HistoryRow;
import dev.runstream.server.wandb.translate.HistoryTranslator;
import dev.runstream.server.wandb.translate.SummaryTranslator;
import dev.runstream.server.wandb.translate.TranslatedConfig;
import dev.runstream.server.wandb.translate.WandbBodies;
import dev.runstream.server.wandb.translate.WandbPayloadException;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
            Map.entry("lr", new BigDecimal("0.02")),
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
    RunWriter writer =
        new RunWriter(new RunKey("t", "p", run.id()), run, new FileStore(dir), null, null, null);
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
  void shouldLogHistoryAtTheClientsTimesAndEventsAsSystemSamples(@TempDir Path dir) {
    RecordingRun recorded = new RecordingRun();
    RunWriter writer =
        new RunWriter(
            new RunKey("t", "p", "r"), recorded.run, new FileStore(dir), null, null, null);
    writer.history(rows("{\"_step\":0,\"_timestamp\":1796300055.859527,\"loss\":0.5}"));
    writer.events(
        EventsTranslator.translate(
            List.of("{\"_timestamp\":1796300056.25,\"_runtime\":1.2,\"system.cpu\":12.5}"), 0));

    assertThat(recorded.calls)
        .containsExactly(
            List.of("log", Map.of("loss", 0.5), 0L, Instant.ofEpochSecond(1796300055, 859_527_000)),
            List.of(
                "logSystem",
                Map.of("system.process.cpu.percent", 12.5),
                Instant.ofEpochSecond(1796300056, 250_000_000)));
    assertThat(writer.eventLines()).isEqualTo(1);
  }

  @Test
  void shouldDetachTheRunWithoutFinishingItAndTakeNothingAfter(@TempDir Path dir) {
    RecordingRun recorded = new RecordingRun();
    RunWriter writer =
        new RunWriter(
            new RunKey("t", "p", "r"), recorded.run, new FileStore(dir), null, null, null);
    writer.detach();
    writer.detach();
    assertThatThrownBy(() -> writer.finish(0))
        .isInstanceOfSatisfying(WandbException.class, e -> assertThat(e.status()).isEqualTo(503));
    assertThatThrownBy(
            () -> writer.history(rows("{\"_step\":0,\"_timestamp\":1.7e9,\"loss\":0.5}")))
        .isInstanceOf(WandbException.class);

    assertThat(recorded.calls).containsExactly(List.of("detach"));
  }

  @Test
  void shouldDetachAnIdleRunAndRefuseLaterRequestsWithARetryableStatus(@TempDir Path dir) {
    RecordingRun recorded = new RecordingRun();
    RunWriter writer =
        new RunWriter(
            new RunKey("t", "p", "r"), recorded.run, new FileStore(dir), null, null, null);
    assertThat(writer.touch()).isTrue();
    assertThat(writer.detachIfIdle(System.nanoTime(), Duration.ofHours(1))).isFalse();
    assertThat(recorded.calls).isEmpty();

    assertThat(
            writer.detachIfIdle(
                System.nanoTime() + Duration.ofHours(2).toNanos(), Duration.ofHours(1)))
        .isTrue();
    assertThat(recorded.calls).containsExactly(List.of("detach"));
    assertThat(writer.touch()).isFalse();
    assertThatThrownBy(
            () -> writer.history(rows("{\"_step\":0,\"_timestamp\":1.7e9,\"loss\":0.5}")))
        .isInstanceOfSatisfying(WandbException.class, e -> assertThat(e.status()).isEqualTo(503))
        .hasMessageContaining("retry");
    assertThatThrownBy(() -> writer.finish(0)).isInstanceOf(WandbException.class);
    assertThat(recorded.calls).containsExactly(List.of("detach"));
  }

  @Test
  void shouldDefineNamedMetricsAtOnceAndGlobbedOnesWhenFirstLogged(@TempDir Path dir) {
    RecordingRun recorded = new RecordingRun();
    DefinedMetric acc =
        new DefinedMetric(
            "acc", false, Goal.MAXIMIZE, SummaryMode.MAX, List.of("max"), null, false);
    DefinedMetric train =
        new DefinedMetric("train/*", true, Goal.NONE, SummaryMode.MIN, List.of("min"), null, false);
    RunWriter writer =
        new RunWriter(
            new RunKey("t", "p", "r"),
            recorded.run,
            new FileStore(dir),
            null,
            null,
            new TranslatedConfig(Map.of("lr", 0.1), List.of(acc, train)));
    writer.history(
        rows(
            "{\"_step\":0,\"_timestamp\":1.7e9,\"train/loss\":0.5,\"acc\":0.1}",
            "{\"_step\":1,\"_timestamp\":1.7e9,\"train/loss\":0.4,\"other\":1}"));
    // The same definitions again (every later UpsertBucket carries the whole config): not resent.
    writer.update(
        new Upsert(
            null,
            null,
            null,
            new TranslatedConfig(Map.of("lr", 0.1), List.of(acc, train)),
            null,
            null,
            null,
            null));

    assertThat(recorded.calls)
        .filteredOn(c -> !c.get(0).equals("log"))
        .containsExactly(
            List.of("defineMetric", "acc"),
            List.of("goal", Goal.MAXIMIZE),
            List.of("summary", SummaryMode.MAX),
            List.of("defineMetric", "train/loss"),
            List.of("goal", Goal.NONE),
            List.of("summary", SummaryMode.MIN));
  }

  @Test
  void shouldKeepNonScalarValuesInARunFileAndCountThemPerKeyInTheSummary(@TempDir Path dir)
      throws Exception {
    RecordingRun recorded = new RecordingRun();
    FileStore files = new FileStore(dir);
    RunKey key = new RunKey("t", "p", "r");
    RunWriter writer = new RunWriter(key, recorded.run, files, null, null, null);
    List<HistoryRow> post =
        rows(
            "{\"_step\":0,\"_timestamp\":1.7e9,\"loss\":0.5,\"text\":\"words\"}",
            "{\"_step\":1,\"_timestamp\":1.7e9,\"text\":\"more\","
                + "\"h\":{\"_type\":\"histogram\",\"bins\":[0,1],\"values\":[3]}}");
    writer.history(post);
    writer.history(post); // a retried post: nothing kept twice
    writer.summary(
        SummaryTranslator.translate(
            "{\"loss\":0.5,\"text\":\"more\",\"h\":{\"_type\":\"histogram\",\"bins\":[0,1],"
                + "\"values\":[3]}}"));

    List<String> kept =
        Files.readAllLines(files.file(key, RunWriter.NON_SCALAR_FILE), StandardCharsets.UTF_8);
    assertThat(kept)
        .containsExactly(
            "{\"source\":\"history\",\"step\":0,\"time\":\"2023-11-14T22:13:20Z\",\"key\":\"text\","
                + "\"type\":\"string\",\"value\":\"words\"}",
            "{\"source\":\"history\",\"step\":1,\"time\":\"2023-11-14T22:13:20Z\",\"key\":\"text\","
                + "\"type\":\"string\",\"value\":\"more\"}",
            "{\"source\":\"history\",\"step\":1,\"time\":\"2023-11-14T22:13:20Z\",\"key\":\"h\","
                + "\"type\":\"histogram\",\"value\":{\"_type\":\"histogram\",\"bins\":[0,1],"
                + "\"values\":[3]}}");
    assertThat(writer.nonScalarCounts())
        .containsExactlyInAnyOrderEntriesOf(Map.of("text", 2L, "h", 1L));
    assertThat(recorded.calls)
        .filteredOn(c -> c.get(0).equals("set"))
        .containsExactly(
            List.of(
                "set", RunWriter.NON_SCALAR_SUMMARY, new TreeMap<>(Map.of("text", 2L, "h", 1L))));
    List<Object> update =
        recorded.calls.stream().filter(c -> c.get(0).equals("update")).findFirst().orElseThrow();
    @SuppressWarnings("unchecked")
    Map<String, Object> summary = (Map<String, Object>) update.get(1);
    assertThat(summary).containsEntry("loss", 0.5).containsEntry("text", "more");
    assertThat(summary.get("h"))
        .isEqualTo(Map.of("_type", "histogram", "bins", List.of(0, 1), "values", List.of(3)));
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

  /** A {@link Run} that records the calls a writer makes on it (no Kafka, no directory). */
  private static final class RecordingRun {
    final List<List<Object>> calls = new ArrayList<>();
    final Run run =
        (Run)
            Proxy.newProxyInstance(
                Run.class.getClassLoader(),
                new Class<?>[] {Run.class},
                (proxy, method, args) -> {
                  switch (method.getName()) {
                    case "step" -> {
                      return 0L;
                    }
                    case "defineMetric", "summary" -> {
                      List<Object> call = new ArrayList<>();
                      call.add(method.getName());
                      if (args != null) {
                        call.addAll(Arrays.asList(args));
                      }
                      calls.add(call);
                      return recorder(method.getReturnType());
                    }
                    case "log", "logSystem", "detach", "finish" -> {
                      List<Object> call = new ArrayList<>();
                      call.add(method.getName());
                      if (args != null) {
                        call.addAll(Arrays.asList(args));
                      }
                      calls.add(call);
                      return null;
                    }
                    case "toString" -> {
                      return "RecordingRun";
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                  }
                });

    /** A {@link MetricDefinition} or {@link RunSummary} whose calls are recorded too. */
    private Object recorder(Class<?> type) {
      return Proxy.newProxyInstance(
          type.getClassLoader(),
          new Class<?>[] {type},
          (proxy, method, args) -> {
            List<Object> call = new ArrayList<>();
            call.add(method.getName());
            if (args != null) {
              call.addAll(Arrays.asList(args));
            }
            calls.add(call);
            return method.getReturnType().isInstance(proxy) ? proxy : null;
          });
    }
  }
}
