package dev.runstream.query;

import java.util.List;
import java.util.StringJoiner;

/**
 * A reference to a run ({@link RunFinder#resolve}) that names no run, or is the display name of
 * several runs and so names none of them.
 */
public final class RunNotFoundException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String ref;
  private final String project;
  private final transient List<FoundRun> sameName;

  RunNotFoundException(String ref, String project, List<FoundRun> sameName) {
    super(message(ref, project, sameName));
    this.ref = ref;
    this.project = project;
    this.sameName = List.copyOf(sameName);
  }

  /** The id or name that was looked for. */
  public String ref() {
    return ref;
  }

  /** The project names were looked for in, or null for every project. */
  public String project() {
    return project;
  }

  /** The runs that share the name: empty when nothing has it, two or more when it is ambiguous. */
  public List<FoundRun> sameName() {
    return sameName;
  }

  /** Whether the reference is the name of several runs (rather than of none). */
  public boolean ambiguous() {
    return sameName.size() > 1;
  }

  private static String message(String ref, String project, List<FoundRun> sameName) {
    if (sameName.isEmpty()) {
      return "no run has the id or name '"
          + ref
          + "'"
          + (project == null ? "" : " in project " + project);
    }
    StringJoiner which = new StringJoiner(", ");
    sameName.forEach(f -> which.add(f.runId() + " (project " + f.project() + ")"));
    return "'" + ref + "' is the name of " + sameName.size() + " runs: " + which + "; give an id";
  }
}
