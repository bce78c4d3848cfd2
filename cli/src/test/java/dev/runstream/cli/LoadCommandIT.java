package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runstream load} as a user runs it with nothing running: its own stack, processor and sink,
 * both baselines (raw producer, ClickHouse's Kafka engine), then a short low-rate load whose every
 * point must reach every stage, with log-to-queryable latencies measured. Rates and latencies are
 * printed, never asserted.
 */
@Timeout(240)
class LoadCommandIT {
  private static final Pattern TOTALS =
      Pattern.compile(
          "Totals: logged ([0-9,]+) points; accepted ([0-9,]+), in Kafka ([0-9,]+), counted by"
              + " the processor ([0-9,]+), written by the sink ([0-9,]+); ([0-9,]+) latencies"
              + " measured\\.");

  @Test
  void everyLoggedPointReachesEveryStageAndLatenciesAreMeasured(@TempDir Path dir) {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.keySet().removeAll(List.of("KAFKA_BOOTSTRAP", "SCHEMA_REGISTRY_URL", "CLICKHOUSE_URL"));
    env.put("RUNSTREAM_HOME", dir.resolve("home").toString()); // no `runstream up` there

    CliRunner.Result load =
        CliRunner.run(
            env,
            "load",
            "--runs",
            "4",
            "--metrics",
            "5",
            "--rate",
            "2000",
            "--duration",
            "15s",
            "--warmup",
            "3s",
            "--baseline");

    assertThat(load.exit()).as("%s", load).isZero();
    String out = load.out();
    Matcher totals = TOTALS.matcher(out);
    assertThat(totals.find()).as("the totals line in:\n%s", out).isTrue();
    long logged = number(totals.group(1));
    assertThat(logged).as("points logged in 15 s at 2,000/s").isGreaterThan(1_000);
    assertThat(number(totals.group(2))).as("accepted").isEqualTo(logged);
    assertThat(number(totals.group(3))).as("in Kafka").isEqualTo(logged);
    assertThat(number(totals.group(4))).as("counted by the processor").isEqualTo(logged);
    assertThat(number(totals.group(5))).as("written by the sink").isEqualTo(logged);
    assertThat(number(totals.group(6))).as("latencies measured").isPositive();
    assertThat(out)
        .containsPattern(
            "(?m)^Warm-up done: accepted [0-9,]+, written [0-9,]+ points/s; caught up after"
                + " [0-9.]+ s\\.$")
        .containsPattern("(?m)^\\s+t \\(s\\)\\s+target/s\\s+accepted/s\\s+in Kafka/s")
        .containsPattern("(?m)^\\s+\\d+\\s+2,000\\s+[0-9,]+\\s+[0-9,]+\\s+[0-9,]+\\s+[0-9,]+")
        .containsPattern(
            "(?m)^Level 1: target 2,000 points/s; accepted [0-9,]+, in Kafka [0-9,]+, counted"
                + " [0-9,]+, written [0-9,]+ points/s; log-to-queryable p50 [0-9.]+ s, p99"
                + " [0-9.]+ s \\([0-9,]+ timed steps\\)")
        .containsPattern(
            "(?m)^  raw producer: [0-9,]+ records of 5 points in \\S+: [0-9,]+ points/s$")
        .containsPattern(
            "(?m)^  ClickHouse Kafka engine \\+ materialized view: [0-9,]+ rows .*: [0-9,]+ rows/s$")
        .containsPattern(
            "(?m)^  Level 1 / raw producer: accepted [0-9.]+, in Kafka [0-9.]+, counted [0-9.]+,"
                + " written [0-9.]+; written / Kafka engine [0-9.]+$")
        .containsPattern("(?m)^Sustainable rate .*: (none of the rates tried|[0-9,]+ points/s)$");
  }

  private static long number(String digits) {
    return Long.parseLong(digits.replace(",", ""));
  }
}
