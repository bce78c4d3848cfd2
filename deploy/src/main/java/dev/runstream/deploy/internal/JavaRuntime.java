package dev.runstream.deploy.internal;

import java.nio.file.Files;
import java.nio.file.Path;

/** The {@code java} executable of the running JVM, so children run on the same Java. */
public final class JavaRuntime {
  private JavaRuntime() {}

  /**
   * Returns the path of the current JVM's {@code java} launcher.
   *
   * @return an absolute path, or {@code "java"} (from PATH) as a last resort
   */
  public static String javaExecutable() {
    Path fromHome = Path.of(System.getProperty("java.home"), "bin", "java");
    if (Files.isExecutable(fromHome)) {
      return fromHome.toString();
    }
    return ProcessHandle.current().info().command().orElse("java");
  }
}
