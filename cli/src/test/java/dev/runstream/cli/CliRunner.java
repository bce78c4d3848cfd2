package dev.runstream.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;

/** Runs {@code runstream} in this JVM as a user would, capturing what it prints. */
final class CliRunner {
  private CliRunner() {}

  /**
   * What a command did.
   *
   * @param exit its exit code
   * @param out what it printed on stdout
   * @param err what it printed on stderr
   */
  record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
    }
  }

  /** Runs {@code args} with {@code env} as the environment, plain output. */
  static Result run(Map<String, String> env, String... args) {
    CommandLine cli = RunstreamCli.newCommandLine(env);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  /**
   * A command running on its own thread, such as {@code alerts --follow}, and its output so far.
   */
  static final class Background {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final AtomicInteger exit = new AtomicInteger(Integer.MIN_VALUE);
    private final Thread thread;

    Background(Map<String, String> env, String... args) {
      CommandLine cli = RunstreamCli.newCommandLine(env);
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(err, true));
      thread = new Thread(() -> exit.set(cli.execute(args)), "runstream-cli-under-test");
      thread.setDaemon(true);
      thread.start();
    }

    /** What it printed on stdout so far. */
    String out() {
      synchronized (out.getBuffer()) {
        return out.toString();
      }
    }

    String err() {
      synchronized (err.getBuffer()) {
        return err.toString();
      }
    }

    /** Interrupts it, as Ctrl-C would end it, and waits for its exit code. */
    int stop() throws InterruptedException {
      thread.interrupt();
      thread.join(30_000);
      if (thread.isAlive()) {
        throw new AssertionError("the command did not stop within 30 s of an interrupt:\n" + out());
      }
      return exit.get();
    }
  }
}
