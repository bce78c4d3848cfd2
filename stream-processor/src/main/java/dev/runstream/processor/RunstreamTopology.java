package dev.runstream.processor;

import dev.runstream.processor.internal.CommitHook;
import dev.runstream.processor.internal.MetricBatchDeserializer;
import dev.runstream.processor.internal.RunDetectors;
import dev.runstream.processor.internal.RunLiveness;
import dev.runstream.processor.internal.RunSummaryProcessor;
import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.Alert;
import dev.runstream.schemas.avro.RunSummary;
import java.time.Duration;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The processor's topology. Run events and metric batches, both keyed by run id, feed one processor
 * that keeps every run's summary, state and detector memory, and writes summaries to the
 * run-summaries topic and detector alerts to the alerts topic.
 *
 * <pre>
 *   runs-source ────┐                         ┌──► run-summaries-sink (runstream.run-summaries)
 *                   ├──► run-summarizer ──────┤
 *   metrics-source ─┘   (4 stores below,      └──► alerts-sink (runstream.alerts)
 *                        and a commit hook)
 * </pre>
 *
 * Alerts that programs raise with {@code run.alert()} are already on the alerts topic; the topology
 * does not read that topic, so nothing is published twice, and the {@link AlertNotifier} delivers
 * both kinds from there.
 */
public final class RunstreamTopology {
  /** Source node of the runs topic. */
  public static final String RUNS_SOURCE = "runs-source";

  /** Source node of the metrics topic. */
  public static final String METRICS_SOURCE = "metrics-source";

  /** The processor node that keeps summaries and runs the detectors. */
  public static final String SUMMARIZER = "run-summarizer";

  /** Sink node of the run-summaries topic. */
  public static final String SUMMARIES_SINK = "run-summaries-sink";

  /** Sink node of the alerts topic. */
  public static final String ALERTS_SINK = "alerts-sink";

  /** State store of the latest summary of every run. */
  public static final String SUMMARY_STORE = "run-summary-store";

  /** State store of the runs whose summary changed since it was last published. */
  public static final String CHANGED_STORE = "changed-runs-store";

  /** State store of each run's liveness: state, last record times, open run-level episodes. */
  public static final String LIVENESS_STORE = "run-liveness-store";

  /** State store of each run's detector memory and replay window. */
  public static final String DETECTOR_STORE = "run-detector-store";

  /**
   * A store that holds nothing: Kafka Streams calls it before each commit, and the processor then
   * writes the state it keeps in memory to the four stores above.
   */
  public static final String COMMIT_HOOK_STORE = "run-summarizer-commit-hook";

  /** How often changed summaries are published: 1 second. */
  public static final Duration DEFAULT_PUBLISH_INTERVAL = MonitorSettings.DEFAULT_PUBLISH_INTERVAL;

  private RunstreamTopology() {}

  /**
   * Builds the topology with default monitoring except the publish interval.
   *
   * @param publishInterval how often (wall clock) changed summaries are published
   */
  public static Topology build(Topics topics, SchemaRegistry registry, Duration publishInterval) {
    Objects.requireNonNull(publishInterval, "publishInterval");
    if (publishInterval.isNegative() || publishInterval.isZero()) {
      throw new IllegalArgumentException("publishInterval must be positive: " + publishInterval);
    }
    return build(
        topics, registry, MonitorSettings.builder().publishInterval(publishInterval).build());
  }

  /** Builds the topology. The returned topology is not shared; build one per Kafka Streams. */
  public static Topology build(Topics topics, SchemaRegistry registry, MonitorSettings settings) {
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(settings, "settings");
    var stringSerde = Serdes.String();
    Topology topology = new Topology();
    topology.addSource(
        RUNS_SOURCE,
        stringSerde.deserializer(),
        topics.runs.serde(registry).deserializer(),
        topics.runs.name());
    // Metric batches are most of the input: decoded by hand when their schema is the current one.
    topology.addSource(
        METRICS_SOURCE,
        stringSerde.deserializer(),
        new MetricBatchDeserializer(registry),
        topics.metrics.name());
    RunSummaryProcessor.Names names =
        new RunSummaryProcessor.Names(
            SUMMARY_STORE,
            CHANGED_STORE,
            LIVENESS_STORE,
            DETECTOR_STORE,
            COMMIT_HOOK_STORE,
            SUMMARIES_SINK,
            ALERTS_SINK);
    topology.addProcessor(
        SUMMARIZER, () -> new RunSummaryProcessor(names, settings), RUNS_SOURCE, METRICS_SOURCE);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(SUMMARY_STORE),
                stringSerde,
                topics.runSummaries.serde(registry))
            // No record cache for any store: the processor keeps each run's state deserialized in
            // memory and writes it once per commit (and a summary when it is published), so a
            // cache would only copy the bytes once more.
            .withCachingDisabled(),
        SUMMARIZER);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(CHANGED_STORE), stringSerde, Serdes.Long())
            .withCachingDisabled(),
        SUMMARIZER);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(LIVENESS_STORE), stringSerde, RunLiveness.serde())
            .withCachingDisabled(),
        SUMMARIZER);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(DETECTOR_STORE), stringSerde, RunDetectors.serde())
            .withCachingDisabled(),
        SUMMARIZER);
    topology.addStateStore(CommitHook.builder(COMMIT_HOOK_STORE), SUMMARIZER);
    topology.addSink(
        SUMMARIES_SINK,
        topics.runSummaries.name(),
        stringSerde.serializer(),
        topics.runSummaries.<RunSummary>serde(registry).serializer(),
        SUMMARIZER);
    topology.addSink(
        ALERTS_SINK,
        topics.alerts.name(),
        stringSerde.serializer(),
        topics.alerts.<Alert>serde(registry).serializer(),
        SUMMARIZER);
    return topology;
  }
}
