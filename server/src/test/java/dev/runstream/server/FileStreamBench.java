package dev.runstream.server;

import dev.runstream.deploy.LocalStack;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;

/**
 * The W&amp;B-compatible server's intake, run by hand (never by {@code verify}): history lines and
 * points accepted per second from {@code clients} concurrent clients posting {@code file_stream} as
 * the real {@code wandb} client does ({@link WandbWire}: a post of {@code lines} history lines of
 * {@value #KEYS} keys each, plus {@code _step}, {@code _timestamp} and {@code _runtime}), with the
 * p50 and p99 response time of a post; beside, on the same stack in the same run, the Java SDK's
 * own delivery: as many SDK runs in this JVM logging as many lines of the same values, timed until
 * Kafka acknowledged every point. The machine is shared and noisy: read the ratio.
 *
 * <p>A post is accepted when the server answered 200, which it does only after the SDK journalled
 * every line of it (durable), not when Kafka acknowledged it; the SDK's figure includes Kafka's
 * acknowledgement, so the ratio flatters the server by the time its last points wait for Kafka.
 *
 * <p>Arguments, all optional: {@code clients} (default 50), {@code lines} per post (5), {@code
 * seconds} measured (20, after 5 s of warm-up), {@code interval} in ms between a client's posts (0:
 * back to back, the server's most; e.g. 1000 with 200 lines of 10 keys offers 2,000 points/s per
 * client, as a client transmitting on a timer does). It starts its own {@code LocalStack} (Kafka
 * and the registry; ClickHouse is not needed: accepted means journalled and on its way to Kafka).
 *
 * <pre>
 * ./mvnw -B -pl server -am -Pserver-bench -DskipTests verify -Dbench.args="50 5 20"
 * </pre>
 */
public final class FileStreamBench {
  static final int KEYS = 10;
  private static final String KEY = "rs-" + "b".repeat(44);
  private static final String TEAM = "bench";
  private static final Duration WARM_UP = Duration.ofSeconds(5);

  private FileStreamBench() {}

  public static void main(String[] args) throws Exception {
    int clients = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int lines = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    long intervalMillis = args.length > 3 ? Long.parseLong(args[3]) : 0;
    Path dir = Files.createTempDirectory("runstream-server-bench");
    try (LocalStack stack = LocalStack.builder().withClickHouse(false).start()) {
      String prefix = "bench" + UUID.randomUUID().toString().substring(0, 8) + ".runstream.";
      Result server =
          server(stack, prefix, dir.resolve("server"), clients, lines, seconds, intervalMillis);
      // At least 200,000 lines: fewer are delivered in well under a second, too short to time.
      Result sdk =
          sdk(stack, prefix, dir.resolve("sdk"), clients, Math.max(server.lines, 200_000L));
      System.out.printf(
          "file_stream, %d clients, %d history lines of %d keys a post %s, %d s: server accepted %.0f"
              + " lines/s = %.0f points/s (%d posts, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d"
              + " refused); Java SDK, %d runs logging %d lines, delivered to Kafka %.0f"
              + " points/s in %.1f s; ratio %.2f (goal: >= 100,000 points/s accepted, p99 < 50 ms);"
              + " the %d runs were created (UpsertBucket) in %.1f s before the window opened%n",
          clients,
          lines,
          KEYS,
          intervalMillis == 0 ? "back to back" : "every " + intervalMillis + " ms",
          seconds,
          server.linesPerSecond(),
          server.pointsPerSecond(),
          server.posts,
          server.percentile(0.50),
          server.percentile(0.99),
          server.percentile(1.0),
          server.refused,
          clients,
          sdk.lines,
          sdk.pointsPerSecond(),
          sdk.nanos / 1e9,
          server.pointsPerSecond() / sdk.pointsPerSecond(),
          clients,
          server.createdNanos / 1e9);
    }
  }

  /** What one side moved in the measured window. */
  private static final class Result {
    long createdNanos;
    long lines;
    long posts;
    long refused;
    long nanos;
    long[] latencies = new long[0];

    double linesPerSecond() {
      return lines * 1e9 / nanos;
    }

    double pointsPerSecond() {
      return linesPerSecond() * KEYS;
    }

