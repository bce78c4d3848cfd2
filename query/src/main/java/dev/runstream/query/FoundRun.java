package dev.runstream.query;

import java.time.Instant;

/**
 * A run found by id or display name ({@link RunFinder}).
 *
 * @param runId its id
 * @param team its team (W&B's entity)
 * @param project its project
 * @param name its display name
 * @param startedAt when it started
 */
public record FoundRun(String runId, String team, String project, String name, Instant startedAt) {}
