package dev.runstream.sdk.internal;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Samples the machine and the process for a run's {@code system.*} metrics: CPU ({@code
 * system.cpu.percent}, {@code system.process.cpu.percent}), memory ({@code system.memory.percent},
 * {@code system.memory.used_mb}, {@code system.process.rss_mb}, {@code system.jvm.heap_used_mb}),
 * disk ({@code system.disk.percent}, {@code system.disk.read_mb}, {@code system.disk.write_mb} of
 * this process since the run started), network ({@code system.network.sent_mb}, {@code
 * system.network.recv_mb} of all non-loopback interfaces since the run started) and, when {@code
 * nvidia-smi} listed GPUs at init, every GPU ({@link GpuSampler}, which rides out {@code
 * nvidia-smi} failing now and then). Linux-only sources ({@code /proc}) are skipped elsewhere. A
 * source that fails is left out of the sample.
 *
 * <p>Called from one scheduler thread; not thread-safe.
 */
final class SystemMetrics {
  private static final double MB = 1024.0 * 1024.0;

  private final Path disk;
  private final com.sun.management.OperatingSystemMXBean os;
  private final GpuSampler gpus;
  private final long[] ioStart;
  private final long[] netStart;

  /**
   * @param disk a path on the disk whose usage is reported (the run directory)
   * @param gpus whether to ask {@code nvidia-smi} for GPU metrics (it listed GPUs at init)
   */
  SystemMetrics(Path disk, boolean gpus) {
    this(disk, gpus ? new GpuSampler() : null);
  }

  /**
   * @param disk a path on the disk whose usage is reported (the run directory)
   * @param gpus what samples the GPUs, or null for no GPU metrics
   */
  SystemMetrics(Path disk, GpuSampler gpus) {
    this.disk = disk;
    this.os =
        ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean sun
            ? sun
            : null;
    this.gpus = gpus;
    this.ioStart = processIo();
    this.netStart = network();
  }

  Map<String, Double> sample() {
    Map<String, Double> m = new LinkedHashMap<>();
    if (os != null) {
      putPercent(m, "system.cpu.percent", os.getCpuLoad());
      putPercent(m, "system.process.cpu.percent", os.getProcessCpuLoad());
      long total = os.getTotalMemorySize();
      long free = os.getFreeMemorySize();
      if (total > 0) {
        long used = total - availableMemory().orElse(free);
        m.put("system.memory.percent", 100.0 * used / total);
        m.put("system.memory.used_mb", used / MB);
      }
    }
    Runtime rt = Runtime.getRuntime();
    m.put("system.jvm.heap_used_mb", (rt.totalMemory() - rt.freeMemory()) / MB);
    rss().ifPresent(v -> m.put("system.process.rss_mb", v / MB));
    try {
      FileStore store = Files.getFileStore(disk);
      long total = store.getTotalSpace();
      if (total > 0) {
        m.put("system.disk.percent", 100.0 * (total - store.getUsableSpace()) / total);
      }
    } catch (IOException e) {
      // the run directory's disk is unknown; leave it out
    }
    long[] io = processIo();
    if (io != null && ioStart != null) {
      m.put("system.disk.read_mb", (io[0] - ioStart[0]) / MB);
      m.put("system.disk.write_mb", (io[1] - ioStart[1]) / MB);
    }
    long[] net = network();
    if (net != null && netStart != null) {
      m.put("system.network.recv_mb", (net[0] - netStart[0]) / MB);
      m.put("system.network.sent_mb", (net[1] - netStart[1]) / MB);
    }
    if (gpus != null) {
      m.putAll(gpus.sample());
    }
    return m;
  }

  private static void putPercent(Map<String, Double> m, String name, double fraction) {
    if (fraction >= 0 && Double.isFinite(fraction)) {
      m.put(name, 100.0 * fraction);
    }
  }

  private static Optional<Long> availableMemory() {
    return procValue(Path.of("/proc/meminfo"), "MemAvailable:").map(kb -> kb * 1024);
  }

  private static Optional<Long> rss() {
    return procValue(Path.of("/proc/self/status"), "VmRSS:").map(kb -> kb * 1024);
  }

  /** Bytes read and written by this process (storage layer), or null off Linux. */
  private static long[] processIo() {
    Optional<Long> read = procValue(Path.of("/proc/self/io"), "read_bytes:");
    Optional<Long> written = procValue(Path.of("/proc/self/io"), "write_bytes:");
    return read.isPresent() && written.isPresent() ? new long[] {read.get(), written.get()} : null;
  }

  /** Bytes received and sent on all non-loopback interfaces, or null off Linux. */
  static long[] network() {
    try {
      return parseNetDev(Files.readAllLines(Path.of("/proc/net/dev")));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  static long[] parseNetDev(List<String> lines) {
    long recv = 0;
    long sent = 0;
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String iface = line.substring(0, colon).strip();
      if (iface.equals("lo")) {
        continue;
      }
      String[] f = line.substring(colon + 1).strip().split("\\s+");
      if (f.length >= 9) {
        recv += Long.parseLong(f[0]);
        sent += Long.parseLong(f[8]);
      }
    }
    return new long[] {recv, sent};
  }

  private static Optional<Long> procValue(Path file, String key) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(key)) {
          String[] f = line.substring(key.length()).strip().split("\\s+");
          return Optional.of(Long.parseLong(f[0]));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or not readable: leave the metric out
    }
    return Optional.empty();
  }
}
