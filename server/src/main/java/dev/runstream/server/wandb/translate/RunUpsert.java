package dev.runstream.server.wandb.translate;

import java.util.List;
import java.util.Objects;

/**
 * What one {@code UpsertBucket} mutation says about a run. The client sends it to create the run
 * and again for every change (name, notes, tags, config); a component it did not send is null,
 * which means "unchanged", never "cleared" (the client's later upserts send only what changed, e.g.
 * {@code displayName} null beside a new config).
 *
 * @param runId the run's id ({@code name}: the client makes it, e.g. {@code wtvq5hcq})
 * @param project the project, or null
 * @param displayName the run's display name (runstream's run name), or null
 * @param notes the notes ({@code notes}, else the older {@code description}), or null
 * @param tags the whole tag set, in the client's order, or null
 * @param group the run group ({@code groupName}), or null
 * @param jobType the job type, or null
 * @param host the host the run runs on, or null
 * @param program the program the run runs, or null
 * @param commit the git commit of the program, or null
 * @param repo the git remote of the program, or null
 * @param config the whole config, or null
 * @param summary the summary ({@code summaryMetrics}), or null
 */
public record RunUpsert(
    String runId,
    String project,
    String displayName,
    String notes,
    List<String> tags,
    String group,
    String jobType,
    String host,
    String program,
    String commit,
    String repo,
    TranslatedConfig config,
    SummaryValues summary) {

  /** Checks the run id and copies the tags. */
  public RunUpsert {
    Objects.requireNonNull(runId, "runId");
    tags = tags == null ? null : List.copyOf(tags);
  }
}
