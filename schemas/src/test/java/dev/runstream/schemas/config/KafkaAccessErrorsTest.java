package dev.runstream.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

class KafkaAccessErrorsTest {

  @Test
  void aDeniedTopicIsNamedWithThePermissionAndTheSetting() {
    var error =
        new ExecutionException(
            new TopicAuthorizationException(
                "Not authorized to access topics: [team-a.runs]", Set.of("team-a.runs")));

    assertThat(KafkaAccessErrors.explain(error, "WRITE"))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .contains(
                        "WRITE on topic team-a.runs",
                        "lack WRITE permission",
                        "RUNSTREAM_KAFKA_PROPERTIES_FILE"));
  }

  @Test
  void aDeniedGroupIsNamed() {
    assertThat(
            KafkaAccessErrors.explain(
                GroupAuthorizationException.forGroupId("team-a.sink"), "READ"))
        .hasValueSatisfying(
            m -> assertThat(m).contains("consumer group team-a.sink", "lack READ permission"));
  }

  @Test
  void aRejectedLoginNamesTheJaasSetting() {
    assertThat(
            KafkaAccessErrors.explain(
                new SaslAuthenticationException("Authentication failed during authentication"),
                "READ"))
        .hasValueSatisfying(
            m -> assertThat(m).contains("sasl.jaas.config", "RUNSTREAM_KAFKA_PROPERTIES_FILE"));
  }

  @Test
  void otherFailuresAreNotExplained() {
    assertThat(KafkaAccessErrors.explain(new TimeoutException("slow"), "WRITE")).isEmpty();
  }
}
