package dev.runstream.server.wandb.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UpsertTranslatorTest {

  private static List<RunUpsert> upserts(String recording) {
    return CapturedRequests.load(recording).graphql("mutation UpsertBucket").stream()
        .map(UpsertTranslator::translate)
        .toList();
  }

  @Test
  void shouldCreateTheRunWithNameNotesTagsAndConfigVerbatim() {
    RunUpsert created = upserts("rich").get(0);

    assertThat(created.runId()).isEqualTo("oo5shjry");
    assertThat(created.project()).isEqualTo("tinyllm_hoon");
    assertThat(created.displayName()).isEqualTo("rich \"q\" `bt` ünï");
    assertThat(created.notes()).isEqualTo("first notes");
    assertThat(created.tags()).containsExactly("tag1", "NVIDIA-H100");
    assertThat(created.host()).isEqualTo("trainer");
    assertThat(created.program()).isEqualTo("/home/user/train/../rich.py");
    assertThat(created.group()).isNull();
    assertThat(created.jobType()).isNull();
    assertThat(created.config().values()).containsEntry("learning_rate", new BigDecimal("0.02"));
    assertThat(created.summary()).isNull();
  }

  @Test
  void shouldCarryRenamesNewNotesAndAddedTags() {
    List<RunUpsert> upserts = upserts("rich");
    RunUpsert updated = upserts.get(upserts.size() - 1);

    assertThat(updated.runId()).isEqualTo("oo5shjry");
    assertThat(updated.displayName()).isEqualTo("renamed");
    assertThat(updated.notes()).isEqualTo("second notes");
    assertThat(updated.tags()).containsExactly("tag1", "NVIDIA-H100", "added");
    assertThat(updated.config().values()).containsEntry("late_key", 42L);
    assertThat(updated.config().definedMetrics()).hasSize(8);
  }

  @Test
  void shouldLeaveWhatALaterUpsertDoesNotSendAsUnchanged() {
    List<RunUpsert> upserts = upserts("simple");
    RunUpsert later = upserts.get(upserts.size() - 1);

    assertThat(later.displayName()).isNull();
    assertThat(later.notes()).isNull();
    assertThat(later.tags()).isNull();
    assertThat(later.host()).isNull();
    assertThat(later.config().values()).hasSize(4);
  }

  @Test
  void shouldReadWhatWandbSyncSendsLikeAnOnlineRun() {
    RunUpsert synced = upserts("offline").get(0);

    assertThat(synced.displayName()).isEqualTo("test1");
    assertThat(synced.notes()).isEqualTo("trainging test");
    assertThat(synced.tags()).containsExactly("tag1", "tag2");
  }

  @Test
  void shouldTakeNotesFromTheOlderDescriptionAndTranslateSummaryMetrics() throws Exception {
    RunUpsert upsert =
        UpsertTranslator.translate(
            json(
                "{\"name\":\"r1\",\"description\":\"old notes\",\"groupName\":\"g\",\"jobType\":\"train\","
                    + "\"summaryMetrics\":\"{\\\"best\\\":0.5,\\\"_step\\\":3}\",\"tags\":[]}"));

    assertThat(upsert.notes()).isEqualTo("old notes");
    assertThat(upsert.group()).isEqualTo("g");
    assertThat(upsert.jobType()).isEqualTo("train");
    assertThat(upsert.tags()).isEmpty();
    assertThat(upsert.summary().values()).isEqualTo(Map.of("best", 0.5));
  }

  @Test
  void shouldNameWhatIsWrongWithAnUpsert() {
    Map<String, String> cases =
        Map.of(
            "{\"project\":\"p\"}",
                "UpsertBucket: name (the run id) is missing; expected a non-empty string",
            "{\"name\":\"\"}",
                "UpsertBucket: name (the run id) is \"\"; expected a non-empty string",
            "{\"name\":\"r\",\"tags\":\"a\"}",
                "UpsertBucket: tags is \"a\"; expected a list of strings",
            "{\"name\":\"r\",\"tags\":[1]}",
                "UpsertBucket: tags holds 1; expected a list of strings",
            "{\"name\":\"r\",\"notes\":{}}", "UpsertBucket: notes is {}; expected a string",
            "{\"name\":\"r\",\"config\":\"{\\\"lr\\\":1}\"}",
                "config key 'lr' is a JSON number without \"value\"",
            "{\"name\":\"r\",\"summaryMetrics\":\"[\"}", "wandb-summary.json is not valid JSON");
    cases.forEach(
        (variables, message) ->
            assertThatThrownBy(() -> UpsertTranslator.translate(json(variables)))
                .as(variables)
                .isInstanceOf(WandbPayloadException.class)
                .hasMessageContaining(message));
  }

  private static JsonNode json(String text) throws Exception {
    return WandbJson.MAPPER.readTree(text);
  }
}
