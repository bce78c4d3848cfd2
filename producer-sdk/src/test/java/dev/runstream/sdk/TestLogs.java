package dev.runstream.sdk;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What the SDK logs, for tests that check its warnings. */
public final class TestLogs {
  private TestLogs() {}

  /** Runs {@code body} while standard error (where slf4j-simple writes) is captured. */
  public static String capturingStandardError(Runnable body) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      body.run();
    } finally {
      System.setErr(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }
}
