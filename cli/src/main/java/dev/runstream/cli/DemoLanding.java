package dev.runstream.cli;

import dev.runstream.cli.demo.DemoRun;
import dev.runstream.query.MetricGoal;
import dev.runstream.query.MetricValue;
import dev.runstream.query.RunFilter;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRow;
import dev.runstream.query.RunSort;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Waits until ClickHouse holds what the demo's sweep sent: points, run ends and alerts. */
final class DemoLanding {
  /** The metrics the demo reads back, the one it ranks by first. */
  static final List<String> METRICS = List.of("val_acc", "loss");

  private DemoLanding() {}

  /**
   * Waits until ClickHouse holds every point, every run's end and, with the demo's own processor,
   * the expected alerts.
   *
   * @return the sweep's runs, best validation accuracy first
   * @throws CliException if that takes longer than {@code timeout}
   */
  static List<RunRow> await(
      RunQueries queries,
      List<DemoTrainedRun> trained,
      String sweep,
      boolean ownProcessor,
      Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String missing = "";
    while (System.nanoTime() < deadline) {
      List<RunRow> rows =
          queries
              .runs(
                  RunFilter.builder(DemoRun.PROJECT)
                      .tagsAll(sweep)
                      .metrics(METRICS.toArray(String[]::new))
                      .sort(RunSort.best("val_acc", MetricGoal.MAXIMIZE))
                      .build())
              .runs();
      missing = missing(queries, rows, trained, ownProcessor);
      if (missing.isEmpty()) {
        return rows;
      }
      Thread.sleep(500); // polling interval of a condition with a deadline
    }
    throw new CliException(
        "ClickHouse did not get everything within "
            + timeout
            + " (still missing: "
            + missing
            + "); the machine may be busy: try again with a longer --timeout");
  }

  private static String missing(
      RunQueries queries, List<RunRow> rows, List<DemoTrainedRun> trained, boolean ownProcessor) {
    Map<String, RunRow> byId = new HashMap<>();
    rows.forEach(r -> byId.put(r.run().id(), r));
    for (DemoTrainedRun t : trained) {
      RunRow row = byId.get(t.runId);
      if (row == null) {
        return "run " + t.spec.name();
      }
      MetricValue loss = row.metrics().get("loss");
      if (loss == null || loss.points() < t.stepsLogged) {
        return "the loss of " + t.spec.name();
      }
      String expected =
          switch (t.spec.fate()) {
            case FINISHES -> "FINISHED";
            case DIVERGES -> "FAILED";
            case CRASHES -> ownProcessor ? "CRASHED" : null;
          };
      if (expected != null && !expected.equals(row.run().state())) {
        return "the state " + expected + " of " + t.spec.name();
      }
      if (t.spec.fate() != DemoRun.Fate.FINISHES && ownProcessor) {
        String rule = t.spec.fate() == DemoRun.Fate.DIVERGES ? "divergence" : "crashed";
        boolean raised =
            queries.alerts(DemoRun.PROJECT, t.runId, 100).stream()
                .anyMatch(a -> a.rule().equals(rule));
        if (!raised) {
          return "the " + rule + " alert of " + t.spec.name();
        }
      }
    }
    return "";
  }
}
