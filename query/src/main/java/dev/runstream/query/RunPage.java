package dev.runstream.query;

import java.util.List;

/**
 * One page of runs.
 *
 * @param runs the runs of this page, in the requested order
 * @param total how many runs match the filter, over all pages
 * @param offset the index of the first run of this page among all matches
 * @param limit the page size asked for
 */
public record RunPage(List<RunRow> runs, long total, int offset, int limit) {
  public RunPage {
    runs = List.copyOf(runs);
  }

  /** Whether runs after this page match. */
  public boolean hasMore() {
    return offset + runs.size() < total;
  }
}
