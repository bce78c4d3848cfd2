package dev.runstream.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How much the programs in this jar log and in what form, as slf4j-simple system properties.
 *
 * <p>Two styles. The server programs ({@code runstream up}, and {@code SinkMain} and {@code
 * StreamProcessor} in the image) log for an operator: date, thread and logger name; their default
 * is {@code simplelogger.properties} in this jar, equal to {@link #server server(NORMAL)}. The
 * other commands talk to a person at a terminal and print what matters themselves: by default only
 * warnings are logged (the Kafka clients' only when they fail), no thread, short names; {@code
 * --verbose} adds runstream's progress and debug messages and the libraries' warnings.
 *
 * <p>The Kafka producer's {@code Sender} and {@code TransactionManager} log every retried error
 * ({@code CONCURRENT_TRANSACTIONS}, {@code OUT_OF_ORDER_SEQUENCE_NUMBER}, ...) at WARN, also when
 * the retry succeeds; a retry that fails reaches our code as an exception, which logs it. So those
 * two stay at ERROR unless {@code --verbose}.
 *
 * <p>slf4j-simple reads its format once, when the first logger is made, and a logger's level when
 * that logger is made; {@link #apply} therefore runs after the command line is parsed and before
 * any command runs.
 */
final class CliLogging {
  private static final String PREFIX = "org.slf4j.simpleLogger.";
  private static final String SENDER = "org.apache.kafka.clients.producer.internals.Sender";
  private static final String TRANSACTIONS =
      "org.apache.kafka.clients.producer.internals.TransactionManager";

  /** What {@code --quiet} and {@code --verbose} choose. */
  enum Verbosity {
    QUIET,
    NORMAL,
    VERBOSE
  }

  private CliLogging() {}

  /** The properties of a command a person watches. */
  static Map<String, String> console(Verbosity verbosity) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put(PREFIX + "showDateTime", "true");
    p.put(PREFIX + "dateTimeFormat", "HH:mm:ss.SSS");
    p.put(PREFIX + "showThreadName", "false");
    p.put(PREFIX + "showLogName", "false");
    p.put(PREFIX + "showShortLogName", "true");
    switch (verbosity) {
      case QUIET -> levels(p, "error", "error", "error", "error", "error", "error");
      case NORMAL -> levels(p, "warn", "warn", "error", "error", "error", "error");
      case VERBOSE -> levels(p, "info", "debug", "debug", "warn", "warn", "warn");
    }
    return p;
  }

  /** The properties of a server program: date, thread and logger name on every line. */
  static Map<String, String> server(Verbosity verbosity) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put(PREFIX + "showDateTime", "true");
    p.put(PREFIX + "dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
    p.put(PREFIX + "showThreadName", "true");
    p.put(PREFIX + "showLogName", "true");
    p.put(PREFIX + "showShortLogName", "false");
    switch (verbosity) {
      case QUIET -> levels(p, "error", "error", "error", "error", "error", "error");
      case NORMAL -> levels(p, "info", "info", "warn", "warn", "warn", "error");
      case VERBOSE -> levels(p, "info", "debug", "debug", "info", "info", "info");
    }
    return p;
  }

  /**
   * Sets every level key, so that a more specific key from {@code simplelogger.properties} never
   * wins over the chosen verbosity.
   */
  private static void levels(
      Map<String, String> p,
      String others,
      String runstream,
      String sdk,
      String clients,
      String kafka,
      String kafkaRetries) {
    p.put(PREFIX + "defaultLogLevel", others);
    p.put(PREFIX + "log.dev.runstream", runstream);
    // The SDK's warnings (Kafka slow to answer, records spilled to disk and replayed) are for a
    // training job's log; a command that uses the SDK (demo, sync) reports what failed itself.
    p.put(PREFIX + "log.dev.runstream.sdk", sdk);
    p.put(PREFIX + "log.org.apache.kafka", kafka);
    p.put(PREFIX + "log." + SENDER, kafkaRetries);
    p.put(PREFIX + "log." + TRANSACTIONS, kafkaRetries);
    // The CLI reports a ClickHouse failure itself (server, address, what to do).
    p.put(PREFIX + "log.com.clickhouse", clients);
    p.put(PREFIX + "log.org.apache.avro", clients);
  }

  /** Sets the properties in this JVM; loggers made from now on follow them. */
  static void apply(Map<String, String> properties) {
    properties.forEach(System::setProperty);
  }
}
