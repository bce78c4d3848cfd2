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
}
