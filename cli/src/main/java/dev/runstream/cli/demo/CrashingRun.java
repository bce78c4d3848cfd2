package dev.runstream.cli.demo;

import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's crashing run: a training process of its own that dies part-way through without
 * finishing, as one killed by the OOM killer or a lost node does. The demo starts it with {@code
 * java -cp <the CLI's classpath> dev.runstream.cli.demo.CrashingRun ...}.
 *
 * <p>Arguments: Kafka bootstrap, registry URL, run directory parent, run id, sweep tag, steps. It
 * prints {@code step N LOSS} as it trains, so the demo can show its progress, makes what it logged
 * durable in its run directory (so {@code runstream sync} can upload what Kafka did not get), and
 * then halts the JVM: no shutdown hook, no {@code finish()}.
 */
public final class CrashingRun {
  /** The exit code of the halted process: 128 + SIGKILL, as after {@code kill -9}. */
  public static final int EXIT_CODE = 137;

  private CrashingRun() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 6) {
      System.err.println(
          "usage: CrashingRun KAFKA_BOOTSTRAP REGISTRY_URL RUN_DIRECTORY RUN_ID SWEEP STEPS");
      System.exit(2);
    }
    DemoRun spec =
        DemoRun.grid().stream()
            .filter(r -> r.fate() == DemoRun.Fate.CRASHES)
            .findFirst()
            .orElseThrow();
    int steps = Integer.parseInt(args[5]);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Run run =
        Runstream.init(
            options(spec, steps, args[4], System.getenv())
                .kafkaBootstrap(args[0])
                .schemaRegistryUrl(args[1])
                .directory(Path.of(args[2]))
                .runId(args[3])
                .build());
    DemoTraining.train(
        run,
        spec,
        steps,
        spec.stepsLogged(steps),
        (step, loss) -> out.println("step " + step + " " + loss));
    run.flush(Duration.ofSeconds(10));
    out.println("crash");
    Runtime.getRuntime().halt(EXIT_CODE);
  }

  /**
   * The options every demo run starts with: its name, config, the sweep's tag and group, a
   * heartbeat every 2 s (the demo's processor calls a run crashed after 10 s of silence) and no
   * system-metrics sampler (ten runs in one JVM would each sample the same machine). Settings it
   * does not set come from {@code env} ({@code RUNSTREAM_TOPIC_PREFIX}, {@code RUNSTREAM_ENTITY}).
   */
  public static RunOptions.Builder options(
      DemoRun spec, int steps, String sweep, Map<String, String> env) {
    return RunOptions.builder(DemoRun.PROJECT, env)
        .name(spec.name())
        .group(sweep)
        .jobType("train")
        .tags(sweep, spec.architecture().toLowerCase(Locale.ROOT))
        .notes(spec.notes())
        .config(spec.config(steps))
        .heartbeatInterval(Duration.ofSeconds(2))
        .systemMetricsInterval(Duration.ZERO)
        .gpuTag(false);
  }
}
