package dev.runstream.sdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirectoryTest {
  @TempDir Path dir;

  @Test
  void shouldRewriteTheAcknowledgementMarkInPlaceOverAnyEarlierOne() throws IOException {
    RunDirectory run = RunDirectory.open(dir.resolve("run-a"));
    assertThat(run.readAcked()).as("no mark yet").isEqualTo(-1);

    run.writeAcked(-1);
    assertThat(run.readAcked()).isEqualTo(-1);
    run.writeAcked(1_234_567);
    assertThat(run.readAcked()).isEqualTo(1_234_567);
    run.writeAcked(Long.MAX_VALUE);
    assertThat(run.readAcked()).isEqualTo(Long.MAX_VALUE);

    // A mark an earlier version wrote (a shorter or a longer line) is covered whole.
    Path acked = dir.resolve("run-a").resolve(RunDirectory.ACKED);
    Files.writeString(acked, "98765432109876\n", StandardCharsets.US_ASCII);
    run.writeAcked(42);
    assertThat(run.readAcked()).isEqualTo(42);
    assertThat(Files.size(acked)).as("one fixed-width line").isEqualTo(21);
  }
}
