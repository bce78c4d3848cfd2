package dev.runstream.server.wandb.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventsTranslatorTest {
  private static final double MIB = 1024.0 * 1024.0;

  @Test
  void shouldTranslateEverySampleTheClientStreamed() {
    List<String> lines = CapturedRequests.load("slow").streamed("wandb-events.jsonl");

    List<SystemSample> samples = EventsTranslator.translate(lines, 0);

    assertThat(lines).hasSizeGreaterThanOrEqualTo(3);
    assertThat(samples).hasSize(lines.size());
    assertThat(samples).extracting(SystemSample::time).isSorted();
    assertThat(samples)
        .allSatisfy(
            s -> assertThat(s.metrics()).doesNotContainKeys("_wandb", "_runtime", "_timestamp"));
  }

  @Test
  void shouldNameMetricsAsTheSdkDoesAndKeepTheOthersUnderTheirWandbNames() {
    String first = CapturedRequests.load("slow").streamed("wandb-events.jsonl").get(0);

    SystemSample sample = EventsTranslator.translate(first);

    assertThat(sample.time()).isEqualTo(Instant.ofEpochSecond(1_796_300_080L, 638_418_000L));
    assertThat(sample.metrics())
        .containsOnly(
            entry("system.disk.vda.in", 0.0),
            entry("system.disk./.usageGB", 23.973777770996094),
            entry("system.memory.percent", 2.300679510140796),
            entry("system.proc.memory.percent", 0.32312868948467294),
            entry("system.network.recv_mb", 3803 / MIB),
            entry("system.disk.percent", 23.62826629402331),
            entry("system.process.cpu.percent", 39.020051688629664),
            entry("system.network.sent_mb", 3803 / MIB),
            entry("system.proc.cpu.threads", 4.0),
            entry("system.disk.vda.out", 0.0),
            entry("system.proc.memory.availableMB", 23550.55859375),
            entry("system.process.rss_mb", 77.890625));
    assertThat(sample.others()).isEmpty();
  }

  @Test
  void shouldNameGpuMetricsAsTheSdkDoes() {
    SystemSample sample =
        EventsTranslator.translate(
            "{\"_timestamp\":10,\"_wandb\":true,\"system.gpu.0.gpu\":97,\"system.gpu.0.memory\":40,"
                + "\"system.gpu.0.memoryAllocated\":55.5,\"system.gpu.0.memoryAllocatedBytes\":2147483648,"
                + "\"system.gpu.1.temp\":61,\"system.gpu.1.powerWatts\":250.5,\"system.gpu.1.powerPercent\":71.4,"
                + "\"system.gpu.0.smClock\":1410,\"system.gpu.process.0.gpu\":90}");

    assertThat(sample.metrics())
        .containsOnly(
            entry("system.gpu.0.util", 97.0),
            entry("system.gpu.0.memory_util", 40.0),
            entry("system.gpu.0.memory_percent", 55.5),
            entry("system.gpu.0.memory_used_mb", 2048.0),
            entry("system.gpu.1.temp_c", 61.0),
            entry("system.gpu.1.power_w", 250.5),
            entry("system.gpu.1.power_percent", 71.4),
            entry("system.gpu.0.smClock", 1410.0),
            entry("system.gpu.process.0.gpu", 90.0));
  }

  @Test
  void shouldLeaveNamesItDoesNotKnowAlone() {
    assertThat(EventsTranslator.runstreamName("system.cpu.3.cpu_percent"))
        .isEqualTo("system.cpu.3.cpu_percent");
    assertThat(EventsTranslator.runstreamName("system.gpu.12.gpu")).isEqualTo("system.gpu.12.util");
    assertThat(EventsTranslator.runstreamName("system.gpu.x.gpu")).isEqualTo("system.gpu.x.gpu");
  }

  @Test
  void shouldKeepNonFiniteAndNonNumericValues() {
    SystemSample sample =
        EventsTranslator.translate(
            "{\"_timestamp\":1.25,\"system.cpu\":NaN,\"system.gpu.0.name\":\"H100\"}");

    assertThat(sample.time()).isEqualTo(Instant.ofEpochSecond(1, 250_000_000));
    assertThat(sample.metrics()).containsOnly(entry("system.process.cpu.percent", Double.NaN));
    assertThat(sample.others().get("system.gpu.0.name").json()).isEqualTo("\"H100\"");
  }

  @Test
  void shouldConvertBytesToMebibytes() {
    SystemSample sample =
        EventsTranslator.translate("{\"_timestamp\":1,\"system.network.sent\":1572864}");

    assertThat(sample.metrics().get("system.network.sent_mb")).isCloseTo(1.5, within(1e-12));
  }

  @Test
  void shouldNameWhatIsWrongWithAMalformedLine() {
    assertThatThrownBy(() -> EventsTranslator.translate(List.of("{\"_timestamp\":1}", "{"), 7))
        .isInstanceOf(WandbPayloadException.class)
        .hasMessageStartingWith("wandb-events.jsonl line 8 is not valid JSON");
    assertThatThrownBy(() -> EventsTranslator.translate("{\"system.cpu\":1}"))
        .isInstanceOf(WandbPayloadException.class)
        .hasMessage(
            "wandb-events.jsonl line: _timestamp is missing; expected seconds since the epoch");
    assertThatThrownBy(() -> EventsTranslator.translate("\"text\""))
        .isInstanceOf(WandbPayloadException.class)
        .hasMessage("wandb-events.jsonl line is a JSON string; expected a JSON object");
  }
}
