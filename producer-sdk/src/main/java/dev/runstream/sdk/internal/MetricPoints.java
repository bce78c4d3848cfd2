package dev.runstream.sdk.internal;

import dev.runstream.schemas.avro.MetricBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The points of one {@code log()} call (or one system sample) on their way to the writer: what a
 * {@link MetricBatch} holds, in arrays of primitives, so that the training thread boxes nothing and
 * the writer encodes it with {@link MetricBatchEncoder}. The writer gives it its sequence.
 *
 * <p>The arrays are owned by this object once it is made: the caller never changes them after.
 */
record MetricPoints(
    String runId,
    String entity,
    String project,
    long step,
    long timestampMs,
    String[] names,
    double[] values) {

  MetricPoints {
    if (names.length != values.length) {
      throw new IllegalArgumentException(names.length + " names but " + values.length + " values");
    }
  }

  /** The points as the Avro record, with {@code sequence}: what the encoder's bytes decode to. */
  MetricBatch toAvro(long sequence) {
    List<Double> boxed = new ArrayList<>(values.length);
    for (double v : values) {
      boxed.add(v);
    }
    return new MetricBatch(
        runId,
        entity,
        project,
        step,
        timestampMs,
        sequence,
        new ArrayList<>(Arrays.asList(names)),
        boxed);
  }
}
