package dev.runstream.sdk;

/**
 * How far a {@link Runstream#sync} has come; given to {@link SyncOptions.Builder#progress}.
 *
 * @param runId the run being synced
 * @param recordsSent records handed to Kafka so far
 * @param recordsTotal records to send in all
 * @param pointsSent metric points among them
 */
public record SyncProgress(String runId, long recordsSent, long recordsTotal, long pointsSent) {}
