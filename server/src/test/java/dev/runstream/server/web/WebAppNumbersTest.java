package dev.runstream.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WebAppNumbersTest {
  private static String exact(double v) {
    return new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros().toString();
  }

  @Test
  void shouldRoundLikeTheExactDecimalAcrossMagnitudes() {
    Random random = new Random(42);
    for (int i = 0; i < 200_000; i++) {
      double v = (random.nextBoolean() ? 1 : -1) * Math.exp(random.nextGaussian() * 25);
      assertThat(WebApp.round(v).toString()).as("%s", v).isEqualTo(exact(v));
    }
  }

  @Test
  void shouldRoundBoundariesLikeTheExactDecimal() {
    double[] values = {
      0,
      -0.0,
      1,
      -1,
      10,
      0.1,
      0.5,
      1.5,
      2.5,
      999999.5,
      999999.4,
      999999.6,
      9999995,
      0.1234565,
      1.0000005,
      123456.5,
      1e15,
      1e16,
      1e-15,
      1e-16,
      3e300,
      4.9e-324,
      Double.MAX_VALUE,
      0.30000000000000004
    };
    for (double v : values) {
      assertThat(WebApp.round(v).toString()).as("%s", v).isEqualTo(exact(v));
    }
  }

  @Test
  void shouldStripTrailingZeros() {
    assertThat(WebApp.round(2.0).toString()).isEqualTo("2");
    assertThat(WebApp.round(0.25).toString()).isEqualTo("0.25");
    assertThat(WebApp.round(1200).toString()).isEqualTo("1.2E+3");
  }
}
