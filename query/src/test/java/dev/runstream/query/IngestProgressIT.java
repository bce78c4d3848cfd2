package dev.runstream.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runstream.deploy.LocalStack;
import dev.runstream.query.internal.ClickHouseHttp;
import dev.runstream.query.internal.Tables;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** {@link IngestProgress} against a real ClickHouse holding rows as the sink writes them. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class IngestProgressIT {
  private static final String DB = "ingest_progress_it";
  private LocalStack stack;
  private ClickHouseHttp http;
  private RunQueries queries;

  @BeforeAll
  void start() {
    stack = LocalStack.builder().withKafka(false).withSchemaRegistry(false).start();
    http = new ClickHouseHttp(ClickHouseHttp.newClient(stack.clickhouseUrl(), "default", ""), true);
    http.execute("DROP DATABASE IF EXISTS " + DB);
    http.execute("CREATE DATABASE " + DB);
    http.execute(String.format(Tables.CREATE_METRICS, DB, Tables.METRICS));
    http.execute(String.format(Tables.CREATE_METRIC_SUMMARIES, DB));
    List<String> points = new ArrayList<>();
    for (int step = 0; step < 10; step++) {
      points.add(point("t1", "p", "a", "m0", step));
      points.add(point("t1", "p", "a", "m1", step));
    }
    for (int step = 0; step < 5; step++) {
      points.add(point("t1", "p", "b", "m0", step));
    }
    points.add(point("t2", "p", "c", "m0", 42)); // another team's run in a project of that name
    points.add(point("t1", "other", "d", "m0", 7));
    http.execute("INSERT INTO " + DB + ".metrics VALUES " + String.join(", ", points));
    // Two summaries of a/m0: the newer (updated 2) counts; b/m0 has one.
    http.execute(
        "INSERT INTO "
            + DB
            + ".metric_summaries VALUES "
            + summary("a", "m0", 1, 6)
            + ", "
            + summary("a", "m0", 2, 10)
            + ", "
            + summary("a", "m1", 2, 10)
            + ", "
            + summary("b", "m0", 1, 5));
    queries = RunQueries.connect(stack.clickhouseUrl(), "default", "", DB);
  }

  @AfterAll
  void stop() {
    if (queries != null) {
      queries.close();
    }
    if (http != null) {
      http.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void latestStepsAreTheHighestStepOfTheMetricPerRunFromTheStepAskedFor() {
    IngestProgress ingest = queries.ingest();
    assertThat(ingest.latestSteps("p", "m0", 0)).isEqualTo(Map.of("a", 9L, "b", 4L, "c", 42L));
    assertThat(ingest.latestSteps("p", "m0", 5)).isEqualTo(Map.of("a", 9L, "c", 42L));
    assertThat(ingest.latestSteps("p", "m1", 0)).isEqualTo(Map.of("a", 9L));
    assertThat(ingest.latestSteps("p", "m9", 0)).isEmpty();
    assertThat(queries.forTeam("t1").ingest().latestSteps("p", "m0", 0))
        .isEqualTo(Map.of("a", 9L, "b", 4L));
  }

  @Test
  void pointsCountTheProjectsRowsAndSummarisedPointsTheLatestSummaries() {
    IngestProgress ingest = queries.ingest();
    assertThat(ingest.points("p")).isEqualTo(26);
    assertThat(queries.forTeam("t1").ingest().points("p")).isEqualTo(25);
    assertThat(ingest.points("other")).isEqualTo(1);
    assertThat(ingest.points("none")).isZero();
    assertThat(ingest.summarisedPoints("p")).isEqualTo(25);
    assertThat(ingest.summarisedPoints("none")).isZero();
  }

  @Test
  void theWholeTableGivesTheSameAnswersWhenMergesOutrunThePartReads() {
    IngestProgress whole = queries.ingest().withPartAttempts(0);
    assertThat(whole.latestSteps("p", "m0", 0)).isEqualTo(Map.of("a", 9L, "b", 4L, "c", 42L));
    assertThat(whole.latestSteps("p", "m0", 5)).isEqualTo(Map.of("a", 9L, "c", 42L));
    assertThat(whole.latestSteps("p", "m9", 0)).isEmpty();
    assertThat(queries.forTeam("t1").ingest().withPartAttempts(0).points("p")).isEqualTo(25);
    assertThat(whole.points("p")).isEqualTo(26);
    assertThat(whole.points("none")).isZero();
  }

  @Test
  void answersFollowTheInsertsAndMergesAfterEarlierQuestions() {
    IngestProgress ingest = queries.ingest();
    insert(point("t1", "grow", "a", "m0", 0), point("t1", "grow", "a", "m0", 1));
    assertThat(ingest.points("grow")).isEqualTo(2);
    assertThat(ingest.latestSteps("grow", "m0", 0)).isEqualTo(Map.of("a", 1L));

    insert(point("t1", "grow", "a", "m0", 2), point("t1", "grow", "b", "m0", 0));
    assertThat(ingest.points("grow")).isEqualTo(4);
    assertThat(ingest.latestSteps("grow", "m0", 0)).isEqualTo(Map.of("a", 2L, "b", 0L));
    assertThat(ingest.latestSteps("grow", "m0", 1)).isEqualTo(Map.of("a", 2L));

    // One part replaces all: what it holds is read again, nothing counted twice.
    http.execute("OPTIMIZE TABLE " + DB + ".metrics FINAL");
    assertThat(ingest.points("grow")).isEqualTo(4);
    assertThat(ingest.latestSteps("grow", "m0", 0)).isEqualTo(Map.of("a", 2L, "b", 0L));

    // A step written again counts until ClickHouse merges it away, as before.
    insert(point("t1", "grow", "a", "m0", 2));
    assertThat(ingest.points("grow")).isEqualTo(5);
    assertThat(ingest.latestSteps("grow", "m0", 0)).isEqualTo(Map.of("a", 2L, "b", 0L));
    assertThat(ingest.points("p")).isEqualTo(26);
  }

  @Test
  void aTableCreatedAgainIsReadAgainThoughItsPartsReuseTheNames() {
    String db = DB + "_again";
    http.execute("DROP DATABASE IF EXISTS " + db);
    http.execute("CREATE DATABASE " + db);
    try (RunQueries again = RunQueries.connect(stack.clickhouseUrl(), "default", "", db)) {
      IngestProgress ingest = again.ingest();
      http.execute(String.format(Tables.CREATE_METRICS, db, Tables.METRICS));
      http.execute("INSERT INTO " + db + ".metrics VALUES " + point("t1", "p", "a", "m0", 0));
      assertThat(ingest.points("p")).isEqualTo(1);
      assertThat(ingest.latestSteps("p", "m0", 0)).isEqualTo(Map.of("a", 0L));

      http.execute("DROP TABLE " + db + ".metrics");
      http.execute(String.format(Tables.CREATE_METRICS, db, Tables.METRICS));
      http.execute(
          "INSERT INTO "
              + db
              + ".metrics VALUES "
              + String.join(", ", point("t1", "p", "a", "m0", 0), point("t1", "p", "a", "m0", 7)));
      assertThat(ingest.points("p")).isEqualTo(2);
      assertThat(ingest.latestSteps("p", "m0", 0)).isEqualTo(Map.of("a", 7L));
    } finally {
      http.execute("DROP DATABASE IF EXISTS " + db);
    }
  }

  private void insert(String... points) {
    http.execute("INSERT INTO " + DB + ".metrics VALUES " + String.join(", ", points));
  }

  private static String point(String team, String project, String run, String metric, int step) {
    return String.format(
        "('%s', '%s', '%s', '%s', %d, toDateTime(1700000000), %d.5, %d)",
        team, project, run, metric, step, step, step + 1);
  }

  private static String summary(String run, String metric, long updated, long count) {
    return String.format(
        "('t1', 'p', '%s', '%s', %d, %d, %d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
        run, metric, updated, count, count);
  }
}
