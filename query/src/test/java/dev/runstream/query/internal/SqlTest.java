package dev.runstream.query.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SqlTest {

  @Test
  void shouldQuotePlainText() {
    assertThat(Sql.literal("resnet")).isEqualTo("'resnet'");
    assertThat(Sql.literal("")).isEqualTo("''");
  }

  @Test
  void shouldEscapeQuotes() {
    assertThat(Sql.literal("it's")).isEqualTo("'it\\'s'");
    assertThat(Sql.literal("x' OR 1=1 --")).isEqualTo("'x\\' OR 1=1 --'");
  }

  @Test
  void shouldEscapeBackslashesSoAnEscapedQuoteCannotBeForged() {
    assertThat(Sql.literal("a\\b")).isEqualTo("'a\\\\b'");
    // A trailing backslash must not escape the closing quote.
    assertThat(Sql.literal("end\\")).isEqualTo("'end\\\\'");
    assertThat(Sql.literal("\\'")).isEqualTo("'\\\\\\''");
  }

  @Test
  void shouldKeepOtherCharactersAsTheyAre() {
    assertThat(Sql.literal("line\nnext\ttab \"dq\" é")).isEqualTo("'line\nnext\ttab \"dq\" é'");
  }

  @Test
  void shouldWriteListsOfLiterals() {
    assertThat(Sql.literalList(List.of("loss", "it's"))).isEqualTo("('loss', 'it\\'s')");
    assertThat(Sql.literalList(List.of())).isEqualTo("('')");
  }

  @Test
  void shouldAcceptOnlyPlainIdentifiers() {
    assertThat(Sql.identifier("runstream_1")).isEqualTo("`runstream_1`");
    assertThatThrownBy(() -> Sql.identifier("db`; DROP TABLE x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Sql.identifier("1db")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Sql.requireIdentifier("a-b", "database"))
        .hasMessageContaining("database");
  }
}
