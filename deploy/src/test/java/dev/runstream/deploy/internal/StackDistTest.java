package dev.runstream.deploy.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runstream.deploy.LocalStackException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StackDistTest {
  private final ClassLoader loader = StackDistTest.class.getClassLoader();

  @Test
  void explicitPathWinsOverPropertyAndEnvironment() {
    StackDist dist =
        StackDist.locate(
            Optional.of(Path.of("/explicit")),
            k -> "/from-property",
            Map.of(StackDist.ENV, "/from-env"),
            loader);

    assertThat(dist.root()).isEqualTo(Path.of("/explicit"));
  }

  @Test
  void propertyWinsOverEnvironmentWhichWinsOverTheBuildResource() {
    assertThat(
            StackDist.locate(
                    Optional.empty(),
                    k -> k.equals(StackDist.PROPERTY) ? "/from-property" : null,
                    Map.of(StackDist.ENV, "/from-env"),
                    loader)
                .root())
        .isEqualTo(Path.of("/from-property"));
    assertThat(
            StackDist.locate(
                    Optional.empty(), k -> null, Map.of(StackDist.ENV, "/from-env"), loader)
                .root())
        .isEqualTo(Path.of("/from-env"));
  }

  @Test
  void theBuildWroteTheResourcePointingAtTargetStackDist() {
    StackDist dist = StackDist.locate(Optional.empty(), k -> null, Map.of(), loader);

    assertThat(dist.root().toString()).endsWith("target/stack-dist");
    assertThat(dist.kafkaClasspath()).endsWith("kafka-libs/*");
    assertThat(dist.apicurioRunnerJar().getFileName().toString())
        .startsWith("apicurio-registry-app-")
        .endsWith("-runner.jar");
  }

  @Test
  void missingDistributionSaysHowToBuildIt(@TempDir Path empty) throws Exception {
    StackDist dist = new StackDist(empty, "test");
    Files.createDirectories(empty.resolve("kafka-libs"));

    assertThatThrownBy(dist::kafkaClasspath)
        .isInstanceOf(LocalStackException.class)
        .hasMessageContaining("kafka")
        .hasMessageContaining(empty.toString())
        .hasMessageContaining("mvn -pl deploy -am")
        .hasMessageContaining(StackDist.ENV);
    assertThatThrownBy(dist::apicurioRunnerJar)
        .isInstanceOf(LocalStackException.class)
        .hasMessageContaining("schema-registry")
        .hasMessageContaining(StackDist.PROPERTY);
  }
}
