package dev.runstream.deploy.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvOverridesTest {

  @Test
  void unsetAndBlankVariablesMeanStartLocally() {
    EnvOverrides env =
        EnvOverrides.parse(Map.of("KAFKA_BOOTSTRAP", "  ", "SCHEMA_REGISTRY_URL", ""));

    assertThat(env).isEqualTo(EnvOverrides.NONE);
  }

  @Test
  void eachVariableIsIndependent() {
    EnvOverrides env = EnvOverrides.parse(Map.of("CLICKHOUSE_URL", "http://ch.example:8123"));

    assertThat(env.kafkaBootstrap()).isEmpty();
    assertThat(env.schemaRegistryUrl()).isEmpty();
    assertThat(env.clickhouseUrl()).contains("http://ch.example:8123");
  }

  @Test
  void parsesAllThreeAndStripsTrailingSlashesAndSpaces() {
    EnvOverrides env =
        EnvOverrides.parse(
            Map.of(
                "KAFKA_BOOTSTRAP", " broker1:9092, broker2:9093 ",
                "SCHEMA_REGISTRY_URL", "https://registry.example/apis/ccompat/v7/",
                "CLICKHOUSE_URL", "http://user:secret@127.0.0.1:8123/"));

    assertThat(env.kafkaBootstrap()).contains("broker1:9092,broker2:9093");
    assertThat(env.schemaRegistryUrl()).contains("https://registry.example/apis/ccompat/v7");
    assertThat(env.clickhouseUrl()).contains("http://user:secret@127.0.0.1:8123");
  }

  @Test
  void acceptsBracketedIpv6Bootstrap() {
    assertThat(EnvOverrides.parse(Map.of("KAFKA_BOOTSTRAP", "[::1]:9092")).kafkaBootstrap())
        .contains("[::1]:9092");
  }

  @Test
  void malformedValuesNameTheVariable() {
    assertThatThrownBy(() -> EnvOverrides.parse(Map.of("KAFKA_BOOTSTRAP", "localhost")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("KAFKA_BOOTSTRAP='localhost'");
    assertThatThrownBy(() -> EnvOverrides.parse(Map.of("KAFKA_BOOTSTRAP", "h:99999")))
        .hasMessageContaining("KAFKA_BOOTSTRAP")
        .hasMessageContaining("out of range");
    assertThatThrownBy(() -> EnvOverrides.parse(Map.of("KAFKA_BOOTSTRAP", "h:abc")))
        .hasMessageContaining("not a number");
    assertThatThrownBy(() -> EnvOverrides.parse(Map.of("SCHEMA_REGISTRY_URL", "localhost:8081")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SCHEMA_REGISTRY_URL");
    assertThatThrownBy(() -> EnvOverrides.parse(Map.of("CLICKHOUSE_URL", "tcp://h:9000")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CLICKHOUSE_URL");
  }
}
