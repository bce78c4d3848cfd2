package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parsing of recorded nvidia-smi output (this machine has no GPU). */
class NvidiaSmiTest {

  private static String recorded(String name) throws IOException {
    try (InputStream in = NvidiaSmiTest.class.getResourceAsStream("/nvidia-smi/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void shouldReadEveryMetricOfEveryGpu() throws IOException {
    Map<String, Double> m = NvidiaSmi.parseSample(recorded("a100x2-sample.csv"));

    assertThat(m)
        .contains(
            entry("system.gpu.0.util", 87.0),
            entry("system.gpu.0.memory_util", 41.0),
            entry("system.gpu.0.memory_used_mb", 30512.0),
            entry("system.gpu.0.memory_total_mb", 81920.0),
            entry("system.gpu.0.temp_c", 64.0),
            entry("system.gpu.0.power_w", 287.43),
            entry("system.gpu.1.util", 0.0),
            entry("system.gpu.1.temp_c", 31.0));
    assertThat(m.get("system.gpu.0.memory_percent")).isCloseTo(37.246, within());
    assertThat(m.get("system.gpu.0.power_percent")).isCloseTo(71.8575, within());
    assertThat(m).hasSize(16);
  }

  @Test
  void shouldLeaveOutFieldsTheGpuDoesNotReportAndMalformedLines() throws IOException {
    Map<String, Double> m = NvidiaSmi.parseSample(recorded("t4-not-supported.csv"));

    assertThat(m).containsKeys("system.gpu.0.util", "system.gpu.0.temp_c");
    assertThat(m).doesNotContainKeys("system.gpu.0.power_w", "system.gpu.0.power_percent");
    assertThat(m)
        .containsKeys("system.gpu.1.memory_used_mb", "system.gpu.1.memory_percent")
        .doesNotContainKeys("system.gpu.1.util", "system.gpu.1.temp_c", "system.gpu.1.power_w");
    assertThat(NvidiaSmi.parseSample("")).isEmpty();
  }

  @Test
  void shouldOfferTheGpuModelAsATag() throws IOException {
    List<String> names = NvidiaSmi.parseNames(recorded("names.txt"));
    assertThat(names).containsExactly("NVIDIA A100-SXM4-80GB", "NVIDIA A100-SXM4-80GB");
    assertThat(NvidiaSmi.tag(names)).isEqualTo("gpu:NVIDIA-A100-SXM4-80GB");
  }

  @Test
  void shouldSampleSystemMetricsWithoutGpusAndWithoutErrors() {
    Map<String, Double> m = new SystemMetrics(java.nio.file.Path.of("."), false).sample();
    assertThat(m)
        .containsKeys(
            "system.cpu.percent",
            "system.process.cpu.percent",
            "system.memory.percent",
            "system.memory.used_mb",
            "system.process.rss_mb",
            "system.jvm.heap_used_mb",
            "system.disk.percent",
            "system.disk.read_mb",
            "system.disk.write_mb",
            "system.network.recv_mb",
            "system.network.sent_mb");
    assertThat(m.keySet()).noneMatch(k -> k.startsWith("system.gpu."));
  }

  @Test
  void shouldSumNetworkBytesOfAllInterfacesButLoopback() {
    long[] net =
        SystemMetrics.parseNetDev(
            List.of(
                "Inter-|   Receive                            |  Transmit",
                " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets",
                "    lo: 1000 10 0 0 0 0 0 0 1000 10 0 0 0 0 0 0",
                "  eth0: 2000 20 0 0 0 0 0 0 3000 30 0 0 0 0 0 0",
                "  eth1: 5 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0"));
    assertThat(net).containsExactly(2005, 3007);
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(0.01);
  }
}
