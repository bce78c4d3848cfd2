package dev.runstream.server.internal;

import java.util.List;

/**
 * What one {@code UpsertBucket} mutation asks for; every field but the run id may be null, which
 * means "unchanged".
 *
 * @param configJson wandb's config as it sends it: a JSON object of {@code {"value": v}} entries
 */
public record Upsert(
    String displayName,
    String notes,
    List<String> tags,
    String configJson,
    String group,
    String jobType,
    String host,
    String program) {
  /** An upsert that changes nothing: a run opened by a request that is not an upsert. */
  public static final Upsert NONE = new Upsert(null, null, null, null, null, null, null, null);
}
