package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextTableTest {
  @Test
  void shouldAlignTextLeftAndNumbersRight() {
    String table =
        new TextTable(List.of("name", "loss"))
            .add(List.of("test1", "0.25"))
            .add(List.of("a-longer-name", "12.5"))
            .render();

    assertThat(table)
        .isEqualTo(
            """
            name           loss
            -------------  ----
            test1          0.25
            a-longer-name  12.5
            """);
  }

  @Test
  void shouldRefuseRowsOfTheWrongWidth() {
    assertThatThrownBy(() -> new TextTable(List.of("a", "b")).add(List.of("1")))
        .hasMessageContaining("1 cells for 2 columns");
  }
}
