package dev.runstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunSummary;
import java.io.IOException;
import java.io.InputStream;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The build's guard on schema evolution: each current schema must read data written with the
 * released version kept under {@code src/test/resources/compat} (BACKWARD compatibility). When a
 * release ships, copy the schemas there.
 */
class SchemaEvolutionTest {

  static Stream<Arguments> schemas() {
    return Stream.of(
        Arguments.of("RunEvent", RunEvent.getClassSchema()),
        Arguments.of("MetricBatch", MetricBatch.getClassSchema()),
        Arguments.of("Alert", Alert.getClassSchema()),
        Arguments.of("RunSummary", RunSummary.getClassSchema()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schemas")
  void currentSchemaReadsTheReleasedOne(String name, Schema current) throws IOException {
    Schema.Parser parser = new Schema.Parser();
    for (String dependency : new String[] {"Severity", "RunState"}) {
      parser.parse(resource(dependency));
    }
    Schema released = parser.parse(resource(name));

    var result = SchemaCompatibility.checkReaderWriterCompatibility(current, released);

    assertThat(result.getType())
        .as("%s must stay BACKWARD compatible: %s", name, result.getResult().getIncompatibilities())
        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
  }

  private static InputStream resource(String name) {
    return SchemaEvolutionTest.class.getResourceAsStream("/compat/" + name + ".avsc");
  }
}
