package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * The README's first command, as a user runs it: its own stack, the pipeline, simulated runs, the
 * table read back from ClickHouse, and nothing left running afterwards.
 */
@Timeout(300)
class DemoCommandIT {

  @Test
  void demoPrintsTheRunsSideBySideAndStopsEverything() {
    CommandLine cli = RunstreamCli.newCommandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));

    int exit = cli.execute("demo", "--runs", "3");

    String printed = out.toString();
    assertThat(exit).as("stdout:%n%s%nstderr:%n%s", printed, err).isZero();
    assertThat(printed).contains("Runs side by side", "final loss", "best acc", "Done.");
    for (String name : new String[] {"test1", "test2", "test3"}) {
      assertThat(printed)
          .containsPattern("(?m)^\\S+\\s+" + name + "\\s+FINISHED\\s+tag1,tag2\\s+CNN");
    }
    Matcher dataDir = Pattern.compile("data dir\\s+(\\S+)").matcher(printed);
    assertThat(dataDir.find()).as("the demo names its data directory").isTrue();
    String dir = dataDir.group(1);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        ProcessHandle.allProcesses()
                            .map(p -> p.info().commandLine().orElse(""))
                            .filter(c -> c.contains(dir)))
                    .as("processes of the demo's stack")
                    .isEmpty());
  }

  @Test
  void badArgumentsGiveAMessageAndANonZeroExit() {
    CommandLine cli = RunstreamCli.newCommandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err, true));

    assertThat(cli.execute("demo", "--runs", "zero")).isNotZero();
    assertThat(err.toString()).contains("--runs");
    assertThat(cli.execute("demo", "--runs", "0")).isNotZero();
    assertThat(err.toString()).contains("at least 1");
  }
}
