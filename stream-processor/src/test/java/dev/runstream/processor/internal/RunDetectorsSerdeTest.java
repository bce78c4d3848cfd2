package dev.runstream.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.processor.internal.RunDetectors.MetricWatch;
import dev.runstream.schemas.avro.Goal;
import org.junit.jupiter.api.Test;

class RunDetectorsSerdeTest {
  @Test
  void shouldRoundTripEveryFieldOfARunWithManyMetrics() {
    RunDetectors v = new RunDetectors();
    for (long seq : new long[] {1, 2, 5, 700, 1500}) {
      v.window.markNew(seq);
    }
    v.declaredGoals.put("val/*", Goal.MAXIMIZE);
    v.declaredGoals.put("loss", Goal.MINIMIZE);
    // Enough metrics, with long names and open episodes, that the buffer grows several times.
    for (int i = 0; i < 40; i++) {
      MetricWatch w = new MetricWatch();
      w.finitePoints = i;
      w.firstEma = i * 0.5;
      w.bestEma = i == 0 ? Double.NaN : -i;
      w.sdAtBest = 0.25;
      w.over = i % 3;
      w.under = i % 5;
      w.plateauRef = 1.0 / (i + 1);
      w.plateauRefStep = 10L * i;
      w.lastFinite = Double.POSITIVE_INFINITY;
      w.lastFiniteStep = i - 1;
      w.nonFiniteEpisode = i % 2 == 0 ? "run-1/non-finite/metric-" + i : null;
      w.divergenceEpisode = i % 4 == 0 ? "run-1/divergence/metric-é-" + i : null;
      w.spikeEpisode = null;
      w.plateauEpisode = i % 7 == 0 ? "run-1/plateau/" + "m".repeat(200) + i : null;
      v.watches.put("train/a-rather-long-metric-name-" + i, w);
    }

    RunDetectors back = RunDetectors.read(RunDetectors.write(v));

    assertThat(back.window.highest()).isEqualTo(v.window.highest());
    assertThat(back.window.bits()).containsExactly(v.window.bits());
    assertThat(back.declaredGoals).containsExactlyEntriesOf(v.declaredGoals);
    assertThat(back.watches.keySet()).containsExactlyElementsOf(v.watches.keySet());
    assertThat(back.watches)
        .usingRecursiveComparison()
        .ignoringFields("settings", "settingsProject")
        .withComparatorForType(Double::compare, Double.class) // NaN equals NaN, bit for bit
        .isEqualTo(v.watches);
  }

  @Test
  void shouldGrowTheBufferFromAnyInitialCapacity() {
    Codec.Bytes bytes = new Codec.Bytes(1);
    byte[] chunk = {1, 2, 3, 4, 5, 6, 7};
    for (int i = 0; i < 10; i++) {
      bytes.write(chunk, 0, chunk.length);
      bytes.write(9);
    }

    byte[] out = bytes.toByteArray();

    assertThat(out).hasSize(80);
    assertThat(out).startsWith(1, 2, 3, 4, 5, 6, 7, 9, 1).endsWith(6, 7, 9);
  }
}
