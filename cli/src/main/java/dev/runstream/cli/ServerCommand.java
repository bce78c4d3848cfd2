package dev.runstream.cli;

import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.Settings;
import dev.runstream.server.ServerConfig;
import dev.runstream.server.WandbServer;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code runstream server}: the W&amp;B-compatible server alone, against Kafka and a registry that
 * already run, until stopped.
 */
@Command(
    name = "server",
    description = {
      "Runs the W&B-compatible server alone, against Kafka and a schema registry that already run"
          + " (a processor and a sink elsewhere turn its runs into ClickHouse rows), until"
          + " Ctrl-C. A training script written for wandb then logs into runstream unchanged"
          + " with WANDB_BASE_URL=http://<this server>:<port> WANDB_API_KEY=<a key of the keys"
          + " file>.",
      "Settings, from the environment: RUNSTREAM_KAFKA_BOOTSTRAP, RUNSTREAM_SCHEMA_REGISTRY_URL"
          + " and RUNSTREAM_SERVER_API_KEYS_FILE (key=team lines) are required;"
          + " RUNSTREAM_SERVER_PORT (default 8080), RUNSTREAM_SERVER_HOST (default 0.0.0.0),"
          + " RUNSTREAM_SERVER_DATA_DIR, RUNSTREAM_SERVER_MAX_BODY_BYTES, RUNSTREAM_TOPIC_PREFIX."
          + " See server/README.md. (`runstream up` runs one itself.)"
    },
    footer = {
      "",
      "Examples:",
      "  runstream server",
      "  RUNSTREAM_SERVER_API_KEYS_FILE=/etc/runstream/keys runstream server",
      "  RUNSTREAM_SERVER_PORT=9090 runstream server"
    },
    mixinStandardHelpOptions = true)
final class ServerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @ParentCommand RunstreamCli cli;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    ServerConfig config;
    try {
      config = ServerConfig.fromEnv(ConfigProperties.of(cli.env()));
    } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
      // A setting is wrong: like a wrong argument, the user fixes the command and runs it again.
      PrintWriter err = spec.commandLine().getErr();
      err.println("runstream: cannot start the server: " + e.getMessage());
      err.println("(`runstream server --help` lists its settings)");
      err.flush();
      return 2;
    }
    WandbServer server;
    try {
      server = WandbServer.start(config);
    } catch (RuntimeException e) {
      if (StackServer.isBindFailure(e)) {
        throw StackServer.portTaken(
            config.port(),
            ConfigProperties.of(cli.env()).nameSet(Settings.SERVER_PORT).isPresent());
      }
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    server.close();
                  } finally {
                    stopped.countDown();
                  }
                },
                "runstream-server-stop"));
    String url = StackServer.url(config, server);
    out.printf(
        """
        runstream server is up (pid %d):
          W&B server       %s%s
          kafka            %s
          schema registry  %s
          data             %s
          API keys         %d, from %s
        Run a wandb script unchanged with:
          export WANDB_BASE_URL=%s
          export WANDB_API_KEY=<a key of %s>
        Ctrl-C stops it.
        """,
        ProcessHandle.current().pid(),
        url,
        config.host().equals(ServerConfig.DEFAULT_HOST) ? " (every interface)" : "",
        config.kafkaBootstrap(),
        config.schemaRegistryUrl(),
        config.dataDir().toAbsolutePath(),
        config.apiKeys().size(),
        ConfigProperties.of(cli.env()).getPath(Settings.SERVER_API_KEYS_FILE).orElseThrow(),
        url,
        Settings.SERVER_API_KEYS_FILE.name());
    out.flush();
    stopped.await();
    return 0;
  }
}
