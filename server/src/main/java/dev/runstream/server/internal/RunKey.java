package dev.runstream.server.internal;

import java.util.Objects;

/**
 * A wandb run as the server knows it: the team its API key decided, the project and the run id
 * (wandb's run "name").
 */
public record RunKey(String team, String project, String runId) {
  public RunKey {
    Objects.requireNonNull(team, "team");
    Objects.requireNonNull(project, "project");
    Objects.requireNonNull(runId, "runId");
  }

  @Override
  public String toString() {
    return team + "/" + project + "/" + runId;
  }
}
