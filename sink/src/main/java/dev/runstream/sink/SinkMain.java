package dev.runstream.sink;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link ClickHouseSink} configured from the environment ({@link SinkConfig#fromEnv()})
 * until the JVM is asked to stop (SIGTERM, Ctrl-C), then flushes, commits and exits.
 */
public final class SinkMain {
  private static final Logger log = LoggerFactory.getLogger(SinkMain.class);

  private SinkMain() {}

  /**
   * Starts the sink and blocks until it stops. Exits with status 2 when the configuration is
   * invalid (the message names the variable), 1 when the sink fails.
   */
  public static void main(String[] args) throws InterruptedException {
    SinkConfig config;
    try {
      config = SinkConfig.fromEnv();
    } catch (IllegalArgumentException e) {
      log.error("invalid configuration: {}", e.getMessage());
      System.exit(2);
      return;
    }
    ClickHouseSink sink = ClickHouseSink.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("stop requested; flushing the pending batch");
                  sink.close();
                  stopped.countDown();
                },
                "runstream-sink-shutdown"));
    // The worker is a daemon: keep the JVM alive until it stops, by signal or by failure.
    while (sink.isRunning()) {
      sink.awaitTermination(Duration.ofSeconds(1));
    }
    if (sink.failure().isPresent()) {
      log.error("sink failed; exiting");
      sink.close();
      System.exit(1);
    }
    stopped.await();
  }
}
