package dev.runstream.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Run in a child JVM by {@link LocalStackLifecycleIT}: starts a stack in the given directory,
 * writes a ready file, and waits to be killed.
 */
public final class OrphanProbeMain {
  private OrphanProbeMain() {}

  public static void main(String[] args) throws Exception {
    Path dataDir = Path.of(args[0]);
    Path readyFile = Path.of(args[1]);
    LocalStack stack = LocalStack.builder().dataDir(dataDir).useEnvironment(false).start();
    Files.writeString(readyFile, stack.describe());
    new CountDownLatch(1).await(); // until kill -9
  }
}
