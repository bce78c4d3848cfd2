package dev.runstream.processor;

import dev.runstream.processor.internal.RunSummaryProcessor;
import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.RunSummary;
import java.time.Duration;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The processor's topology: run events and metric batches, both keyed by run id, feed one processor
 * that keeps every run's summary and publishes it to the run-summaries topic.
 */
public final class RunstreamTopology {
  /** Source node of the runs topic. */
  public static final String RUNS_SOURCE = "runs-source";

  /** Source node of the metrics topic. */
  public static final String METRICS_SOURCE = "metrics-source";

  /** The processor node that keeps summaries. */
  public static final String SUMMARIZER = "run-summarizer";

  /** Sink node of the run-summaries topic. */
  public static final String SUMMARIES_SINK = "run-summaries-sink";

  /** State store of the latest summary of every run. */
  public static final String SUMMARY_STORE = "run-summary-store";

  /** State store of the runs whose summary changed since it was last published. */
  public static final String CHANGED_STORE = "changed-runs-store";

  /** How often changed summaries are published: 1 second. */
  public static final Duration DEFAULT_PUBLISH_INTERVAL = Duration.ofSeconds(1);

  private RunstreamTopology() {}

  /**
   * Builds the topology.
   *
   * @param publishInterval how often (wall clock) changed summaries are published
   */
  public static Topology build(Topics topics, SchemaRegistry registry, Duration publishInterval) {
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(registry, "registry");
    if (publishInterval.isNegative() || publishInterval.isZero()) {
      throw new IllegalArgumentException("publishInterval must be positive: " + publishInterval);
    }
    var stringSerde = Serdes.String();
    Topology topology = new Topology();
    topology.addSource(
        RUNS_SOURCE,
        stringSerde.deserializer(),
        topics.runs.serde(registry).deserializer(),
        topics.runs.name());
    topology.addSource(
        METRICS_SOURCE,
        stringSerde.deserializer(),
        topics.metrics.serde(registry).deserializer(),
        topics.metrics.name());
    topology.addProcessor(
        SUMMARIZER,
        () -> new RunSummaryProcessor(SUMMARY_STORE, CHANGED_STORE, publishInterval),
        RUNS_SOURCE,
        METRICS_SOURCE);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(SUMMARY_STORE),
                stringSerde,
                topics.runSummaries.serde(registry))
            .withCachingDisabled(),
        SUMMARIZER);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(CHANGED_STORE), stringSerde, Serdes.Long())
            .withCachingDisabled(),
        SUMMARIZER);
    topology.addSink(
        SUMMARIES_SINK,
        topics.runSummaries.name(),
        stringSerde.serializer(),
        topics.runSummaries.<RunSummary>serde(registry).serializer(),
        SUMMARIZER);
    return topology;
  }
}
