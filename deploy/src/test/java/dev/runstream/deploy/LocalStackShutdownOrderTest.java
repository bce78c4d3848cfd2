package dev.runstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The order in which a stack shuts down: what uses the servers closes before any server stops,
 * whether {@code close()}, the JVM shutdown hook, or both at once trigger it. Servers here are
 * in-memory stand-ins that record their stop; no process is started.
 */
@Timeout(60)
class LocalStackShutdownOrderTest {
  @TempDir Path dataDir;

  private final List<String> events = new CopyOnWriteArrayList<>();

  private LocalStack stack() {
    return new LocalStack(
        dataDir, false, new Recording("kafka"), null, new Recording("clickhouse"));
  }

  @Test
  void closeClosesDependentsLastRegisteredFirstThenStopsTheServers() {
    LocalStack stack = stack();
    stack.closeFirst(() -> events.add("close sink"));
    stack.closeFirst(() -> events.add("close processor"));

    stack.close();

    assertThat(events.subList(0, 2)).containsExactly("close processor", "close sink");
    assertThat(events.subList(2, 4)).containsExactlyInAnyOrder("stop kafka", "stop clickhouse");
    assertThat(dataDir).doesNotExist();
  }

  @Test
  void theShutdownHookAlsoClosesDependentsBeforeStoppingServers() {
    LocalStack stack = stack();
    stack.closeFirst(() -> events.add("close pipeline"));

    stack.closeFromHook();

    assertThat(events).hasSize(3).first().isEqualTo("close pipeline");
  }

  @Test
  void aDependentThatFailsToCloseDoesNotKeepTheServersRunning() {
    LocalStack stack = stack();
    stack.closeFirst(() -> events.add("close first-registered"));
    stack.closeFirst(
        () -> {
          throw new IllegalStateException("broken");
        });

    stack.close();

    assertThat(events)
        .containsExactlyInAnyOrder("close first-registered", "stop kafka", "stop clickhouse");
    assertThat(events.get(0)).isEqualTo("close first-registered");
  }

  @Test
  void closeDuringTheShutdownHookWaitsUntilEverythingStoppedAndStopsNothingEarly()
      throws Exception {
    LocalStack stack = stack();
    CountDownLatch dependentClosing = new CountDownLatch(1);
    CountDownLatch releaseDependent = new CountDownLatch(1);
    stack.closeFirst(
        () -> {
          dependentClosing.countDown();
          assertThat(releaseDependent.await(30, TimeUnit.SECONDS)).isTrue();
          events.add("close pipeline");
        });

    CompletableFuture<Void> hook = CompletableFuture.runAsync(stack::closeFromHook);
    assertThat(dependentClosing.await(30, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> close =
        CompletableFuture.runAsync(
            () -> {
              stack.close();
              events.add("close returned");
            });

    // While the dependent is still closing, neither caller may return and no server may stop.
    assertThat(close).isNotDone();
    assertThat(hook).isNotDone();
    assertThat(events).isEmpty();
    releaseDependent.countDown();
    close.get(30, TimeUnit.SECONDS);
    hook.get(30, TimeUnit.SECONDS);

    assertThat(events).hasSize(4);
    assertThat(events.get(0)).isEqualTo("close pipeline");
    assertThat(events.subList(1, 3)).containsExactlyInAnyOrder("stop kafka", "stop clickhouse");
    assertThat(events.get(3)).isEqualTo("close returned");
  }

  @Test
  void aDependentRegisteredAfterCloseIsClosedAtOnce() {
    LocalStack stack = stack();
    stack.close();
    events.clear();

    stack.closeFirst(() -> events.add("close late"));

    assertThat(events).containsExactly("close late");
  }

  /** A started, non-external server that only records its stop. */
  private final class Recording implements ManagedServer {
    private final String name;

    Recording(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String address() {
      return "127.0.0.1:1";
    }

    @Override
    public boolean isExternal() {
      return false;
    }

    @Override
    public boolean isRunning() {
      return true;
    }

    @Override
    public void start() {}

    @Override
    public void stop() {
      events.add("stop " + name);
    }

    @Override
    public Optional<Path> logFile() {
      return Optional.empty();
    }

    @Override
    public String describe() {
      return name;
    }
  }
}
