package dev.runstream.sdk.internal;

/**
 * One record of a run directory's journal.
 *
 * @param sequence the run-local sequence number, the record's identity with the run id
 * @param kind which topic the record belongs to ({@link RecordKind})
 * @param points metric points it carries (0 for events and alerts)
 * @param step the step of a metric batch, -1 otherwise
 * @param body the record's Avro binary encoding, without the registry's wire header
 */
public record JournalRecord(long sequence, RecordKind kind, int points, long step, byte[] body) {}
