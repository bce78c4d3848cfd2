package dev.runstream.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.clickhouse.client.api.ServerException;
import dev.runstream.schemas.SchemaRegistryException;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class RetryTest {
  private final List<Duration> waits = new ArrayList<>();
  private final AtomicInteger retries = new AtomicInteger();

  private Retry retry(int attempts, double random) {
    return new Retry(
        attempts,
        Duration.ofMillis(100),
        Duration.ofMillis(1000),
        waits::add,
        () -> random,
        retries::incrementAndGet);
  }

  @Test
  void shouldRetryRetryableFailuresUntilSuccess() throws Exception {
    AtomicInteger calls = new AtomicInteger();

    retry(5, 0.0)
        .run(
            "op",
            () -> {
              if (calls.incrementAndGet() < 3) {
                throw new ConnectException("refused");
              }
            });

    assertThat(calls).hasValue(3);
    assertThat(retries).hasValue(2);
    assertThat(waits).containsExactly(Duration.ofMillis(50), Duration.ofMillis(100));
  }

  @Test
  void shouldStopAfterMaxAttemptsAndRethrowTheLastFailure() {
    AtomicInteger calls = new AtomicInteger();

    assertThatThrownBy(
            () ->
                retry(3, 1.0)
                    .run(
                        "op",
                        () -> {
                          throw new IOException("down " + calls.incrementAndGet());
                        }))
        .hasMessage("down 3");
    assertThat(waits).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
  }

  @Test
  void shouldNotRetryWhatIsNotRetryable() {
    AtomicInteger calls = new AtomicInteger();

    assertThatThrownBy(
            () ->
                retry(5, 0.5)
                    .run(
                        "op",
                        () -> {
                          calls.incrementAndGet();
                          throw new IllegalArgumentException("bad data");
                        }))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(calls).hasValue(1);
    assertThat(waits).isEmpty();
  }

  @Test
  void shouldGrowBackoffExponentiallyUpToTheCapWithJitter() {
    Retry noJitter = retry(10, 1.0);
    assertThat(noJitter.backoff(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(noJitter.backoff(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(noJitter.backoff(4)).isEqualTo(Duration.ofMillis(800));
    assertThat(noJitter.backoff(5)).isEqualTo(Duration.ofMillis(1000));
    assertThat(noJitter.backoff(60)).isEqualTo(Duration.ofMillis(1000));
    assertThat(retry(10, 0.0).backoff(4)).isEqualTo(Duration.ofMillis(400));
    assertThat(retry(10, 0.5).backoff(4)).isEqualTo(Duration.ofMillis(600));
  }

  @Test
  void shouldClassifyServerAndNetworkTroubleAsRetry() {
    assertThat(ErrorClassifier.classify(new ConnectException("refused")))
        .isEqualTo(ErrorClassifier.Action.RETRY);
    assertThat(ErrorClassifier.classify(new RuntimeException(new IOException("reset"))))
        .isEqualTo(ErrorClassifier.Action.RETRY);
    assertThat(ErrorClassifier.classify(new ServerException(241, "memory", 500, "q")))
        .isEqualTo(ErrorClassifier.Action.RETRY);
    assertThat(ErrorClassifier.classify(new ServerException(252, "too many parts", 500, "q")))
        .isEqualTo(ErrorClassifier.Action.RETRY);
    assertThat(ErrorClassifier.classify(new ServerException(0, "bad gateway", 503, "q")))
        .isEqualTo(ErrorClassifier.Action.RETRY);
    assertThat(
            ErrorClassifier.classify(new org.apache.kafka.common.errors.TimeoutException("slow")))
        .isEqualTo(ErrorClassifier.Action.RETRY);
  }

  @Test
  void shouldClassifyDataProblemsAsDeadLetter() {
    assertThat(ErrorClassifier.classify(new ServerException(53, "type mismatch", 500, "q")))
        .isEqualTo(ErrorClassifier.Action.DEAD_LETTER);
    assertThat(ErrorClassifier.classify(new IllegalArgumentException("names and values")))
        .isEqualTo(ErrorClassifier.Action.DEAD_LETTER);
    // A truncated record fails with an EOFException inside; it is still the record's fault.
    assertThat(
            ErrorClassifier.classify(
                new SerializationException("not valid", new java.io.EOFException())))
        .isEqualTo(ErrorClassifier.Action.DEAD_LETTER);
  }

  @Test
  void shouldClassifyRegistryFailuresByStatus() {
    assertThat(
            ErrorClassifier.classify(
                new SerializationException(
                    "x", new SchemaRegistryException("unreachable", -1, new ConnectException()))))
        .isEqualTo(ErrorClassifier.Action.RETRY);
    assertThat(
            ErrorClassifier.classify(
                new SerializationException("x", new SchemaRegistryException("busy", 503))))
        .isEqualTo(ErrorClassifier.Action.RETRY);
    assertThat(
            ErrorClassifier.classify(
                new SerializationException("x", new SchemaRegistryException("no such id", 404))))
        .isEqualTo(ErrorClassifier.Action.DEAD_LETTER);
  }
}
