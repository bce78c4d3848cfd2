package dev.runstream.query;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A run on a leaderboard.
 *
 * @param rank 1 for the best run
 * @param runId the run
 * @param name its display name
 * @param value the metric's best finite value in the run
 * @param step the step of {@code value}
 * @param config the run's current flattened config, in key order
 */
public record LeaderboardEntry(
    int rank, String runId, String name, double value, long step, Map<String, String> config) {
  public LeaderboardEntry {
    config = Collections.unmodifiableSortedMap(new TreeMap<>(config));
  }
}
