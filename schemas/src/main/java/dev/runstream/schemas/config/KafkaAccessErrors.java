package dev.runstream.schemas.config;

import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

/**
 * Says what a Kafka refusal means for a runstream user: which topic, group or transactional id the
 * broker denied, the permission its ACLs lack, and the setting that chose the credentials ({@code
 * RUNSTREAM_KAFKA_PROPERTIES_FILE}). Kafka's own messages name the topic but not the permission,
 * nor where the user came from. Stateless and thread-safe.
 */
public final class KafkaAccessErrors {
  private KafkaAccessErrors() {}

  /**
   * Explains {@code error} (or its first cause that Kafka's access control raised).
   *
   * @param error what a client threw or reported
   * @param operation the ACL operation the client needed on a topic, e.g. {@code WRITE} for a
   *     producer, {@code READ} for a consumer
   * @return the explanation, or empty if {@code error} is no authentication or authorisation
   *     failure
   */
  public static Optional<String> explain(Throwable error, String operation) {
    String where = "the user in " + Settings.KAFKA_PROPERTIES_FILE.name();
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof TopicAuthorizationException e) {
        Set<String> topics = e.unauthorizedTopics();
        return Optional.of(
            "Kafka denies "
                + operation
                + " on topic "
                + (topics.isEmpty() ? "(not named by the broker)" : String.join(", ", topics))
                + " to "
                + where
                + ": its ACLs lack "
                + operation
                + " permission there (a team's user may use only topics that start with the team's"
                + " prefix: check RUNSTREAM_TOPIC_PREFIX)");
      }
      if (t instanceof GroupAuthorizationException e) {
        return Optional.of(
            "Kafka denies READ on consumer group "
                + (e.groupId() == null ? "(not named by the broker)" : e.groupId())
                + " to "
                + where
                + ": its ACLs lack READ permission on that group (a team's groups must start with"
                + " the team's prefix)");
      }
      if (t instanceof TransactionalIdAuthorizationException) {
        return Optional.of(
            "Kafka denies WRITE on the transactional id to "
                + where
                + ": its ACLs lack WRITE permission on it (a team's processor needs an application"
                + " id that starts with the team's prefix): "
                + t.getMessage());
      }
      if (t instanceof AuthenticationException) {
        return Optional.of(
            "Kafka rejects the login of "
                + where
                + ": check sasl.jaas.config (user name and password) and sasl.mechanism there: "
                + t.getMessage());
      }
    }
    return Optional.empty();
  }
}
