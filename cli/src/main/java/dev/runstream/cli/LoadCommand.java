package dev.runstream.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code runstream load}: the pipeline under a load of R runs x M metrics at a target rate. */
@Command(
    name = "load",
    description = {
      "Logs R concurrent runs x M metrics per step through the SDK at a target rate of points per"
          + " second and prints, every second, the points per second at each stage: accepted by"
          + " log(), in Kafka, counted by the stream processor, written by the sink; and per level"
          + " the p50 and p99 time from log() until ClickHouse answers with the step.",
      "With --search, looks for the highest sustainable rate: levels held for --hold each,"
          + " doubling while sustained, then bisecting; a level is sustained when p99 stays under"
          + " 2 s and the sink keeps up. With --baseline, first measures a plain Kafka producer"
          + " sending records like the SDK's and ClickHouse's Kafka engine reading the same"
          + " points, and prints each stage as a ratio to them.",
      "Uses the servers named by KAFKA_BOOTSTRAP, SCHEMA_REGISTRY_URL and CLICKHOUSE_URL, or the"
          + " stack of `runstream up`; otherwise starts the local stack and stops it at the end."
    },
    footer = {
      "",
      "Examples:",
      "  runstream load --runs 10 --metrics 5 --rate 50000 --duration 20s --warmup 0s",
      "  runstream load --runs 100 --metrics 10 --rate 100000 --search --baseline",
      "  runstream load --rate 200000 --instances 2"
    },
    mixinStandardHelpOptions = true)
final class LoadCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @ParentCommand RunstreamCli cli;

  @Option(
      names = "--runs",
      defaultValue = "10",
      paramLabel = "R",
      description = "Concurrent runs in this JVM (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(
      names = "--metrics",
      defaultValue = "5",
      paramLabel = "M",
      description = "Metrics per step of each run (default: ${DEFAULT-VALUE}).")
  int metrics;

  @Option(
      names = "--rate",
      defaultValue = "50000",
      paramLabel = "POINTS_PER_S",
      description =
          "Points per second over all runs; with --search, the first level (default:"
              + " ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--duration",
      defaultValue = "60s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long the load runs without --search, e.g. 20s, 2m (default: 60s).")
  Duration duration;

  @Option(
      names = "--search",
      description = "Search for the highest sustainable rate, starting at --rate.")
  boolean search;

  @Option(
      names = "--hold",
      defaultValue = "60s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long each level of --search lasts (default: 60s).")
  Duration hold;

  @Option(
      names = "--warmup",
      defaultValue = "30s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "Load at the first rate for this long before measuring, then wait until every stage has"
              + " caught up, so the JIT, the broker and ClickHouse are warm when the first level"
              + " starts; 0s to measure from cold (default: 30s).")
  Duration warmup;

  @Option(
      names = "--max-levels",
      defaultValue = "8",
      paramLabel = "N",
      description = "The most levels --search runs (default: ${DEFAULT-VALUE}).")
  int maxLevels;

  @Option(
      names = "--instances",
      defaultValue = "1",
      paramLabel = "N",
      description =
          "Processor and sink instances, sharing the partitions; with `runstream up`, its own"
              + " counts as one and the others run in this JVM (default: ${DEFAULT-VALUE}).")
  int instances;

  @Option(
      names = "--baseline",
      description =
          "First measure a plain Kafka producer and ClickHouse's Kafka engine; print each stage"
              + " as a ratio to them.")
  boolean baseline;

  @Override
  public Integer call() throws Exception {
    if (runs < 1 || metrics < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--runs and --metrics must be at least 1");
    }
    if (!(rate > 0)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--rate must be positive");
    }
    if (duration.isNegative() || duration.isZero() || hold.isNegative() || hold.isZero()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--duration and --hold must be positive");
    }
    if (warmup.isNegative()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--warmup must not be negative");
    }
    if (instances < 1 || instances > 4) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--instances must be between 1 and 4: " + instances);
    }
    if (maxLevels < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--max-levels must be >= 1");
    }
    new LoadWorkflow(
            new LoadWorkflow.Settings(
                runs, metrics, rate, duration, search, hold, warmup, maxLevels, instances,
                baseline),
            cli.env(),
            spec.commandLine().getOut())
        .run();
    return 0;
  }

  /** Reads 20s, 2m, 500ms, or an ISO-8601 duration such as PT20S. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase(java.util.Locale.ROOT);
      try {
        if (v.startsWith("pt") || v.startsWith("p")) {
          return Duration.parse(value.trim());
        }
        if (v.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        }
        if (v.endsWith("s")) {
          return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
        }
        if (v.endsWith("m")) {
          return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
        }
        if (v.endsWith("h")) {
          return Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
        }
      } catch (RuntimeException e) {
        // falls through to the message below
      }
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a duration: use e.g. 20s, 2m, 500ms or PT20S");
    }
  }
}
