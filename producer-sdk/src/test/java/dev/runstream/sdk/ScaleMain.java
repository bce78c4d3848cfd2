package dev.runstream.sdk;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Many runs in one JVM, for {@link ScaleIT} (run it with a small heap): starts every run, has each
 * log its steps from a few threads, finishes them all, and prints one line of figures on standard
 * output: {@code scale key=value ...}. Arguments: Kafka bootstrap, registry URL, topic prefix,
 * directory, runs, steps per run, metrics per step, logging threads.
 */
public final class ScaleMain {
  private ScaleMain() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String registry = args[1];
    String prefix = args[2];
    Path dir = Path.of(args[3]);
    int runs = Integer.parseInt(args[4]);
    int steps = Integer.parseInt(args[5]);
    int metrics = Integer.parseInt(args[6]);
    int threads = Integer.parseInt(args[7]);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    ThreadMXBean threadBean = ManagementFactory.getThreadMXBean();
    Map<String, Object> figures = new LinkedHashMap<>();

    long heapBefore = heapAfterGc(memory);
    long rssBefore = rssKb();
    figures.put("threads_before", threadBean.getThreadCount());

    List<Run> all = new ArrayList<>(runs);
    long maxInit = 0;
    long start = System.nanoTime();
    for (int i = 0; i < runs; i++) {
      long t = System.nanoTime();
      all.add(
          Runstream.init(
              RunOptions.builder("scale", Map.of())
                  .kafkaBootstrap(bootstrap)
                  .schemaRegistryUrl(registry)
                  .topicPrefix(prefix)
                  .directory(dir)
                  .finishTimeout(Duration.ofMinutes(3))
                  .build()));
      maxInit = Math.max(maxInit, System.nanoTime() - t);
    }
    long initNanos = System.nanoTime() - start;
    figures.put("runs", runs);
    figures.put("init_ms_per_run", ms(initNanos / runs));
    figures.put("init_ms_max", ms(maxInit));
    long heapIdle = heapAfterGc(memory);
    long rssIdle = rssKb();
    figures.put("threads_idle", threadBean.getThreadCount());
    figures.put("heap_kb_per_idle_run", (heapIdle - heapBefore) / 1024 / runs);
    figures.put("rss_kb_per_idle_run", (rssIdle - rssBefore) / runs);

    String[] names = new String[metrics];
    for (int m = 0; m < metrics; m++) {
      names[m] = "metric_" + m;
    }
    long logStart = System.nanoTime();
    List<Thread> loggers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int first = t;
      Thread logger =
          new Thread(
              () -> {
                Map<String, Double> values = new LinkedHashMap<>();
                for (int step = 0; step < steps; step++) {
                  for (int r = first; r < runs; r += threads) {
                    for (int m = 0; m < metrics; m++) {
                      values.put(names[m], step + m / 10.0);
                    }
                    all.get(r).log(values);
                  }
                }
              });
      logger.start();
      loggers.add(logger);
    }
    for (Thread logger : loggers) {
      logger.join();
    }
    long logNanos = System.nanoTime() - logStart;
    figures.put("log_points_per_s", (long) runs * steps * metrics * 1_000_000_000L / logNanos);
    figures.put("threads_active", threadBean.getThreadCount());
    figures.put(
        "heap_kb_per_active_run",
        (memory.getHeapMemoryUsage().getUsed() - heapBefore) / 1024 / runs);
    figures.put("rss_kb_per_active_run", (rssKb() - rssBefore) / runs);
    figures.put("threads_peak", threadBean.getPeakThreadCount());

    long finishStart = System.nanoTime();
    for (Run run : all) {
      run.finish();
    }
    figures.put("finish_s", ms(System.nanoTime() - finishStart) / 1000);
    long sent = 0;
    long minSent = Long.MAX_VALUE;
    for (Run run : all) {
      sent += run.counters().sent();
      minSent = Math.min(minSent, run.counters().sent());
    }
    figures.put("sent_total", sent);
    figures.put("sent_min_per_run", minSent);
    figures.put("heap_max_mb", Runtime.getRuntime().maxMemory() >> 20);

    StringBuilder line = new StringBuilder("scale");
    figures.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
    System.out.println(line);
    System.out.flush();
  }

  private static double ms(long nanos) {
    return Double.parseDouble(String.format(Locale.ROOT, "%.2f", nanos / 1e6));
  }

  private static long heapAfterGc(MemoryMXBean memory) {
    System.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }

  private static long rssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (Exception e) {
      // not Linux: no RSS figure
    }
    return 0;
  }
}
