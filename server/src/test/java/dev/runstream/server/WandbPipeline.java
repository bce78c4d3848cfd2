package dev.runstream.server;

import dev.runstream.deploy.LocalStack;
import dev.runstream.processor.ProcessorConfig;
import dev.runstream.processor.StreamProcessor;
import dev.runstream.query.RunQueries;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.schemas.TopicSetup;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.sink.ClickHouseSink;
import dev.runstream.sink.SinkConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * What a wandb run goes through after the server, for one test class: topics under a prefix of its
 * own, a stream processor and a sink into a database of its own, and the query module over it.
 * Close it after the server that writes to it.
 */
final class WandbPipeline implements AutoCloseable {
  final String prefix;
  final String database;
  final StreamProcessor processor;
  final ClickHouseSink sink;
  final RunQueries queries;
  final ClickHouseHttp clickHouse;

  private WandbPipeline(
      String prefix,
      String database,
      StreamProcessor processor,
      ClickHouseSink sink,
      RunQueries queries,
      ClickHouseHttp clickHouse) {
    this.prefix = prefix;
    this.database = database;
    this.processor = processor;
    this.sink = sink;
    this.queries = queries;
    this.clickHouse = clickHouse;
  }

  /**
   * Creates the topics and starts the processor and the sink on {@code stack}.
   *
   * @param processorEnv settings of the processor over the test's own (e.g. short liveness times)
   */
  static WandbPipeline start(LocalStack stack, Path stateDir, Map<String, String> processorEnv) {
    String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    String prefix = "wandb" + id + ".runstream.";
    String database = "wandb_" + id;
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
      TopicSetup.ensure(admin, Topics.withPrefix(prefix), TopicSetup.DEFAULT_PARTITIONS, (short) 1);
    }
    Map<String, String> env = new HashMap<>(processorEnv);
    env.put("RUNSTREAM_TOPIC_PREFIX", prefix);
    env.put("RUNSTREAM_PROCESSOR_APPLICATION_ID", "wandb-" + id);
    env.put("RUNSTREAM_SINK_GROUP_ID", "wandb-sink-" + id);
    env.put("CLICKHOUSE_DATABASE", database);
    env.put("RUNSTREAM_SINK_BATCH_MAX_DELAY", "200ms");
    ConfigProperties config = ConfigProperties.of(env);
    List<AutoCloseable> started = new ArrayList<>();
    try {
      StreamProcessor processor =
          StreamProcessor.start(
              ProcessorConfig.forServers(
                  config, stack.kafkaBootstrap(), stack.schemaRegistryUrl(), stateDir));
      started.add(processor);
      ClickHouseSink sink =
          ClickHouseSink.start(
              SinkConfig.forServers(
                  config,
                  stack.kafkaBootstrap(),
                  stack.schemaRegistryUrl(),
                  stack.clickhouseUrl()));
      started.add(sink);
      RunQueries queries =
          RunQueries.connect(
              stack.clickhouseUrl(),
              SinkConfig.DEFAULT_CLICKHOUSE_USER,
              SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD,
              database);
      started.add(queries);
      ClickHouseHttp clickHouse =
          new ClickHouseHttp(
              ClickHouseHttp.newClient(
                  stack.clickhouseUrl(),
                  SinkConfig.DEFAULT_CLICKHOUSE_USER,
                  SinkConfig.DEFAULT_CLICKHOUSE_PASSWORD),
              true);
      return new WandbPipeline(prefix, database, processor, sink, queries, clickHouse);
    } catch (RuntimeException e) {
      for (int i = started.size() - 1; i >= 0; i--) {
        try {
          started.get(i).close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  @Override
  public void close() throws Exception {
    // Readers, then the sink, then the processor: clients before what they read.
    for (AutoCloseable c : new AutoCloseable[] {clickHouse, queries, sink, processor}) {
      c.close();
    }
  }
}
