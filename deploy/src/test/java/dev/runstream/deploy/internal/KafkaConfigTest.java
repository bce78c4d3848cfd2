package dev.runstream.deploy.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class KafkaConfigTest {

  @Test
  void combinedBrokerAndControllerOnLoopback() {
    Map<String, String> p = KafkaConfig.serverProperties(19092, 19093, Path.of("/data/kafka"));

    assertThat(p)
        .contains(
            entry("process.roles", "broker,controller"),
            entry("node.id", "1"),
            entry("controller.quorum.voters", "1@127.0.0.1:19093"),
            entry("listeners", "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"),
            entry("advertised.listeners", "PLAINTEXT://127.0.0.1:19092"),
            entry("controller.listener.names", "CONTROLLER"),
            entry("log.dirs", "/data/kafka"));
    assertThat(p.get("listener.security.protocol.map"))
        .contains("PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT");
  }

  @Test
  void singleReplicaInternalTopicsAndProjectDefaults() {
    Map<String, String> p = KafkaConfig.serverProperties(1, 2, Path.of("/d"));

    assertThat(p)
        .contains(
            entry("offsets.topic.replication.factor", "1"),
            entry("transaction.state.log.replication.factor", "1"),
            entry("transaction.state.log.min.isr", "1"),
            entry("group.initial.rebalance.delay.ms", "0"),
            entry("num.partitions", "4"),
            entry("auto.create.topics.enable", "true"));
  }

  @Test
  void renderedFileReadsBackAsTheSameProperties() throws Exception {
    Map<String, String> p = KafkaConfig.serverProperties(1, 2, Path.of("C:\\odd path\\kafka"));
    Properties read = new Properties();
    read.load(new StringReader(KafkaConfig.render(p)));

    assertThat(read).containsExactlyInAnyOrderEntriesOf(p);
  }

  @Test
  void secureBrokerTakesScramClientsAndAuthorisesByAcl() throws Exception {
    Map<String, String> p =
        KafkaConfig.secureServerProperties(19092, 19093, Path.of("/d"), "s3cret");

    assertThat(p)
        .contains(
            entry("listeners", "SASL_PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"),
            entry("advertised.listeners", "SASL_PLAINTEXT://127.0.0.1:19092"),
            entry("sasl.enabled.mechanisms", "SCRAM-SHA-512"),
            entry("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512"),
            entry("sasl.mechanism.controller.protocol", "PLAIN"),
            entry(
                "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer"),
            entry("super.users", "User:admin"),
            entry("allow.everyone.if.no.acl.found", "false"));
    assertThat(p.get("listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"))
        .isEqualTo(
            "org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"admin\" password=\"s3cret\";");
    assertThat(p.get("listener.name.controller.plain.sasl.jaas.config"))
        .contains("user_admin=\"s3cret\"");
    Properties read = new Properties();
    read.load(new StringReader(KafkaConfig.render(p)));
    assertThat(read).containsExactlyInAnyOrderEntriesOf(p);
  }
}
