package dev.runstream.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigFilterTest {

  @Test
  void shouldParseComparisonsWithAndBindingTighterThanOr() {
    ConfigFilter f = ConfigFilter.parse("a = 1 or b < 0.01 and dataset = 'CIFAR-100'");
    assertThat(f.root())
        .isEqualTo(
            new ConfigFilter.Or(
                new ConfigFilter.Compare("a", "=", new BigDecimal("1")),
                new ConfigFilter.And(
                    new ConfigFilter.Compare("b", "<", new BigDecimal("0.01")),
                    new ConfigFilter.Compare("dataset", "=", "CIFAR-100"))));
    assertThat(f.toString()).isEqualTo("(a = 1 or (b < 0.01 and dataset = 'CIFAR-100'))");
  }

  @Test
  void shouldParseInNotExistsParenthesesDottedKeysAndKeywordsInAnyCase() {
    ConfigFilter f =
        ConfigFilter.parse(
            "NOT (optimizer.name IN ('adam', \"sgd\") Or `my key` exists) AND layers not in (1e-3)");
    assertThat(f.root())
        .isEqualTo(
            new ConfigFilter.And(
                new ConfigFilter.Not(
                    new ConfigFilter.Or(
                        new ConfigFilter.In("optimizer.name", List.of("adam", "sgd")),
                        new ConfigFilter.Exists("my key"))),
                new ConfigFilter.Not(
                    new ConfigFilter.In("layers", List.of(new BigDecimal("1e-3"))))));
  }

  @Test
  void shouldReadQuotesInsideTextValuesAsText() {
    assertThat(((ConfigFilter.Compare) ConfigFilter.parse("k = 'it''s'").root()).value())
        .isEqualTo("it's");
    assertThat(((ConfigFilter.Compare) ConfigFilter.parse("k = 'it\\'s'").root()).value())
        .isEqualTo("it's");
    assertThat(((ConfigFilter.Compare) ConfigFilter.parse("k == true").root()).value())
        .isEqualTo("true");
  }

  @Test
  void shouldQuoteEveryKeyAndValueInTheSql() {
    String sql =
        ConfigFilter.parse("`x') OR 1=1 --` = 'y'' OR ''1''=''1' and n >= 5").toSql("ks", "vs");
    assertThat(sql)
        .isEqualTo(
            "((has(ks, 'x\\') OR 1=1 --') AND vs[indexOf(ks, 'x\\') OR 1=1 --')]"
                + " = 'y\\' OR \\'1\\'=\\'1') AND (has(ks, 'n') AND"
                + " ifNull(toFloat64OrNull(vs[indexOf(ks, 'n')]) >= 5, 0)))");
  }

  @Test
  void shouldRejectWhatItCannotParseWithThePosition() {
    assertThatThrownBy(() -> ConfigFilter.parse("lr <"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("position 5")
        .hasMessageContaining("expected a value");
    assertThatThrownBy(() -> ConfigFilter.parse("lr < abc"))
        .hasMessageContaining("quote text values");
    assertThatThrownBy(() -> ConfigFilter.parse("lr = 1 drop table"))
        .hasMessageContaining("unexpected");
    assertThatThrownBy(() -> ConfigFilter.parse("and = 1")).hasMessageContaining("keyword");
    assertThatThrownBy(() -> ConfigFilter.parse("k = 'open")).hasMessageContaining("unterminated");
    assertThatThrownBy(() -> ConfigFilter.parse("(k = 1")).hasMessageContaining("expected ')'");
    assertThatThrownBy(() -> ConfigFilter.parse("k ~ 1")).hasMessageContaining("comparison");
    assertThatThrownBy(() -> ConfigFilter.parse("")).hasMessageContaining("config key");
  }

  @Test
  void shouldBeEqualWhenTheTreesAre() {
    assertThat(ConfigFilter.parse("a=1 and b='x'"))
        .isEqualTo(ConfigFilter.parse("a = 1 AND b = \"x\""))
        .hasSameHashCodeAs(ConfigFilter.parse("a = 1 AND b = \"x\""));
  }
}
