package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.schemas.avro.ConfigUpdated;
import dev.runstream.schemas.avro.MetricDefined;
import dev.runstream.schemas.avro.NotesUpdated;
import dev.runstream.schemas.avro.SummaryUpdated;
import dev.runstream.schemas.avro.TagsUpdated;
import dev.runstream.sdk.Goal;
import dev.runstream.sdk.MetricDefinition;
import dev.runstream.sdk.SummaryMode;
import dev.runstream.sdk.TestLogs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/** A run's config, summary, tags, notes and metric definitions, and the events they publish. */
class RunAttributesTest {
  private final List<SpecificRecord> events = new ArrayList<>();
  private final RunAttributes attributes =
      new RunAttributes("r1", Map.of("lr", 0.1), List.of("baseline"), events::add);

  @Test
  void shouldPublishTheWholeConfigOnEveryUpdate() {
    attributes.config().set("batch", 32).update(Map.of("optimizer", "adam"));

    assertThat(events)
        .containsExactly(
            new ConfigUpdated("{\"lr\":0.1,\"batch\":32}"),
            new ConfigUpdated("{\"lr\":0.1,\"batch\":32,\"optimizer\":\"adam\"}"));
    assertThat(attributes.config().asMap())
        .containsExactly(
            Map.entry("lr", 0.1), Map.entry("batch", 32), Map.entry("optimizer", "adam"));
    assertThat(attributes.configJson())
        .isEqualTo("{\"lr\":0.1,\"batch\":32,\"optimizer\":\"adam\"}");
  }

  @Test
  void shouldKeepTheSummaryApartFromTheConfig() {
    attributes.summary().set("best_loss", 0.25);

    assertThat(events).containsExactly(new SummaryUpdated("{\"best_loss\":0.25}"));
    assertThat(attributes.summary().asMap()).containsExactly(Map.entry("best_loss", 0.25));
    assertThat(attributes.config().asMap()).containsExactly(Map.entry("lr", 0.1));
  }

  @Test
  void shouldIgnoreNullKeysAndValuesJsonCannotHoldWithAWarning() {
    Map<String, Object> nullKey = new HashMap<>();
    nullKey.put(null, 1);

    String logged =
        TestLogs.capturingStandardError(
            () -> {
              attributes.config().set(null, 1).update(null).update(nullKey);
              attributes.summary().set("model", new Object());
            });

    assertThat(events).isEmpty();
    assertThat(attributes.config().asMap()).containsExactly(Map.entry("lr", 0.1));
    assertThat(attributes.summary().asMap()).isEmpty();
    assertThat(logged.lines().filter(l -> l.contains("config update of run r1 has a null key")))
        .hasSize(3);
    assertThat(logged).contains("summary update of run r1 cannot be written as JSON");
  }

  @Test
  void shouldRefuseToStartWithAConfigJsonCannotHold() {
    RunAttributes bad = new RunAttributes("r2", Map.of("model", new Object()), List.of(), e -> {});

    assertThatThrownBy(bad::configJson)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("config cannot be written as JSON");
  }

  @Test
  void shouldPublishTheWholeTagSetAndIgnoreBlankTagsWithAWarning() {
    String logged =
        TestLogs.capturingStandardError(
            () -> {
              attributes.addTags("a100", "baseline", " ", null);
              attributes.removeTags("baseline", null);
              attributes.addTags((String[]) null);
              attributes.removeTags((String[]) null);
            });

    assertThat(events)
        .containsExactly(
            new TagsUpdated(List.of("baseline", "a100")), new TagsUpdated(List.of("a100")));
    assertThat(attributes.tags()).containsExactly("a100");
    assertThat(logged.lines().filter(l -> l.contains("run r1: a blank tag is ignored"))).hasSize(2);
  }

  @Test
  void shouldPublishNotesAndIgnoreNullNotesWithAWarning() {
    String logged =
        TestLogs.capturingStandardError(
            () -> {
              attributes.notes("lower lr");
              attributes.notes(null);
            });

    assertThat(events).containsExactly(new NotesUpdated("lower lr"));
    assertThat(logged).contains("run r1: null notes are ignored");
  }

  @Test
  void shouldPublishADefinitionAtOnceAndOnEverySetter() {
    MetricDefinition d = attributes.defineMetric("val_loss");
    d.goal(Goal.MINIMIZE).summary(SummaryMode.MIN);

    assertThat(attributes.defineMetric("val_loss")).isSameAs(d);
    assertThat(events)
        .containsExactly(
            new MetricDefined("val_loss", dev.runstream.schemas.avro.Goal.NONE, ""),
            new MetricDefined("val_loss", dev.runstream.schemas.avro.Goal.MINIMIZE, ""),
            new MetricDefined("val_loss", dev.runstream.schemas.avro.Goal.MINIMIZE, "min"),
            new MetricDefined("val_loss", dev.runstream.schemas.avro.Goal.MINIMIZE, "min"));
    assertThatThrownBy(() -> attributes.defineMetric("bad name!"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
