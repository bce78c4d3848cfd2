package dev.runstream.deploy;

import java.nio.file.Path;
import java.util.List;

/** Finds the processes of a stack by the data directory on their command lines. */
final class StackProcesses {
  private StackProcesses() {}

  static List<String> of(Path dataDir) {
    String marker = dataDir.toString();
    long self = ProcessHandle.current().pid();
    return ProcessHandle.allProcesses()
        .filter(ProcessHandle::isAlive)
        .filter(h -> h.pid() != self)
        .map(h -> h.pid() + " " + h.info().commandLine().orElse(""))
        .filter(c -> c.contains(marker))
        .toList();
  }
}
