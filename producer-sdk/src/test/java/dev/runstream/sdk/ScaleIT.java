package dev.runstream.sdk;

import static dev.runstream.sdk.TopicReader.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.deploy.LocalStack;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.testing.LocalStackExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thousand runs in one JVM with a 1 GiB heap, against the real broker: a child JVM ({@link
 * ScaleMain}) starts them all, each logs 200 steps of 5 metrics, and finishes them. Every run's
 * every step reaches Kafka (counted per run, so none starved), and the child's figures (init time
 * per run, heap and threads) are logged for the README; no timing is asserted.
 */
@ExtendWith(LocalStackExtension.class)
@Timeout(900)
class ScaleIT {
  private static final Logger log = LoggerFactory.getLogger(ScaleIT.class);
  private static final int RUNS = 1_000;
  private static final int STEPS = 200;
  private static final int METRICS = 5;

  @TempDir Path dir;

  @Test
  void shouldDeliverEveryStepOfAThousandRunsInOneSmallJvm(LocalStack stack) throws Exception {
    String prefix = "scale-it-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-cp",
                System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                ScaleMain.class.getName(),
                stack.kafkaBootstrap(),
                stack.schemaRegistryUrl(),
                prefix,
                dir.toString(),
                Integer.toString(RUNS),
                Integer.toString(STEPS),
                Integer.toString(METRICS),
                "4")
            .redirectError(dir.resolve("stderr.txt").toFile())
            .start();
    String figures = null;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.startsWith("scale ")) {
          figures = line;
        }
      }
    }
    assertThat(child.waitFor(10, TimeUnit.MINUTES)).isTrue();
    assertThat(child.exitValue()).as("see %s", dir.resolve("stderr.txt")).isZero();
    log.info("1,000 runs in one JVM (-Xmx1g): {}", figures);
    assertThat(figures).contains("sent_min_per_run=" + STEPS * METRICS);

    List<MetricBatch> batches =
        readAll(stack, Topics.withPrefix(prefix).metrics.name(), MetricBatch.class, RUNS * STEPS);
    Map<String, Set<Long>> stepsByRun = new HashMap<>();
    for (MetricBatch b : batches) {
      stepsByRun.computeIfAbsent(b.getRunId(), k -> new HashSet<>()).add(b.getStep());
    }
    assertThat(stepsByRun).hasSize(RUNS);
    assertThat(stepsByRun.values()).allSatisfy(steps -> assertThat(steps).hasSize(STEPS));
    assertThat(batches).hasSize(RUNS * STEPS);
  }
}
