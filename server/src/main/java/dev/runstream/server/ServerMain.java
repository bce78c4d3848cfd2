package dev.runstream.server;

import dev.runstream.schemas.config.ConfigProperties;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a {@link WandbServer} configured from the environment ({@link ServerConfig#fromEnv}) until
 * the process is stopped; what {@code runstream server} will call.
 */
public final class ServerMain {
  private ServerMain() {}

  /**
   * Starts the server and blocks until the JVM shuts down.
   *
   * @param args none
   */
  public static void main(String[] args) throws InterruptedException {
    WandbServer server =
        WandbServer.start(ServerConfig.fromEnv(ConfigProperties.fromEnvironment()));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "runstream-server-shutdown"));
    stopped.await();
  }
}
