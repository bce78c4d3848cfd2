package dev.runstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TopicsTest {
  @Test
  void shouldNameEveryTopicUnderItsPrefixAndRejectWhatKafkaDoesNotAllow() {
    Topics topics = Topics.withPrefix("team-a.runstream.");

    assertThat(topics.metrics.name()).isEqualTo("team-a.runstream.metrics");
    assertThat(topics.deadLetters).isEqualTo("team-a.runstream.dlq");
    assertThatThrownBy(() -> Topics.withPrefix("team a.")).hasMessageContaining("topic prefix");
  }

  @Test
  void shouldAcceptATeamNameOfThePrefixCharactersOnly() {
    assertThat(Topics.requireTeam(" vision-2.nlp_x ")).isEqualTo("vision-2.nlp_x");
    assertThatThrownBy(() -> Topics.requireTeam("a team")).hasMessageContaining("'a team'");
    assertThatThrownBy(() -> Topics.requireTeam(" ")).hasMessageContaining("team must be");
    assertThatThrownBy(() -> Topics.requireTeam("vision/nlp")).hasMessageContaining("team must be");
  }
}
