package dev.runstream.processor.internal;

import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.RunEvent;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A record that deserialized but cannot be processed: no run id key, a key that differs from the
 * payload's run id, a metric batch whose names and values do not pair up. Thrown before the record
 * changes any state; the processing exception handler sends the record to the dead-letter topic
 * with this message in its {@code __streams.errors.message} header, and processing continues.
 */
public final class RejectedRecordException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  RejectedRecordException(String message) {
    super(message);
  }

  /**
   * Checks a record of the runs or metrics topic.
   *
   * @throws RejectedRecordException saying what is wrong with it
   */
  private static final int SMALL_BATCH = 32;

  static void check(String key, Object value) {
    if (key == null || key.isBlank()) {
      throw new RejectedRecordException("record without a key: the key must be the run id");
    }
    if (value == null) {
      throw new RejectedRecordException("record of run " + key + " without a value");
    }
    if (value instanceof MetricBatch batch) {
      sameRun(key, batch.getRunId(), "metric batch");
      if (batch.getStep() < 0) {
        throw new RejectedRecordException(
            "metric batch of run " + key + " has a negative step: " + batch.getStep());
      }
      List<String> names = batch.getNames();
      if (names.size() != batch.getValues().size()) {
        throw new RejectedRecordException(
            "metric batch of run "
                + key
                + " at step "
                + batch.getStep()
                + " has "
                + names.size()
                + " names but "
                + batch.getValues().size()
                + " values");
      }
      if (names instanceof MetricBatchDeserializer.Names known && known.valid) {
        return; // the same list as an earlier batch of the run, judged then
      }
      // A batch rarely has more than a few dozen names: comparing pairs costs less than hashing
      // every name into a new set on each record.
      Set<String> seen = names.size() > SMALL_BATCH ? new HashSet<>() : null;
      for (int i = 0; i < names.size(); i++) {
        String name = names.get(i);
        if (name.isBlank()) {
          throw new RejectedRecordException(
              "metric batch of run " + key + " at step " + batch.getStep() + " has a blank name");
        }
        if (seen != null ? !seen.add(name) : namedBefore(names, i)) {
          throw new RejectedRecordException(
              "metric batch of run "
                  + key
                  + " at step "
                  + batch.getStep()
                  + " names "
                  + name
                  + " twice");
        }
      }
      if (names instanceof MetricBatchDeserializer.Names known) {
        known.valid = true;
      }
    } else if (value instanceof RunEvent event) {
      sameRun(key, event.getRunId(), "run event");
    }
  }

  private static boolean namedBefore(List<String> names, int i) {
    String name = names.get(i);
    for (int j = 0; j < i; j++) {
      if (name.equals(names.get(j))) {
        return true;
      }
    }
    return false;
  }

  private static void sameRun(String key, String runId, String what) {
    if (!key.equals(runId)) {
      throw new RejectedRecordException(
          what + " keyed by run " + key + " carries another run id: " + runId);
    }
  }
}
