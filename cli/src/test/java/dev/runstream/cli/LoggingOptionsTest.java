package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code --quiet} and {@code --verbose}: which levels and which style each command gets. */
class LoggingOptionsTest {
  private static final String KAFKA = "org.slf4j.simpleLogger.log.org.apache.kafka";
  private static final String RUNSTREAM = "org.slf4j.simpleLogger.log.dev.runstream";
  private static final String DEFAULT = "org.slf4j.simpleLogger.defaultLogLevel";
  private static final String THREAD = "org.slf4j.simpleLogger.showThreadName";

  @TempDir Path home;
  private final Map<String, String> saved = new HashMap<>();

  @BeforeEach
  void saveProperties() {
    CliLogging.console(CliLogging.Verbosity.NORMAL)
        .keySet()
        .forEach(k -> saved.put(k, System.getProperty(k)));
  }

  @AfterEach
  void restoreProperties() {
    saved.forEach(
        (k, v) -> {
          if (v == null) {
            System.clearProperty(k);
          } else {
            System.setProperty(k, v);
          }
        });
  }

  private Map<String, String> env() {
    return Map.of("RUNSTREAM_HOME", home.toString()); // no `runstream up` here
  }

  private Map<String, String> logging(String... args) {
    return RunstreamCli.logging(RunstreamCli.newCommandLine(env()).parseArgs(args));
  }

  @Test
  void aCommandLogsWarningsOnlyAndKafkasOnlyWhenTheyFail() {
    Map<String, String> p = logging("demo");
    assertThat(p)
        .containsEntry(KAFKA, "error")
        .containsEntry(RUNSTREAM, "warn")
        .containsEntry("org.slf4j.simpleLogger.log.dev.runstream.sdk", "error")
        .containsEntry(DEFAULT, "warn")
        .containsEntry(THREAD, "false");
  }

  @Test
  void quietLogsErrorsOnlyWhereverTheFlagStands() {
    assertThat(logging("demo", "--quiet"))
        .containsEntry(DEFAULT, "error")
        .containsEntry(RUNSTREAM, "error")
        .containsEntry(KAFKA, "error");
    assertThat(logging("--quiet", "runs", "list")).containsEntry(RUNSTREAM, "error");
  }

  @Test
  void verboseShowsDebugAndTheLibrariesWarnings() {
    Map<String, String> p = logging("runs", "list", "--verbose");
    assertThat(p)
        .containsEntry(RUNSTREAM, "debug")
        .containsEntry(DEFAULT, "info")
        .containsEntry(KAFKA, "warn")
        .containsEntry(
            "org.slf4j.simpleLogger.log.org.apache.kafka.clients.producer.internals.Sender",
            "warn");
  }

  @Test
  void upInTheForegroundLogsLikeAServerAndUpDetachedLikeACommand() {
    assertThat(logging("up"))
        .isEqualTo(CliLogging.server(CliLogging.Verbosity.NORMAL))
        .containsEntry(THREAD, "true")
        .containsEntry("org.slf4j.simpleLogger.showLogName", "true");
    assertThat(logging("up", "--quiet"))
        .containsEntry(DEFAULT, "error")
        .containsEntry(THREAD, "true");
    assertThat(logging("up", "--detach"))
        .isEqualTo(CliLogging.console(CliLogging.Verbosity.NORMAL));
  }

  @Test
  void theServerLogsLikeAServer() {
    assertThat(logging("server")).isEqualTo(CliLogging.server(CliLogging.Verbosity.NORMAL));
    assertThat(logging("server", "--verbose"))
        .isEqualTo(CliLogging.server(CliLogging.Verbosity.VERBOSE));
  }

  @Test
  void bothFlagsAreAnArgumentError() {
    CliRunner.Result result = CliRunner.run(env(), "down", "--quiet", "--verbose");
    assertThat(result.exit()).as(result.toString()).isEqualTo(2);
    assertThat(result.err()).contains("--verbose and --quiet exclude each other");
  }

  @Test
  void loggersMadeAfterACommandRanFollowItsFlags() {
    CliRunner.Result quiet = CliRunner.run(env(), "down", "--quiet");
    assertThat(quiet.exit()).as(quiet.toString()).isZero();
    Logger ours = LoggerFactory.getLogger("dev.runstream.cli.quiet" + UUID.randomUUID());
    assertThat(ours.isInfoEnabled()).isFalse();
    assertThat(ours.isErrorEnabled()).isTrue();

    CliRunner.Result normal = CliRunner.run(env(), "down");
    assertThat(normal.exit()).as(normal.toString()).isZero();
    Logger normalOurs = LoggerFactory.getLogger("dev.runstream.cli.n" + UUID.randomUUID());
    assertThat(normalOurs.isInfoEnabled()).isFalse();
    assertThat(normalOurs.isWarnEnabled()).isTrue();
    Logger kafka = LoggerFactory.getLogger("org.apache.kafka.clients.n" + UUID.randomUUID());
    assertThat(kafka.isWarnEnabled()).isFalse();
    assertThat(kafka.isErrorEnabled()).isTrue();

    CliRunner.Result verbose = CliRunner.run(env(), "--verbose", "down");
    assertThat(verbose.exit()).as(verbose.toString()).isZero();
    assertThat(LoggerFactory.getLogger("dev.runstream.cli.v" + UUID.randomUUID()).isDebugEnabled())
        .isTrue();
  }

  @Test
  void theServersDefaultFileIsTheServerStyle() throws IOException {
    Properties file = new Properties();
    try (InputStream in = RunstreamCli.class.getResourceAsStream("/simplelogger.properties")) {
      assertThat(in).as("simplelogger.properties of the cli jar").isNotNull();
      file.load(in);
    }
    Map<String, String> fromFile = new HashMap<>();
    file.stringPropertyNames().forEach(k -> fromFile.put(k, file.getProperty(k)));
    assertThat(fromFile).isEqualTo(CliLogging.server(CliLogging.Verbosity.NORMAL));
  }
}
