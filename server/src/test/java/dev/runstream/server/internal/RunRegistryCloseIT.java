package dev.runstream.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.deploy.LocalStack;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.server.ServerConfig;
import dev.runstream.server.wandb.translate.HistoryTranslator;
import dev.runstream.testing.LocalStackExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RunRegistry#close()} with {@value #RUNS} open runs on the real Kafka and registry, each
 * with its last lines still on their way to Kafka: every run detached (not finished), every point
 * it took acknowledged by Kafka, whether the runs are detached one after another or {@value
 * RunRegistry#CLOSE_THREADS} at a time. Both are timed in the same run and logged, twice each and
 * alternating, so that the figures compare on a shared machine (never asserted).
 */
@ExtendWith(LocalStackExtension.class)
@Timeout(600)
class RunRegistryCloseIT {
  private static final Logger LOG = LoggerFactory.getLogger(RunRegistryCloseIT.class);
  private static final int RUNS = 500;
  private static final int LINES = 4;

  @Test
  void shouldDetachEveryOpenRunWithAllItTookAcknowledged(LocalStack stack, @TempDir Path dir)
      throws Exception {
    String prefix = "close" + UUID.randomUUID().toString().substring(0, 8) + ".runstream.";
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
      TopicSetup.ensure(admin, Topics.withPrefix(prefix), TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    List<String> timings = new ArrayList<>();
    int round = 0;
    for (int threads : new int[] {1, RunRegistry.CLOSE_THREADS, 1, RunRegistry.CLOSE_THREADS}) {
      round++;
      ServerConfig config =
          ServerConfig.builder(stack.kafkaBootstrap(), stack.schemaRegistryUrl())
              .dataDir(dir.resolve("round" + round))
              .topicPrefix(prefix)
              .apiKey("rs-" + "c".repeat(44), "team")
              .build();
      RunRegistry registry = new RunRegistry(config, new FileStore(config.dataDir()), threads);
      List<RunWriter> writers = open(registry, "round" + round);
      assertThat(registry.openRuns()).isEqualTo(RUNS);
      // As when clients are logging while the server stops: each run's last lines are in flight
      // (journalled, not yet acknowledged by Kafka) when close() starts.
      for (RunWriter writer : writers) {
        writer.history(HistoryTranslator.translate(lines(LINES), LINES));
      }

      long started = System.nanoTime();
      registry.close();
      long millis = (System.nanoTime() - started) / 1_000_000;
      timings.add(threads + " thread(s): " + millis + " ms");

      assertThat(registry.openRuns()).isZero();
      for (RunWriter writer : writers) {
        // Detached, not finished: the client's retry resumes it elsewhere.
        assertThat(writer.finished()).as(writer.key().toString()).isTrue();
        assertThat(writer.run().counters().sent())
            .as(writer.key().toString())
            .isEqualTo((long) LINES * 2 * 2);
        assertThat(writer.run().counters().unsent()).as(writer.key().toString()).isZero();
      }
    }
    LOG.info("RunRegistry.close() of {} open runs, in turn: {}", RUNS, timings);
  }

  /** {@value #LINES} history lines of 2 metrics from step {@code first}. */
  private static List<String> lines(int first) {
    List<String> lines = new ArrayList<>();
    for (int step = first; step < first + LINES; step++) {
      lines.add(
          "{\"_step\":"
              + step
              + ",\"_timestamp\":1.8e9,\"_runtime\":1,\"loss\":0.5,\"acc\":"
              + step
              + "}");
    }
    return lines;
  }

  /** Opens {@value #RUNS} runs and logs {@value #LINES} history lines of 2 metrics into each. */
  private static List<RunWriter> open(RunRegistry registry, String project) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<RunWriter>> opened = new ArrayList<>();
      for (int i = 0; i < RUNS; i++) {
        RunKey key = new RunKey("team", project, project + "r" + i);
        opened.add(
            pool.submit(
                () -> {
                  RunWriter writer = registry.upsert(key, Upsert.NONE);
                  writer.history(HistoryTranslator.translate(lines(0), 0));
                  return writer;
                }));
      }
      List<RunWriter> writers = new ArrayList<>();
      for (Future<RunWriter> f : opened) {
        writers.add(f.get());
      }
      return writers;
    } finally {
      pool.shutdown();
    }
  }
}
