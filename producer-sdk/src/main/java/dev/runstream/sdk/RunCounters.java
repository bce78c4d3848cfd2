package dev.runstream.sdk;

/**
 * A snapshot of what a run did with the points logged to it. Counts metric points (one per
 * name-value pair), not {@code log()} calls.
 *
 * @param accepted points taken by {@code log()}
 * @param sent points Kafka acknowledged
 * @param rejected points refused for invalid names or values
 * @param failed points Kafka refused after the producer's own retries
 */
public record RunCounters(long accepted, long sent, long rejected, long failed) {}
