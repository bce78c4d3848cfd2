package dev.runstream.cli;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Prints the alerts of the demo's runs as the processor raises them, from Kafka. */
final class DemoAlertTail implements AutoCloseable {
  private final AlertFollower follower;
  private final Thread thread;
  private boolean closed;

  DemoAlertTail(Servers servers, Map<String, String> runs, DemoProgress progress, Instant from) {
    this.follower =
        new AlertFollower(servers.kafkaClients(), servers.schemaRegistryUrl(), servers.topics());
    this.thread =
        new Thread(
            () ->
                follower.follow(
                    from,
                    alert -> {
                      String name = runs.get(alert.runId());
                      if (name != null) {
                        progress.note(
                            String.format(
                                "  alert  %-8s  %-10s  %s: %s",
                                alert.resolved() ? "RESOLVED" : alert.severity(),
                                alert.rule(),
                                name,
                                alert.message()));
                      }
                    },
                    problem -> progress.note("  (" + problem + ")")),
            "runstream-demo-alerts");
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops the tail and waits for it (at most 10 s). Idempotent; not thread-safe. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    follower.wakeup();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!thread.isAlive()) {
      follower.close(); // the consumer is single-threaded: only once its thread is done
    }
  }
}
