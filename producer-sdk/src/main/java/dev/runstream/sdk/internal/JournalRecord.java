package dev.runstream.sdk.internal;

import java.util.Arrays;

/**
 * One record of a run directory's journal.
 *
 * @param sequence the run-local sequence number, the record's identity with the run id
 * @param kind which topic the record belongs to ({@link RecordKind})
 * @param points metric points it carries (0 for events and alerts)
 * @param step the step of a metric batch, -1 otherwise
 * @param buffer the record's Avro binary encoding, without the registry's wire header, from {@code
 *     offset} to its end
 * @param offset where the encoding starts in {@code buffer}: the bytes before it are room for the
 *     wire header, so the sender hands the buffer to Kafka without copying the body again
 */
public record JournalRecord(
    long sequence, RecordKind kind, int points, long step, byte[] buffer, int offset) {

  /** A record whose buffer is its body. */
  public JournalRecord(long sequence, RecordKind kind, int points, long step, byte[] body) {
    this(sequence, kind, points, step, body, 0);
  }

  /** The record's Avro binary encoding (a copy when the buffer has room for a header). */
  public byte[] body() {
    return offset == 0 ? buffer : Arrays.copyOfRange(buffer, offset, buffer.length);
  }

  /** The length of {@link #body()}. */
  public int bodyLength() {
    return buffer.length - offset;
  }
}
