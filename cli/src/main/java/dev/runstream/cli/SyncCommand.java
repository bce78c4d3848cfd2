package dev.runstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runstream.sdk.Runstream;
import dev.runstream.sdk.SyncOptions;
import dev.runstream.sdk.SyncResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code runstream sync DIR...}: uploads run directories to Kafka. */
@Command(
    name = "sync",
    description = {
      "Uploads offline, crashed or unfinished runs from their run directories to Kafka: everything"
          + " Kafka has not acknowledged, in order, with the steps, times and sequence numbers it"
          + " was logged with. Safe to repeat: a second sync of a directory sends nothing new, and"
          + " records sent twice are recognised downstream.",
      "DIR is a run directory (run-<id>, holding run.json) or a directory of them, such as the"
          + " ./runstream directory a training job writes."
    },
    footer = {
      "",
      "Examples:",
      "  runstream sync runstream/run-3f9a2c1b",
      "  runstream sync runstream/",
      "  KAFKA_BOOTSTRAP=kafka:9092 runstream sync runs/"
    },
    mixinStandardHelpOptions = true)
final class SyncCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BAR_WIDTH = 30;

  @Spec CommandSpec spec;
  @ParentCommand RunstreamCli cli;

  @Parameters(
      paramLabel = "DIR",
      arity = "1..*",
      description = "Run directories, or directories of them.")
  List<Path> dirs;

  @Option(
      names = "--timeout",
      defaultValue = "PT5M",
      paramLabel = "DURATION",
      description = "How long one run's upload may take (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--resend-all",
      description =
          "Send every record again, also those Kafka acknowledged (after a topic was lost).")
  boolean resendAll;

  @Override
  public Integer call() {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--timeout must be positive");
    }
    List<Path> runDirs = runDirectories();
    Servers servers = Servers.locate(cli.env());
    servers.requireKafka();
    servers.requireSchemaRegistry();
    PrintWriter out = spec.commandLine().getOut();
    Terminal terminal = cli.terminal();
    int failed = 0;
    long sentTotal = 0;
    int width = runDirs.stream().mapToInt(d -> label(d).length()).max().orElse(0);
    for (Path dir : runDirs) {
      String label = String.format("%-" + width + "s", label(dir));
      if (terminal.interactive()) {
        out.print("\r" + label + "  " + ProgressBar.render(0, 1, BAR_WIDTH));
        out.flush();
      }
      SyncOptions options =
          SyncOptions.builder(cli.env())
              .kafkaBootstrap(servers.kafkaBootstrap())
              .schemaRegistryUrl(servers.schemaRegistryUrl())
              .timeout(timeout)
              .resendAll(resendAll)
              .progress(
                  p -> {
                    if (terminal.interactive()) {
                      out.print(
                          "\r"
                              + label
                              + "  "
                              + ProgressBar.render(p.recordsSent(), p.recordsTotal(), BAR_WIDTH)
                              + "  "
                              + Numbers.count(p.recordsSent())
                              + "/"
                              + Numbers.count(p.recordsTotal())
                              + " records");
                      out.flush();
                    }
                  })
              .build();
      try {
        SyncResult result = Runstream.sync(dir, options);
        sentTotal += result.recordsSent();
        if (terminal.interactive()) {
          out.print("\r\u001b[2K");
        }
        out.println(label + "  " + ProgressBar.render(1, 1, BAR_WIDTH) + "  " + describe(result));
      } catch (IllegalStateException | IllegalArgumentException | UncheckedIOException e) {
        failed++;
        if (terminal.interactive()) {
          out.print("\r\u001b[2K");
        }
        out.println(label + "  failed: " + e.getMessage());
      }
      out.flush();
    }
    if (runDirs.size() > 1) {
      out.printf(
          "%d run%s, %s records sent%s.%n",
          runDirs.size(),
          runDirs.size() == 1 ? "" : "s",
          Numbers.count(sentTotal),
          failed == 0 ? "" : ", " + failed + " failed (run sync again)");
    }
    out.flush();
    if (failed > 0) {
      throw new CliException(
          failed + " of " + runDirs.size() + " runs could not be synced; see above");
    }
    return 0;
  }

  private List<Path> runDirectories() {
    Set<Path> found = new LinkedHashSet<>();
    for (Path dir : dirs) {
      if (!Files.isDirectory(dir)) {
        throw new CommandLine.ParameterException(spec.commandLine(), dir + " is not a directory");
      }
      if (Files.isRegularFile(dir.resolve("run.json"))) {
        found.add(dir.toAbsolutePath().normalize());
        continue;
      }
      List<Path> children = new ArrayList<>();
      try (Stream<Path> entries = Files.list(dir)) {
        entries
            .filter(p -> Files.isRegularFile(p.resolve("run.json")))
            .sorted()
            .forEach(children::add);
      } catch (IOException e) {
        throw new CliException("cannot read directory " + dir + ": " + e.getMessage(), e);
      }
      if (children.isEmpty()) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            dir
                + " is not a run directory (no run.json) and holds none; a training job writes"
                + " them to ./runstream/run-<id> unless RUNSTREAM_DIR says otherwise");
      }
      children.forEach(c -> found.add(c.toAbsolutePath().normalize()));
    }
    return List.copyOf(found);
  }

  /** {@code name (run id)} from the directory's run.json, or the directory's name. */
  private static String label(Path dir) {
    try {
      JsonNode meta = JSON.readTree(dir.resolve("run.json").toFile());
      String name = meta.path("name").asText("");
      String id = meta.path("runId").asText(dir.getFileName().toString());
      return name.isBlank() ? id : name + " (" + id + ")";
    } catch (IOException e) {
      return dir.getFileName().toString();
    }
  }

  static String describe(SyncResult r) {
    StringBuilder s = new StringBuilder();
    s.append(Numbers.count(r.recordsSent()))
        .append(" records sent (")
        .append(Numbers.count(r.pointsSent()))
        .append(" points), ")
        .append(Numbers.count(r.recordsSkipped()))
        .append(" already in Kafka");
    if (r.kafkaUnanswered()) {
      s.append(" (Kafka could not be asked what it already holds: some may now be there twice)");
    }
    if (r.kafkaUnanswered()) {
      s.append(" (Kafka could not be asked what it already holds: some may now be there twice)");
    }
    if (r.damagedBytes() > 0) {
      s.append(", ").append(Numbers.count(r.damagedBytes())).append(" damaged bytes skipped");
    }
    s.append(
        r.finished() ? "; the run had finished" : "; the run did not finish (crashed or offline)");
    return s.toString();
  }
}
