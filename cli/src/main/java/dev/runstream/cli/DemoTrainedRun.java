package dev.runstream.cli;

import dev.runstream.cli.demo.DemoRun;
import java.nio.file.Path;

/**
 * A run of the demo's sweep as it went: filled in by {@link DemoSweepTraining} while it trains,
 * read by {@link DemoLanding} and {@link DemoReport} once every run has ended.
 */
final class DemoTrainedRun {
  final DemoRun spec;
  volatile String runId;
  volatile int stepsLogged;
  volatile String ending = "";
  volatile Path directory;

  DemoTrainedRun(DemoRun spec) {
    this.spec = spec;
  }
}
