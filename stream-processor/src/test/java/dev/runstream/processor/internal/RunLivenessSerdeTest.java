package dev.runstream.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.schemas.avro.RunState;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class RunLivenessSerdeTest {
  @Test
  void shouldRoundTripEveryField() {
    RunLiveness v = new RunLiveness();
    v.entity = "vision";
    v.project = "tinyllm";
    v.name = "test1";
    v.state = RunState.UNRESPONSIVE;
    v.lastSeenMs = 1_000;
    v.lastMetricMs = 900;
    v.lastStep = 42;
    v.hasMetrics = true;
    v.stalledEpisode = "r1/stalled";

    RunLiveness back = RunLiveness.read(RunLiveness.write(v));

    assertThat(back).usingRecursiveComparison().isEqualTo(v);
  }

  @Test
  void shouldReadFormatOneWithoutTreatingARunWithoutMetricsAsWaitingSinceTheEpoch()
      throws IOException {
    // Format 1 left lastMetricMs at 0 until the first metric: read as unknown, so a run already
    // in the store is not called stalled for the decades since 1970.
    RunLiveness noMetrics = RunLiveness.read(formatOne(false, 0));
    assertThat(noMetrics.lastMetricMs).isEqualTo(RunLiveness.UNKNOWN);

    RunLiveness withMetrics = RunLiveness.read(formatOne(true, 5_000));
    assertThat(withMetrics.lastMetricMs).isEqualTo(5_000);
    assertThat(withMetrics.lastStep).isEqualTo(7);
  }

  private static byte[] formatOne(boolean hasMetrics, long lastMetricMs) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(1);
    out.writeUTF("team");
    out.writeUTF("tinyllm");
    out.writeUTF("test1");
    out.writeByte(RunState.RUNNING.ordinal());
    out.writeLong(6_000);
    out.writeLong(lastMetricMs);
    out.writeLong(hasMetrics ? 7 : -1);
    out.writeBoolean(hasMetrics);
    out.writeBoolean(false);
    out.writeBoolean(false);
    return bytes.toByteArray();
  }
}
