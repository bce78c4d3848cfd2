package dev.runstream.query.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SortedMap;
import org.junit.jupiter.api.Test;

class ConfigFlattenerTest {

  @Test
  void shouldFlattenNestedObjectsToDottedKeysInKeyOrder() {
    SortedMap<String, String> flat =
        ConfigFlattener.flatten(
            "{\"optimizer\": {\"name\": \"adam\", \"betas\": {\"b1\": 0.9}}, \"lr\": 0.001,"
                + " \"epochs\": 10}");

    assertThat(flat)
        .containsExactly(
            org.assertj.core.api.Assertions.entry("epochs", "10"),
            org.assertj.core.api.Assertions.entry("lr", "0.001"),
            org.assertj.core.api.Assertions.entry("optimizer.betas.b1", "0.9"),
            org.assertj.core.api.Assertions.entry("optimizer.name", "adam"));
  }

  @Test
  void shouldKeepArraysAsOneJsonValue() {
    SortedMap<String, String> flat =
        ConfigFlattener.flatten("{\"layers\": [64, 128], \"aug\": [{\"p\": 0.5}], \"e\": []}");

    assertThat(flat)
        .containsEntry("layers", "[64,128]")
        .containsEntry("aug", "[{\"p\":0.5}]")
        .containsEntry("e", "[]")
        .hasSize(3);
  }

  @Test
  void shouldWriteScalarsAsText() {
    SortedMap<String, String> flat =
        ConfigFlattener.flatten(
            "{\"s\": \"it's\", \"b\": true, \"n\": null, \"small\": 1e-4, \"f\": 3.0, \"o\": {}}");

    assertThat(flat)
        .containsEntry("s", "it's")
        .containsEntry("b", "true")
        .containsEntry("n", "null")
        .containsEntry("small", "0.0001")
        .containsEntry("f", "3.0")
        .containsEntry("o", "{}");
  }

  @Test
  void shouldTreatEmptyConfigAsNoKeys() {
    assertThat(ConfigFlattener.flatten("{}")).isEmpty();
    assertThat(ConfigFlattener.flatten("")).isEmpty();
  }

  @Test
  void shouldRejectWhatIsNotAnObject() {
    assertThatThrownBy(() -> ConfigFlattener.flatten("[1, 2]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("object");
    assertThatThrownBy(() -> ConfigFlattener.flatten("{not json"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
