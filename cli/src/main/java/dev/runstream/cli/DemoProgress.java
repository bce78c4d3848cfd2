package dev.runstream.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What the demo shows while its runs train. On a terminal, one line per run with a progress bar,
 * redrawn in place five times a second, and alerts printed above them as they come; elsewhere
 * (pipes, files, tests), a line when a run ends or an alert comes and a summary every few seconds.
 *
 * <p>Thread-safe: training threads report steps, the alert tail reports alerts.
 */
final class DemoProgress implements AutoCloseable {
  private static final int BAR_WIDTH = 20;
  private static final long REDRAW_MILLIS = 200;
  private static final long SUMMARY_MILLIS = 3000;

  private final PrintWriter out;
  private final Terminal terminal;
  private final List<Line> lines = new ArrayList<>();
  private final int nameWidth;
  private final ScheduledExecutorService timer;
  private int drawn; // lines of the block currently on the screen; guarded by this

  private static final class Line {
    final String name;
    final int steps;
    volatile int step = -1;
    volatile double loss = Double.NaN;
    volatile String ended; // null while the run trains

    Line(String name, int steps) {
      this.name = name;
      this.steps = steps;
    }
  }

  /** Starts showing progress of runs named {@code names}, each of {@code steps} steps. */
  DemoProgress(PrintWriter out, Terminal terminal, List<String> names, int steps) {
    this.out = out;
    this.terminal = terminal;
    names.forEach(n -> lines.add(new Line(n, steps)));
    this.nameWidth = names.stream().mapToInt(String::length).max().orElse(10);
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "runstream-demo-progress");
              t.setDaemon(true);
              return t;
            });
    long every = terminal.interactive() ? REDRAW_MILLIS : SUMMARY_MILLIS;
    timer.scheduleAtFixedRate(this::tick, every, every, TimeUnit.MILLISECONDS);
    if (terminal.interactive()) {
      redraw();
    }
  }

  /** Run {@code index} logged {@code step}. */
  void step(int index, int step, double loss) {
    Line line = lines.get(index);
    line.step = step;
    line.loss = loss;
  }

  /** Run {@code index} ended; {@code how} says how (finished, diverged, crashed). */
  synchronized void ended(int index, String how) {
    Line line = lines.get(index);
    line.ended = how;
    if (terminal.interactive()) {
      redraw();
    } else {
      out.printf("  %-" + nameWidth + "s  %s%n", line.name, how);
      out.flush();
    }
  }

  /** Prints {@code text} (an alert, a note) above the progress lines. */
  synchronized void note(String text) {
    if (terminal.interactive()) {
      clear();
      out.println(text);
      redraw();
    } else {
      out.println(text);
      out.flush();
    }
  }

  private synchronized void tick() {
    if (terminal.interactive()) {
      redraw();
      return;
    }
    long done = 0;
    long total = 0;
    int ended = 0;
    for (Line line : lines) {
      done += line.step + 1;
      total += line.steps;
      ended += line.ended == null ? 0 : 1;
    }
    if (ended < lines.size()) {
      out.printf(
          "  ... %s of %s steps logged, %d of %d runs ended%n",
          Numbers.count(done), Numbers.count(total), ended, lines.size());
      out.flush();
    }
  }

  private void clear() {
    if (drawn > 0) {
      out.print("\u001b[" + drawn + "A"); // up to the first line of the block
      for (int i = 0; i < drawn; i++) {
        out.print("\u001b[2K\n"); // erase each line
      }
      out.print("\u001b[" + drawn + "A");
      drawn = 0;
    }
  }

  private void redraw() {
    if (drawn > 0) {
      out.print("\u001b[" + drawn + "A");
    }
    for (Line line : lines) {
      out.print("\r\u001b[2K");
      out.println(render(line));
    }
    drawn = lines.size();
    out.flush();
  }

  private String render(Line line) {
    int done = line.step + 1;
    String head = String.format("  %-" + nameWidth + "s  ", line.name);
    if (line.ended != null) {
      return head + line.ended;
    }
    String loss = done == 0 ? "" : "  loss " + Numbers.format(line.loss);
    return head
        + ProgressBar.render(done, line.steps, BAR_WIDTH)
        + String.format("  step %3d/%d", done, line.steps)
        + loss;
  }

  /** Stops redrawing; the last state stays on the screen. */
  @Override
  public synchronized void close() {
    timer.shutdownNow();
    if (terminal.interactive()) {
      redraw();
    }
    out.flush();
  }
}
