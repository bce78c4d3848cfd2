package dev.runstream.cli;

import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * A training job for {@link SigkillDurabilityIT}, run in a JVM of its own: opens a run through the
 * SDK as configured by its environment ({@code RUNSTREAM_RUN_ID}, {@code RUNSTREAM_RESUME}, {@code
 * RUNSTREAM_DIR}, {@code KAFKA_BOOTSTRAP}...), and logs {@link #METRICS} metrics per step until it
 * is killed.
 *
 * <p>Its stdout is the report the test reads: first {@code start <step>} (where the possibly
 * resumed run continues), then each step's number as a line once {@code log()} returned for it.
 * Lines are buffered and flushed every {@link #FLUSH_EVERY} steps, so reporting costs little next
 * to {@code log()}; a line the test reads was written after its {@code log()} returned, which is
 * all the test needs.
 *
 * <p>Argument: the pause between steps in microseconds, 0 for as fast as it can.
 */
public final class FlatOutTrainingJob {
  /** Metrics logged per step, in one {@code log()} call. */
  static final int METRICS = 5;

  static final int FLUSH_EVERY = 64;

  private FlatOutTrainingJob() {}

  /** The name of metric {@code m}. */
  static String metric(int m) {
    return "m" + m;
  }

  /** The value every job logs for metric {@code m} at {@code step}: exact, so it compares. */
  static double value(int m, long step) {
    return step + m / 8.0;
  }

  public static void main(String[] args) throws IOException {
    long pauseNanos = Long.parseLong(args[0]) * 1000;
    // stdout is the protocol with the test, not a log: written directly, never through a logger.
    Writer report =
        new BufferedWriter(
            new OutputStreamWriter(
                new FileOutputStream(FileDescriptor.out), StandardCharsets.US_ASCII),
            1 << 16);
    Run run = Runstream.init(RunOptions.builder("sigkill-durability").build());
    long step = run.step();
    report.write("start " + step + "\n");
    report.flush();
    for (; ; step++) {
      // A new map each step: the SDK may still read the one it was given.
      Map<String, Double> metrics = new LinkedHashMap<>();
      for (int m = 0; m < METRICS; m++) {
        metrics.put(metric(m), value(m, step));
      }
      run.log(metrics, step);
      report.write(Long.toString(step));
      report.write('\n');
      if (step % FLUSH_EVERY == 0) {
        report.flush();
      }
      if (pauseNanos > 0) {
        LockSupport.parkNanos(pauseNanos);
      }
    }
  }
}
