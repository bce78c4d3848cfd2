package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.runstream.query.internal.Tables;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class StallWatchTest {
  private static final Duration THRESHOLD = Duration.ofSeconds(10);

  private final AtomicLong now = new AtomicLong(1_000);
  private final List<String> events = new ArrayList<>();
  private final StallWatch.Listener listener =
      new StallWatch.Listener() {
        @Override
        public void stalled(String table, Duration waiting) {
          events.add("stalled " + table + " " + waiting.toSeconds() + "s");
        }

        @Override
        public void recovered(String table, Duration stalled) {
          events.add("recovered " + table + " " + stalled.toSeconds() + "s");
        }
      };

  /** A writer whose inserts fail with {@code failure} while it is set, and succeed after. */
  private static final class Scripted implements TableWriter {
    Exception failure;
    int inserts;

    @Override
    public void insert(String table, byte[] rowBinary, int rows) throws Exception {
      inserts++;
      if (failure != null) {
        throw failure;
      }
    }
  }

  private StallWatch watch(TableWriter writer) {
    return new StallWatch(writer, THRESHOLD, now::get, listener);
  }

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  @Timeout(10)
  void shouldWarnOnceWhileAWriteBlocksAndSayWhenItIsAnswered() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    StallWatch watch =
        watch(
            (table, bytes, rows) -> {
              entered.countDown();
              assertThat(release.await(5, TimeUnit.SECONDS)).isTrue();
            });
    CompletableFuture<Void> write =
        CompletableFuture.runAsync(
            () -> {
              try {
                watch.insert(Tables.METRICS, new byte[0], 1);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();

    advance(THRESHOLD.minusSeconds(1));
    watch.check();
    assertThat(events).as("not yet past the threshold").isEmpty();
    advance(Duration.ofSeconds(1));
    watch.check();
    advance(Duration.ofSeconds(50));
    watch.check();
    assertThat(events).containsExactly("stalled metrics 10s");
    assertThat(watch.stalling()).isTrue();

    release.countDown();
    write.get(5, TimeUnit.SECONDS);
    assertThat(events).containsExactly("stalled metrics 10s", "recovered metrics 60s");
    assertThat(watch.stalling()).isFalse();
  }

  @Test
  void shouldCountRetriedFailuresAndBackoffsAsOneStall() throws Exception {
    Scripted writer = new Scripted();
    StallWatch watch = watch(writer);
    writer.failure = new UncheckedIOException(new ConnectException("Connection refused"));

    for (int attempt = 0; attempt < 4; attempt++) {
      assertThatThrownBy(() -> watch.insert(Tables.RUNS, new byte[0], 1)).isSameAs(writer.failure);
      advance(Duration.ofSeconds(4)); // the backoff before the next attempt
      watch.check();
    }
    writer.failure = null;
    watch.insert(Tables.RUNS, new byte[0], 1);
    watch.check();

    assertThat(writer.inserts).isEqualTo(5);
    assertThat(events).containsExactly("stalled runs 12s", "recovered runs 16s");
  }

  @Test
  void shouldSayNothingAboutWritesAnsweredWithinTheThreshold() throws Exception {
    Scripted writer = new Scripted();
    StallWatch watch = watch(writer);
    writer.failure = new UncheckedIOException(new ConnectException("Connection refused"));
    assertThatThrownBy(() -> watch.insert(Tables.RUNS, new byte[0], 1)).isSameAs(writer.failure);
    advance(THRESHOLD.minusSeconds(1));
    watch.check();
    writer.failure = null;
    watch.insert(Tables.RUNS, new byte[0], 1);
    // Idle afterwards: a sink with nothing to write is not stalled, however long it waits.
    advance(Duration.ofMinutes(5));
    watch.check();

    assertThat(events).isEmpty();
    assertThat(watch.stalling()).isFalse();
  }

  @Test
  void shouldEndTheStallWhenClickHouseRejectsTheDataSinceThatIsAnAnswer() throws Exception {
    Scripted writer = new Scripted();
    StallWatch watch = watch(writer);
    writer.failure = new UncheckedIOException(new ConnectException("Connection refused"));
    assertThatThrownBy(() -> watch.insert(Tables.ALERTS, new byte[0], 1)).isSameAs(writer.failure);
    advance(THRESHOLD);
    watch.check();
    writer.failure = new IllegalArgumentException("Cannot parse input");
    assertThat(ErrorClassifier.classify(writer.failure))
        .isEqualTo(ErrorClassifier.Action.DEAD_LETTER);
    assertThatThrownBy(() -> watch.insert(Tables.ALERTS, new byte[0], 1)).isSameAs(writer.failure);

    assertThat(events).containsExactly("stalled alerts 10s", "recovered alerts 10s");
    assertThat(watch.stalling()).isFalse();
  }

  @Test
  void shouldWatchRollupWritesAndReadsToo() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    TableWriter slowRollups =
        new TableWriter() {
          @Override
          public void insert(String table, byte[] rowBinary, int rows) {}

          @Override
          public void refreshRollups(java.util.Map<Rollups.Series, Rollups.StepRange> touched)
              throws Exception {
            assertThat(release.await(5, TimeUnit.SECONDS)).isTrue();
          }
        };
    StallWatch watch = watch(slowRollups);
    CompletableFuture<Void> refresh =
        CompletableFuture.runAsync(
            () -> {
              try {
                watch.refreshRollups(java.util.Map.of());
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    await().atMost(Duration.ofSeconds(5)).until(watch::stalling);
    advance(THRESHOLD);
    watch.check();
    release.countDown();
    refresh.get(5, TimeUnit.SECONDS);

    assertThat(events)
        .containsExactly("stalled metric_rollups 10s", "recovered metric_rollups 10s");
  }

  @Test
  void shouldRefuseAThresholdThatIsNotPositive() {
    assertThatThrownBy(() -> new StallWatch(new Scripted(), Duration.ZERO, now::get, listener))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("threshold must be positive");
  }
}
