package dev.runstream.cli;

import dev.runstream.cli.chart.PngChart;
import dev.runstream.cli.chart.Series;
import dev.runstream.cli.demo.DemoRun;
import dev.runstream.query.AlertRecord;
import dev.runstream.query.RunQueries;
import dev.runstream.query.RunRow;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's ending: the runs side by side, the loss chart (and a PNG when asked), the alerts, and
 * what to try next, all read back from ClickHouse.
 */
final class DemoReport {
  private final PrintWriter out;
  private final Terminal terminal;
  private final Path png;

  /**
   * @param png where to write the loss chart as a picture, or null
   */
  DemoReport(PrintWriter out, Terminal terminal, Path png) {
    this.out = out;
    this.terminal = terminal;
    this.png = png;
  }

  void print(
      RunQueries queries,
      List<RunRow> rows,
      List<DemoTrainedRun> trained,
      String sweep,
      Path runsDir,
      boolean ownProcessor)
      throws IOException {
    out.printf(
        "%nThe runs side by side, read back from ClickHouse, best validation accuracy first:%n%n");
    out.print(
        Comparison.table(
            rows,
            List.of(
                new Comparison.Column("val_acc", Comparison.Value.BEST),
                new Comparison.Column("loss", Comparison.Value.FINAL),
                new Comparison.Column("loss", Comparison.Value.BEST)),
            OutputFormat.TABLE,
            false));

    List<Series> series = Comparison.series(queries, DemoRun.PROJECT, "loss", rows, 500);
    out.printf("%nloss by step%n");
    out.print(Comparison.chart(series, terminal, true));
    if (png != null) {
      Path file = png.toAbsolutePath();
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      PngChart.write(series, "loss", 1100, 550, true, file);
      out.printf("Wrote the loss chart to %s.%n", png);
    }

    List<AlertRecord> alerts = new ArrayList<>();
    Map<String, String> names = new HashMap<>();
    for (DemoTrainedRun t : trained) {
      alerts.addAll(queries.alerts(DemoRun.PROJECT, t.runId, 100));
      names.put(t.runId, t.spec.name());
    }
    alerts.sort(Comparator.comparing(AlertRecord::time));
    out.printf("%nAlerts the stream processor raised:%n%n");
    out.print(alerts.isEmpty() ? "(none)\n" : AlertsCommand.table(alerts, names, true));

    RunRow best = rows.get(0);
    String diverged =
        trained.stream()
            .filter(t -> t.spec.fate() == DemoRun.Fate.DIVERGES)
            .findFirst()
            .orElseThrow()
            .runId;
    if (ownProcessor) {
      nextStepsAfterOwnStack(best);
    } else {
      nextStepsOnUpsStack(best, diverged, sweep, runsDir);
    }
    out.flush();
  }

  private void nextStepsAfterOwnStack(RunRow best) {
    // This stack and its runs are deleted when the demo ends: say how to keep them.
    out.printf(
        "%nWhere to look next: this demo's stack and its runs are deleted when it ends. Keep"
            + " them with%n  runstream up --detach && runstream demo%nthen:%n");
    out.printf("  runstream runs list --project %s --sort -best.val_acc%n", DemoRun.PROJECT);
    out.printf(
        "  runstream runs compare --project %s --top 5 --metric val_acc --png val_acc.png%n",
        DemoRun.PROJECT);
    out.printf("  runstream runs show %s%n", best.run().name());
    out.printf("  runstream runs config %s --format args%n", best.run().name());
    out.printf("  runstream alerts --follow%n");
    out.printf("  runstream down%n");
  }

  private void nextStepsOnUpsStack(RunRow best, String diverged, String sweep, Path runsDir) {
    out.printf("%nWhere to look next:%n");
    out.printf(
        "  runstream runs list --project %s --tag %s --sort -best.val_acc%n",
        DemoRun.PROJECT, sweep);
    out.printf(
        "  runstream runs compare --project %s --tag %s --top 5 --metric val_acc --png"
            + " val_acc.png%n",
        DemoRun.PROJECT, sweep);
    out.printf(
        "  runstream runs show %s          # %s, the best run%n",
        best.run().id(), best.run().name());
    out.printf("  runstream runs config %s --format args%n", best.run().id());
    out.printf("  runstream alerts --run %s --format json%n", diverged);
    out.printf("  runstream sync %s   # safe to repeat: nothing new to send%n", runsDir);
    out.printf("  runstream alerts --follow%n");
  }
}
