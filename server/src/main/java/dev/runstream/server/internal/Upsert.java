package dev.runstream.server.internal;

import dev.runstream.server.wandb.translate.RunUpsert;
import dev.runstream.server.wandb.translate.TranslatedConfig;
import java.util.List;

/**
 * What one {@code UpsertBucket} mutation asks of an open run; every field may be null, which means
 * "unchanged".
 *
 * @param config the translated config: the user's values and the {@code define_metric} calls
 */
public record Upsert(
    String displayName,
    String notes,
    List<String> tags,
    TranslatedConfig config,
    String group,
    String jobType,
    String host,
    String program) {
  /** An upsert that changes nothing: a run opened by a request that is not an upsert. */
  public static final Upsert NONE = new Upsert(null, null, null, null, null, null, null, null);

  /** The fields of a translated {@code UpsertBucket}. */
  public static Upsert of(RunUpsert upsert) {
    return new Upsert(
        upsert.displayName(),
        upsert.notes(),
        upsert.tags(),
        upsert.config(),
        upsert.group(),
        upsert.jobType(),
        upsert.host(),
        upsert.program());
  }
}
