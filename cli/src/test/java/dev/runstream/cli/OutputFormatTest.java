package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OutputFormatTest {
  private final List<String> headers = List.of("name", "tags");
  private final List<List<String>> rows = List.of(List.of("run \"a\"", "x,y"), List.of("b", ""));

  @Test
  void csvQuotesCellsWithCommasAndQuotes() {
    assertThat(OutputFormat.CSV.render(headers, rows))
        .isEqualTo("name,tags\n\"run \"\"a\"\"\",\"x,y\"\nb,\n");
  }

  @Test
  void jsonIsAnArrayOfObjectsKeyedByHeader() {
    String json = OutputFormat.JSON.render(headers, rows).replaceAll("\\s+", "");
    assertThat(json)
        .isEqualTo("[{\"name\":\"run\\\"a\\\"\",\"tags\":\"x,y\"},{\"name\":\"b\",\"tags\":\"\"}]");
  }

  @Test
  void tableAlignsColumns() {
    assertThat(OutputFormat.TABLE.render(headers, rows).lines().toList())
        .containsExactly("name     tags", "-------  ----", "run \"a\"  x,y", "b");
  }
}
