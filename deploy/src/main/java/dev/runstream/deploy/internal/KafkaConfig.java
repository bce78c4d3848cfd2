package dev.runstream.deploy.internal;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Generates the single-node KRaft broker configuration. */
public final class KafkaConfig {
  /** Default partitions of auto-created topics (the project default). */
  public static final int DEFAULT_PARTITIONS = 4;

  /** The SASL mechanism of the secure listener. */
  public static final String SCRAM = "SCRAM-SHA-512";

  /** The super user of a secure broker: the broker itself and the stack's own tools. */
  public static final String ADMIN_USER = "admin";

  private KafkaConfig() {}

  /**
   * Returns {@code server.properties} for a combined broker and controller (node 1) on loopback.
   *
   * @param port the PLAINTEXT (client) port
   * @param controllerPort the CONTROLLER port
   * @param logDir where the broker keeps its log segments and metadata
   * @return the properties, one per line, in a stable order
   */
  public static Map<String, String> serverProperties(int port, int controllerPort, Path logDir) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put(
        "listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", logDir.toString());
    // One node: every internal topic must make do with one replica.
    p.put("offsets.topic.replication.factor", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    // Fewer internal partitions: the first consumer group and transaction start faster.
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.num.partitions", "4");
    // Tests join consumer groups constantly; the default 3 s delay would slow each one.
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("num.partitions", Integer.toString(DEFAULT_PARTITIONS));
    p.put("auto.create.topics.enable", "true");
    p.put("delete.topic.enable", "true");
    return p;
  }

  /**
   * Returns {@code server.properties} like {@link #serverProperties}, but clients must authenticate
   * with SASL/SCRAM-SHA-512 on a {@code SASL_PLAINTEXT} listener and are authorised by the KRaft
   * {@code StandardAuthorizer}: nothing is allowed without an ACL, except to the super user {@code
   * admin}. The broker talks to itself (inter-broker) as {@code admin} with SCRAM, whose credential
   * the storage format must add; the controller listener uses SASL/PLAIN with the same user,
   * because a KRaft controller cannot read SCRAM credentials before it has read its metadata.
   *
   * @param adminPassword the super user's password; the file holding it must be private
   */
  public static Map<String, String> secureServerProperties(
      int port, int controllerPort, Path logDir, String adminPassword) {
    Map<String, String> p = serverProperties(port, controllerPort, logDir);
    p.put(
        "listeners",
        "SASL_PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "SASL_PLAINTEXT://127.0.0.1:" + port);
    p.put("inter.broker.listener.name", "SASL_PLAINTEXT");
    p.put(
        "listener.security.protocol.map",
        "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
    p.put("sasl.enabled.mechanisms", SCRAM);
    p.put("listener.name.sasl_plaintext.sasl.enabled.mechanisms", SCRAM);
    p.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
    p.put("sasl.mechanism.inter.broker.protocol", SCRAM);
    p.put("sasl.mechanism.controller.protocol", "PLAIN");
    p.put(
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config",
        scramJaas(ADMIN_USER, adminPassword));
    p.put(
        "listener.name.controller.plain.sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
            + ADMIN_USER
            + "\" password=\""
            + adminPassword
            + "\" user_"
            + ADMIN_USER
            + "=\""
            + adminPassword
            + "\";");
    p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    p.put("super.users", "User:" + ADMIN_USER);
    p.put("allow.everyone.if.no.acl.found", "false");
    return p;
  }

  /**
   * Returns the {@code sasl.jaas.config} value a SCRAM client logs in with.
   *
   * @param user the user name
   * @param password the password (letters and digits: nothing to escape)
   * @return the JAAS line
   */
  public static String scramJaas(String user, String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user
        + "\" password=\""
        + password
        + "\";";
  }

  /**
   * Renders properties in {@code key=value} lines. Values here never need escaping except the
   * backslash, which a Windows-style path would contain.
   *
   * @param properties the properties
   * @return the file content
   */
  public static String render(Map<String, String> properties) {
    return properties.entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue().replace("\\", "\\\\"))
            .collect(Collectors.joining("\n"))
        + "\n";
  }
}
