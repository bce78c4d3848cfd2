package dev.runstream.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.runstream.processor.internal.MetricAggregates;
import dev.runstream.schemas.avro.Goal;
import dev.runstream.schemas.avro.MetricAggregate;
import dev.runstream.schemas.avro.MetricBatch;
import dev.runstream.schemas.avro.MetricDefined;
import dev.runstream.schemas.avro.RunResumed;
import dev.runstream.schemas.avro.RunSummary;
import dev.runstream.schemas.avro.SummaryUpdated;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AggregatesTest {
  private final TopologyHarness h = new TopologyHarness(MonitorSettings.defaults());

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void shouldInferTheGoalFromTheNameAndKeepTheBestByIt() {
    h.start("r1");
    h.log("r1", 0, Map.of("val_loss", 0.9, "val/acc", 0.5, "lr", 0.1, "accumulated_tokens", 1.0));
    h.log("r1", 1, Map.of("val_loss", 0.4, "val/acc", 0.7, "lr", 0.01, "accumulated_tokens", 2.0));
    h.log("r1", 2, Map.of("val_loss", 0.6, "val/acc", 0.6, "lr", 0.001, "accumulated_tokens", 3.0));

    Map<String, MetricAggregate> m = h.latestSummary("r1").getMetrics();
    assertThat(m.get("val_loss").getGoal()).isEqualTo(Goal.MINIMIZE);
    assertThat(m.get("val_loss").getBest()).isEqualTo(0.4);
    assertThat(m.get("val_loss").getBestStep()).isEqualTo(1);
    assertThat(m.get("val/acc").getGoal()).isEqualTo(Goal.MAXIMIZE);
    assertThat(m.get("val/acc").getBest()).isEqualTo(0.7);
    assertThat(m.get("lr").getGoal()).isEqualTo(Goal.NONE);
    assertThat(m.get("lr").getBest()).isNull();
    assertThat(m.get("accumulated_tokens").getGoal())
        .as("acc as a word, not a prefix")
        .isEqualTo(Goal.NONE);
  }

  @Test
  void shouldInferGoalsFromTheWordsOfCommonMetricNames() {
    for (String name :
        List.of("loss", "val_loss", "train/loss", "trainLoss", "nll_loss2", "error_rate")) {
      assertThat(MetricAggregates.inferGoal(name)).as(name).isEqualTo(Goal.MINIMIZE);
    }
    for (String name :
        List.of("acc", "val/acc", "acc1", "top5_acc", "valAcc", "accuracy", "f1", "eval.auc")) {
      assertThat(MetricAggregates.inferGoal(name)).as(name).isEqualTo(Goal.MAXIMIZE);
    }
    for (String name : List.of("lr", "accumulated_tokens", "epoch", "success", "f10", "wer")) {
      assertThat(MetricAggregates.inferGoal(name)).as(name).isEqualTo(Goal.NONE);
    }
    assertThat(MetricAggregates.inferGoal("loss_vs_acc"))
        .as("a loss in the name wins")
        .isEqualTo(Goal.MINIMIZE);
  }

  @Test
  void shouldTakeTheBestAgainWhenTheGoalIsDefinedAfterThePoints() {
    h.start("r1");
    h.log("r1", 0, "score", 3.0);
    h.log("r1", 1, "score", 5.0);
    h.log("r1", 2, "score", 1.0);
    h.event("r1", MetricDefined.newBuilder().setName("score").setGoal(Goal.MAXIMIZE).build());

    MetricAggregate score = h.stored("r1").getMetrics().get("score");
    assertThat(score.getGoal()).isEqualTo(Goal.MAXIMIZE);
    assertThat(score.getBest()).isEqualTo(5.0);
    assertThat(score.getBestStep()).isEqualTo(1);
  }

  @Test
  void shouldKeepTheExponentiallyWeightedMeanAndVarianceOfFiniteValues() {
    h.start("r1");
    double[] xs = {1.0, 2.0, Double.NaN, 4.0};
    for (int i = 0; i < xs.length; i++) {
      h.log("r1", i, "x", xs[i]);
    }
    double a = MonitorSettings.DEFAULT_EMA_ALPHA;
    double ema = 1.0;
    double var = 0.0;
    for (double x : new double[] {2.0, 4.0}) {
      double diff = x - ema;
      ema += a * diff;
      var = (1 - a) * (var + a * diff * diff);
    }
    MetricAggregate x = h.stored("r1").getMetrics().get("x");
    assertThat(x.getEma()).isCloseTo(ema, within(1e-12));
    assertThat(x.getEmVar()).isCloseTo(var, within(1e-12));
    assertThat(x.getNanCount()).isEqualTo(1);
    assertThat(x.getFiniteCount()).isEqualTo(3);
  }

  @Test
  void shouldIgnoreAnExactReplayOfABatch() {
    h.start("r1");
    MetricBatch first = h.log("r1", 0, Map.of("loss", 1.0));
    MetricBatch second = h.log("r1", 1, Map.of("loss", 0.5));
    h.pipe(first); // the SDK replays its spill
    h.pipe(second);
    h.pipe(first);

    MetricAggregate loss = h.stored("r1").getMetrics().get("loss");
    assertThat(loss.getCount()).isEqualTo(2);
    assertThat(loss.getSum()).isEqualTo(1.5);
  }

  @Test
  void shouldApplyBatchesThatArriveOutOfOrderButOnlyOnce() {
    h.start("r1");
    MetricBatch early = h.log("r1", 0, Map.of("loss", 1.0));
    for (int i = 1; i < 50; i++) {
      h.log("r1", i, "loss", 1.0);
    }
    MetricBatch late = MetricBatch.newBuilder(early).setSequence(500).setStep(500).build();
    MetricBatch gap = MetricBatch.newBuilder(early).setSequence(400).setStep(400).build();
    h.pipe(late);
    h.pipe(gap); // arrives after a higher sequence: new, so applied
    h.pipe(gap); // and its replay is not

    assertThat(h.stored("r1").getMetrics().get("loss").getCount()).isEqualTo(52);
  }

  @Test
  void shouldCountBatchesOfAResumedRunWhoseSequencesStartAgain() {
    h.start("r1");
    MetricBatch before = h.log("r1", 0, Map.of("loss", 1.0));
    // A process that could not learn where the run left off numbers its records from 0 again.
    h.event("r1", RunResumed.newBuilder().setFromStep(1).build(), 0);
    h.pipe(MetricBatch.newBuilder(before).setStep(1).setSequence(1).build());

    assertThat(h.stored("r1").getMetrics().get("loss").getCount()).isEqualTo(2);
  }

  @Test
  void shouldStillIgnoreReplaysAfterAResumeThatContinuesTheSequences() {
    h.start("r1");
    MetricBatch first = h.log("r1", 0, Map.of("loss", 1.0));
    h.log("r1", 1, Map.of("loss", 0.5));
    h.event("r1", RunResumed.newBuilder().setFromStep(2).build()); // sequence 3: continues
    h.pipe(first); // the resumed process re-sends what Kafka had not acknowledged to the old one
    h.log("r1", 2, Map.of("loss", 0.25));

    MetricAggregate loss = h.stored("r1").getMetrics().get("loss");
    assertThat(loss.getCount()).isEqualTo(3);
    assertThat(loss.getSum()).isEqualTo(1.75);
  }

  @Test
  void shouldNeverTakeABatchWithoutASequenceForAReplay() {
    h.start("r1");
    MetricBatch unnumbered =
        MetricBatch.newBuilder()
            .setRunId("r1")
            .setEntity("team")
            .setProject("tinyllm")
            .setStep(0)
            .setTimestampMs(1_000)
            .setNames(java.util.List.of("loss"))
            .setValues(java.util.List.of(1.0))
            .build(); // a producer that does not number its records leaves the default
    h.pipe(unnumbered);
    h.pipe(MetricBatch.newBuilder(unnumbered).setStep(1).build());
    h.pipe(MetricBatch.newBuilder(unnumbered).setStep(2).build());

    assertThat(unnumbered.getSequence()).isNegative();
    assertThat(h.stored("r1").getMetrics().get("loss").getCount()).isEqualTo(3);
  }

  @Test
  void shouldKeepTheRunNameAndTheProgramsSummary() {
    h.start("r1");
    h.event("r1", SummaryUpdated.newBuilder().setSummaryJson("{\"f1\":0.9}").build());
    RunSummary summary = h.latestSummary("r1");
    assertThat(summary.getName()).isEqualTo("name-r1");
    assertThat(summary.getSummaryJson()).isEqualTo("{\"f1\":0.9}");
    assertThat(summary.getLastSeenMs()).isGreaterThanOrEqualTo(0);
  }

  @Test
  void shouldSkipARecordThatCannotBeDeserializedAndKeepGoing() {
    // The dead-letter copy of an undeserializable record is made by the consumer-side handler,
    // which the test driver does not run; ExactlyOnceRestartIT checks it on the real broker.
    h.start("r1");
    h.rawMetrics.pipeInput(
        "r1".getBytes(StandardCharsets.UTF_8), "not avro".getBytes(StandardCharsets.UTF_8));
    h.log("r1", 0, Map.of("loss", 1.0));

    assertThat(h.stored("r1").getMetrics().get("loss").getCount()).isEqualTo(1);
  }

  @Test
  void shouldSendRecordsThatCannotBeAppliedToTheDeadLetterTopicWithTheReason() {
    h.start("r1");
    MetricBatch good = h.log("r1", 0, Map.of("loss", 1.0));
    h.pipe(
        MetricBatch.newBuilder(good)
            .setStep(1)
            .setNames(List.of("loss", "acc"))
            .setValues(List.of(0.5))
            .build());
    h.metrics.pipeInput("r1", MetricBatch.newBuilder(good).setStep(2).setRunId("r2").build());
    h.pipe(
        MetricBatch.newBuilder(good)
            .setStep(3)
            .setNames(List.of("loss", "loss"))
            .setValues(List.of(0.5, 0.4))
            .build());
    h.pipe(MetricBatch.newBuilder(good).setStep(-4).build());
    h.metrics.pipeInput(null, MetricBatch.newBuilder(good).setStep(5).build());
    h.log("r1", 6, Map.of("loss", 0.25));

    MetricAggregate loss = h.stored("r1").getMetrics().get("loss");
    assertThat(loss.getCount()).as("only the two good batches").isEqualTo(2);
    assertThat(h.stored("r1").getMetrics()).doesNotContainKey("acc");
    List<String> reasons = new ArrayList<>();
    for (var dead : h.deadLetters.readRecordsToList()) {
      reasons.add(
          new String(
              dead.headers().lastHeader("__streams.errors.message").value(),
              StandardCharsets.UTF_8));
      assertThat(dead.headers().lastHeader("__streams.errors.exception").value())
          .asString(StandardCharsets.UTF_8)
          .endsWith("RejectedRecordException");
      assertThat(dead.getValue()).as("the original bytes").isNotEmpty();
    }
    assertThat(reasons)
        .containsExactly(
            "metric batch of run r1 at step 1 has 2 names but 1 values",
            "metric batch keyed by run r1 carries another run id: r2",
            "metric batch of run r1 at step 3 names loss twice",
            "metric batch of run r1 has a negative step: -4",
            "record without a key: the key must be the run id");
  }
}