    /** Milliseconds. */
    double percentile(double p) {
      if (latencies.length == 0) {
        return Double.NaN;
      }
      int i = (int) Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1);
      return latencies[Math.max(0, i)] / 1e6;
    }
  }

  private static Map<String, Double> values(int client, long step) {
    Map<String, Double> values = new LinkedHashMap<>();
    for (int k = 0; k < KEYS; k++) {
      values.put("metric_" + k, client + step / 1000.0 + k);
    }
    return values;
  }

  private static Result server(
      LocalStack stack,
      String prefix,
      Path dir,
      int clients,
      int lines,
      int seconds,
      long intervalMillis)
      throws Exception {
    WandbServer server =
        WandbServer.start(
            ServerConfig.builder(stack.kafkaBootstrap(), stack.schemaRegistryUrl())
                .host("127.0.0.1")
                .port(0)
                .dataDir(dir)
                .topicPrefix(prefix)
                .apiKey(KEY, TEAM)
                .build());
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      WandbWire wire = new WandbWire(http, "http://127.0.0.1:" + server.port(), KEY);
      // The window opens once every client has created its run: creating 50 runs at once takes
      // seconds (each run's start asks Kafka about the run), which is not the intake measured here.
      long began = System.nanoTime();
      long[] window = new long[3]; // start, end, when the last run was created
      CyclicBarrier created =
          new CyclicBarrier(
              clients,
              () -> {
                window[2] = System.nanoTime();
                window[0] = window[2] + WARM_UP.toNanos();
                window[1] = window[0] + Duration.ofSeconds(seconds).toNanos();
              });
      List<Future<long[]>> done = new ArrayList<>();
      List<long[]> latencies = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        int client = c;
        long[] mine = new long[1 << 16];
        latencies.add(mine);
        // Paced clients start spread over one interval, as independent jobs would.
        long phase = intervalMillis * 1_000_000L * c / clients;
        done.add(
            pool.submit(
                () ->
                    client(
                        wire,
                        client,
                        lines,
                        created,
                        window,
                        intervalMillis * 1_000_000L,
                        phase,
                        mine)));
      }
      Result r = new Result();
      List<long[]> kept = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        long[] counts = done.get(c).get(); // lines, posts, refused
        r.lines += counts[0];
        r.posts += counts[1];
        r.refused += counts[2];
        kept.add(Arrays.copyOf(latencies.get(c), (int) counts[1]));
      }
      r.nanos = window[1] - window[0];
      r.createdNanos = window[2] - began;
      r.latencies = kept.stream().flatMapToLong(Arrays::stream).sorted().toArray();
      return r;
    } finally {
      pool.shutdownNow();
      server.close();
    }
  }

  /**
   * One client: its run created, then (once every client's run is) posts until the window's end;
   * counts only posts sent after its start. With {@code intervalNanos} 0 it posts back to back (the
   * server's most); otherwise a post is due every interval, as the real client transmits on a
   * timer, and a post's time counts from when it was due, so a late answer also delays (and is
   * charged to) the posts queued behind it.
   */
  private static long[] client(
      WandbWire wire,
      int client,
      int lines,
      CyclicBarrier created,
      long[] window,
      long intervalNanos,
      long phaseNanos,
      long[] latencies)
      throws Exception {
    String project = "bench";
    String runId = "bench" + client + UUID.randomUUID().toString().substring(0, 6);
    check(wire.graphql(WandbWire.upsertBucket(runId, project, runId, Map.of("client", client))));
    created.await();
    long start = window[0];
    long end = window[1];
    long step = 0;
    long counted = 0;
    int posts = 0;
    long refused = 0;
    List<String> post = new ArrayList<>(lines);
    long due = start - WARM_UP.toNanos() + phaseNanos;
    while (true) {
      long before = System.nanoTime();
      if (intervalNanos > 0) {
        // Pacing of a load generator, not synchronisation: wait until this post is due.
        if (due > before) {
          Thread.sleep((due - before) / 1_000_000L, (int) ((due - before) % 1_000_000L));
        }
        before = due;
        due += intervalNanos;
      }
      if (before >= end) {
        break;
      }
      post.clear();
      long offset = step;
      for (int l = 0; l < lines; l++, step++) {
        post.add(WandbWire.historyLine(step, 1.8e9 + step / 100.0, values(client, step)));
      }
      HttpResponse<String> answer =
          wire.fileStream(TEAM, project, runId, WandbWire.historyPost(offset, post));
      long after = System.nanoTime();
      if (before >= start) {
        if (answer.statusCode() == 200) {
          counted += lines;
          if (posts < latencies.length) {
            latencies[posts++] = after - before;
          }
        } else {
          refused++;
        }
      }
    }
    check(
        wire.fileStream(
            TEAM,
            project,
            runId,
            WandbWire.finalPost(step, List.of(), "{\"_step\":" + (step - 1) + "}", 0)));
    return new long[] {counted, posts, refused};
  }

  private static void check(HttpResponse<String> answer) {
    if (answer.statusCode() != 200) {
      throw new IllegalStateException(
          "server answered " + answer.statusCode() + ": " + answer.body());
    }
  }

  /**
   * The baseline: {@code clients} SDK runs in this JVM, one thread each, logging {@code lines}
   * lines in all (a 10-key map each), as fast as they can; points per second from the first {@code
   * log()} until Kafka acknowledged the last. The server phase ran the same SDK code first, so it
   * is compiled already.
   */
  private static Result sdk(LocalStack stack, String prefix, Path dir, int clients, long lines)
      throws Exception {
    List<Run> runs = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      runs.add(
          Runstream.init(
              RunOptions.builder("bench-sdk", Map.of())
                  .config(Map.of("client", c))
                  .entity(TEAM)
                  .kafkaBootstrap(stack.kafkaBootstrap())
                  .schemaRegistryUrl(stack.schemaRegistryUrl())
                  .topicPrefix(prefix)
                  .directory(dir)
                  .systemMetricsInterval(Duration.ZERO)
                  .build()));
    }
    long perRun = Math.max(1, lines / clients);
    long target = sent(runs) + perRun * clients * KEYS;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    CountDownLatch ready = new CountDownLatch(clients);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        int client = c;
        Run run = runs.get(c);
        done.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  go.await();
                  for (long step = 0; step < perRun; step++) {
                    run.log(values(client, step), step);
                  }
                  return null;
                }));
      }
      ready.await();
      long started = System.nanoTime();
      go.countDown();
      for (Future<?> f : done) {
        f.get();
      }
      while (sent(runs) < target) {
        LockSupport.parkNanos(1_000_000);
      }
      Result r = new Result();
      r.lines = perRun * clients;
      r.nanos = System.nanoTime() - started;
      return r;
    } finally {
      pool.shutdownNow();
      for (Run run : runs) {
        run.finish();
      }
    }
  }

  private static long sent(List<Run> runs) {
    long sent = 0;
    for (Run run : runs) {
      sent += run.counters().sent();
    }
    return sent;
  }
}
