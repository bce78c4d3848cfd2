package dev.runstream.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import org.junit.jupiter.api.Test;

class GlobTest {
  private static boolean matches(String glob, String name) {
    return Glob.pattern(glob).matcher(name).matches();
  }

  @Test
  void shouldMatchAPlainNameOnlyWhole() {
    assertThat(matches("loss", "loss")).isTrue();
    assertThat(matches("loss", "val/loss")).isFalse();
    assertThat(matches("loss", "loss2")).isFalse();
  }

  @Test
  void shouldMatchAnyRunOfCharactersForAStarAndOneForAQuestionMark() {
    assertThat(matches("train/*", "train/loss")).isTrue();
    assertThat(matches("train/*", "train/")).isTrue();
    assertThat(matches("train/*", "val/loss")).isFalse();
    assertThat(matches("gpu.?.util", "gpu.0.util")).isTrue();
    assertThat(matches("gpu.?.util", "gpu.10.util")).isFalse();
  }

  @Test
  void shouldTakeEveryOtherCharacterLiterally() {
    assertThat(matches("a.b", "axb")).isFalse();
    assertThat(matches("acc[top1]", "acc[top1]")).isTrue();
    assertThat(matches("(x)+", "(x)+")).isTrue();
    assertThat(matches("a+b", "aab")).isFalse();
    assertThat(matches("a+b", "a+b")).isTrue();
  }

  @Test
  void shouldRefuseNull() {
    assertThatNullPointerException().isThrownBy(() -> Glob.pattern(null)).withMessage("glob");
  }
}
