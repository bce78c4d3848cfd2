package dev.runstream.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runstream.deploy.LocalStack;
import dev.runstream.deploy.junit.LocalStackExtension;
import dev.runstream.schemas.AvroDeserializer;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.schemas.avro.RunStarted;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A run logged through the SDK arrives on the real broker, whole and in order. */
@ExtendWith(LocalStackExtension.class)
@Timeout(120)
class RunstreamIT {

  @Test
  void shouldDeliverEveryPointOfARunInStepOrder(LocalStack stack) {
    String prefix = "sdk-it-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    Run run =
        Runstream.init(
            RunOptions.builder("tinyllm", Map.of())
                .kafkaBootstrap(stack.kafkaBootstrap())
                .schemaRegistryUrl(stack.schemaRegistryUrl())
                .topicPrefix(prefix)
                .name("it-run")
                .tags("it")
                .config(Map.of("learning_rate", 0.02))
                .build());
    for (int step = 0; step < 500; step++) {
      run.log(Map.of("loss", 1.0 / (step + 1), "acc", step / 500.0));
    }
    run.finish();

    assertThat(run.counters()).isEqualTo(new RunCounters(1000, 1000, 0, 0));
    Topics topics = Topics.withPrefix(prefix);
    List<MetricBatch> batches = readAll(stack, topics.metrics.name(), MetricBatch.class, 500);
    assertThat(batches).extracting(MetricBatch::getStep).containsExactlyElementsOf(range(500));
    assertThat(batches).allSatisfy(b -> assertThat(b.getRunId()).isEqualTo(run.id()));
    assertThat(batches.get(499).getValues()).containsExactly(1.0 / 500, 499 / 500.0);
    List<RunEvent> events = readAll(stack, topics.runs.name(), RunEvent.class, 2);
    assertThat(events.get(0).getPayload()).isInstanceOf(RunStarted.class);
    assertThat(((RunStarted) events.get(0).getPayload()).getName()).isEqualTo("it-run");
    assertThat(events.get(events.size() - 1).getPayload()).isInstanceOf(RunFinished.class);
  }

  private static List<Long> range(int n) {
    List<Long> steps = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      steps.add(i);
    }
    return steps;
  }

  private static <T extends SpecificRecord> List<T> readAll(
      LocalStack stack, String topic, Class<T> type, int atLeast) {
    Deserializer<T> values =
        new AvroDeserializer<>(type, SerdeConfig.registry(stack.schemaRegistryUrl()));
    List<T> read = new ArrayList<>();
    try (KafkaConsumer<String, T> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            values)) {
      consumer.subscribe(List.of(topic));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                for (ConsumerRecord<String, T> r : consumer.poll(Duration.ofMillis(200))) {
                  read.add(r.value());
                }
                return read.size() >= atLeast;
              });
    }
    return read;
  }
}
