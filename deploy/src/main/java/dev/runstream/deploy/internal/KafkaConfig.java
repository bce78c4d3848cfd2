package dev.runstream.deploy.internal;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Generates the single-node KRaft broker configuration. */
public final class KafkaConfig {
  /** Default partitions of auto-created topics (the project default). */
  public static final int DEFAULT_PARTITIONS = 4;

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
