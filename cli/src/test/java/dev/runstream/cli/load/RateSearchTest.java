package dev.runstream.cli.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.DoublePredicate;
import org.junit.jupiter.api.Test;

class RateSearchTest {

  /** Runs the search against a pipeline that sustains exactly the rates {@code ok} accepts. */
  private static List<Double> tried(RateSearch search, DoublePredicate ok) {
    List<Double> tried = new ArrayList<>();
    for (OptionalDouble next = search.next(); next.isPresent(); next = search.next()) {
      double rate = next.getAsDouble();
      tried.add(rate);
      search.record(rate, ok.test(rate));
    }
    return tried;
  }

  @Test
  void shouldDoubleWhileSustainedThenBisect() {
    RateSearch search = new RateSearch(50_000, 1_000, 0.1, 20);
    List<Double> tried = tried(search, rate -> rate <= 230_000);
    assertThat(tried.subList(0, 4)).containsExactly(50_000.0, 100_000.0, 200_000.0, 400_000.0);
    assertThat(tried.get(4)).isEqualTo(300_000.0); // between 200k sustained and 400k failed
    assertThat(tried.get(5)).isEqualTo(250_000.0);
    assertThat(tried.get(6)).isEqualTo(225_000.0);
    assertThat(tried.get(7)).isEqualTo(237_500.0); // 250k is still 11 % above 225k
    assertThat(search.best()).hasValue(225_000.0);
    // Stopped once the interval (225k sustained, 237.5k failed) is within 10 %.
    assertThat(tried).hasSize(8);
  }

  @Test
  void shouldHalveWhenTheFirstLevelFails() {
    RateSearch search = new RateSearch(100_000, 1_000, 0.1, 20);
    List<Double> tried = tried(search, rate -> rate <= 30_000);
    assertThat(tried.subList(0, 3)).containsExactly(100_000.0, 50_000.0, 25_000.0);
    assertThat(search.best()).isPresent();
    assertThat(search.best().getAsDouble()).isBetween(27_000.0, 30_000.0);
  }

  @Test
  void shouldGiveUpUnderTheFloorAndAfterMaxLevels() {
    RateSearch hopeless = new RateSearch(4_000, 1_000, 0.1, 20);
    assertThat(tried(hopeless, rate -> false)).containsExactly(4_000.0, 2_000.0, 1_000.0);
    assertThat(hopeless.best()).isEmpty();

    RateSearch capped = new RateSearch(1_000, 1_000, 0.1, 3);
    assertThat(tried(capped, rate -> true)).containsExactly(1_000.0, 2_000.0, 4_000.0);
    assertThat(capped.best()).hasValue(4_000.0);
  }

  @Test
  void shouldRefuseNonsense() {
    assertThatThrownBy(() -> new RateSearch(0, 1, 0.1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RateSearch(10, 20, 0.1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RateSearch(10, 1, 0, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RateSearch(10, 1, 0.1, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
