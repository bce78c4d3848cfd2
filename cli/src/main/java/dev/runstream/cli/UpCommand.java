package dev.runstream.cli;

import dev.runstream.deploy.LocalStack;
import dev.runstream.schemas.config.ConfigProperties;
import dev.runstream.schemas.config.Settings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code runstream up}: the local stack with the processor and the sink, until stopped. */
@Command(
    name = "up",
    description = {
      "Starts the local stack (Kafka, schema registry, ClickHouse), the stream processor, the"
          + " sink and the W&B-compatible server, prints where everything listens, and runs until"
          + " Ctrl-C (or `runstream down` with --detach). The processor and the sink read their"
          + " usual environment variables (RUNSTREAM_CRASHED_AFTER_MS, RUNSTREAM_WEBHOOK_URLS,"
          + " RUNSTREAM_DETECTORS_FILE, ...).",
      "The server listens on 127.0.0.1, port RUNSTREAM_SERVER_PORT (default 8080), and accepts"
          + " the key in RUNSTREAM_SERVER_API_KEYS_FILE, else one made for the team default on the"
          + " first `up` and kept with the data; it prints the two lines that point a wandb"
          + " script at it.",
      "The runs live in a data directory that outlives the stack: `up` again finds them;"
          + " only `runstream down --delete-data` removes it."
    },
    footer = {
      "",
      "Examples:",
      "  runstream up",
      "  runstream up --detach && runstream demo && runstream down",
      "  runstream up --data-dir /data/runstream",
      "  runstream up --secure --kafka-teams team-a,team-b"
    },
    mixinStandardHelpOptions = true)
final class UpCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @ParentCommand RunstreamCli cli;

  @Option(names = "--detach", description = "Run in the background; `runstream down` stops it.")
  boolean detach;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Where Kafka, the registry, ClickHouse and the processor keep their data (default:"
              + " $RUNSTREAM_DATA_DIR, else data in $RUNSTREAM_HOME, ~/.runstream/data).")
  Path dataDir;

  @Option(
      names = "--secure",
      description =
          "Kafka requires a login (SASL/SCRAM-SHA-512) and authorises by ACL: per team of"
              + " --kafka-teams a user for its training jobs and a service user for its own"
              + " processor and sink, each allowed only on names that start with <team>.; prints"
              + " the Kafka client properties file (mode 600) each team uses with"
              + " RUNSTREAM_KAFKA_PROPERTIES_FILE. Needs a data directory that was secure from the"
              + " start.")
  boolean secure;

  @Option(
      names = "--kafka-teams",
      split = ",",
      paramLabel = "TEAM",
      defaultValue = "default",
      description =
          "With --secure, the teams (letters, digits, '_', '-'; default: ${DEFAULT-VALUE}).")
  List<String> kafkaTeams;

  @Option(
      names = "--timeout",
      defaultValue = "PT3M",
      description =
          "With --detach, how long to wait for the stack to come up (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Map<String, String> env = cli.env();
    Optional<StackState> running = StackState.readLive(env);
    if (running.isPresent()) {
      spec.commandLine()
          .getErr()
          .printf(
              "runstream: a stack is already up (pid %d); `runstream down` stops it%n",
              running.get().pid());
      return 1;
    }
    return detach ? startDetached(out, env) : runInForeground(out, env);
  }

  private int runInForeground(PrintWriter out, Map<String, String> env) throws Exception {
    out.println("Starting the local stack, the stream processor and the sink...");
    out.flush();
    ConfigProperties config = ConfigProperties.of(env);
    Path data = StackState.dataDir(env, dataDir);
    LocalStack stack;
    try {
      LocalStack.Builder builder = LocalStack.builder().dataDir(data).keepDataDir(true);
      if (secure) {
        builder.secureKafka(kafkaTeams).clickhouseTeams(kafkaTeams);
      }
      stack = builder.start();
    } catch (IllegalArgumentException e) {
      throw new CliException(
          "cannot keep the stack's data in "
              + data
              + ": "
              + e.getMessage()
              + "; choose another with --data-dir or "
              + StackState.ENV_DATA_DIR,
          e);
    }
    StackServer server;
    // The stack's own processor, sink and server log in as its super user; each team's run as
    // the team's service user.
    Map<String, String> stackEnv = new HashMap<>(env);
    if (secure) {
      stackEnv.put(Settings.KAFKA_PROPERTIES_FILE.name(), stack.kafkaAdminProperties().toString());
      stackEnv.putAll(TeamPipelines.clickHouseWriter(stack, null));
      config = ConfigProperties.of(stackEnv);
    }
    try {
      // The stack closes the pipeline before it stops Kafka, on close() and on Ctrl-C alike: the
      // processor's last transaction and the sink's last commit need the broker. The server, a
      // client of them all, is registered last so that it stops first.
      stack.closeFirst(
          Pipeline.start(
              stack,
              Pipeline.processorConfig(stack, config, stack.dataDir().resolve("processor-state")),
              Pipeline.sinkConfig(stack, config)));
      for (String team : stack.kafkaTeams()) {
        stack.closeFirst(TeamPipelines.start(stack, team, env));
      }
      server =
          stack.closeFirst(
              StackServer.start(
                  stackEnv,
                  stack.kafkaBootstrap(),
                  stack.schemaRegistryUrl(),
                  stack.clickhouseUrl(),
                  stack.dataDir(),
                  false));
    } catch (RuntimeException e) {
      stack.close();
      throw e;
    }
    long pid = ProcessHandle.current().pid();
    StackState state =
        new StackState(
            pid,
            new Endpoints(stack.kafkaBootstrap(), stack.schemaRegistryUrl(), stack.clickhouseUrl()),
            config.getString(Settings.UP_LOG, ""),
            stack.dataDir().toString(),
            server.url());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    stack.close(); // waits for the stack's own hook if that began first
                  } finally {
                    StackState.delete(env, pid);
                    stopped.countDown();
                  }
                },
                "runstream-up-stop"));
    state.write(env);
    out.print(banner(state, env));
    out.print(teamLines(stack.dataDir(), stack.kafkaTeams()));
    out.println("Ctrl-C stops everything.");
    out.flush();
    stopped.await();
    return 0;
  }

  private int startDetached(PrintWriter out, Map<String, String> env)
      throws IOException, InterruptedException {
    Path home = StackState.home(env);
    Files.createDirectories(home);
    Path log = home.resolve("up.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(
            List.of(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                RunstreamCli.class.getName(),
                "up",
                "--data-dir",
                StackState.dataDir(env, dataDir).toString()));
    if (secure) {
      command.addAll(List.of("--secure", "--kafka-teams", String.join(",", kafkaTeams)));
    }
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.environment().putAll(env);
    builder.environment().put(Settings.UP_LOG.name(), log.toString());
    out.println("Starting runstream in the background (log " + log + ")...");
    out.flush();
    Process process = builder.start();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<StackState> state = StackState.readLive(env);
      if (state.isPresent() && state.get().pid() == process.pid()) {
        out.print(banner(state.get(), env));
        if (secure) {
          out.print(teamLines(Path.of(state.get().dataDir()), kafkaTeams));
        }
        out.println("`runstream down` stops it.");
        return 0;
      }
      if (!process.isAlive()) {
        spec.commandLine()
            .getErr()
            .printf(
                "runstream: the background stack exited with code %d; its log %s ends with:%n%s%n",
                process.exitValue(), log, tail(log));
        return 1;
      }
      Thread.sleep(200); // polling interval of a condition with a deadline
    }
    process.destroy();
    spec.commandLine()
        .getErr()
        .printf("runstream: the stack did not come up within %s; see %s%n", timeout, log);
    return 1;
  }

  /** What {@code up} prints once everything runs; {@code env} tells which API key to show. */
  static String banner(StackState state, Map<String, String> env) {
    Endpoints e = state.endpoints();
    List<String> wandb = StackServer.wandbExports(env, state.serverUrl(), Path.of(state.dataDir()));
    return String.format(
        """
        runstream is up (pid %d):
          kafka            %s
          schema registry  %s
          clickhouse       %s
          W&B server       %s
          web page         %s/web/ (any user name, the API key below as password)
          processor, sink  running
          data             %s
                           (kept by `runstream down`; `runstream down --delete-data` removes it)
        Point a training job at it:
          export KAFKA_BOOTSTRAP=%s
          export SCHEMA_REGISTRY_URL=%s
        Already using wandb? Run the script unchanged with:
          %s
          %s
        Then try: runstream demo, runstream runs list --project demo, runstream alerts --follow
        """,
        state.pid(),
        e.kafkaBootstrap(),
        e.schemaRegistryUrl(),
        e.clickhouseUrl(),
        state.serverUrl(),
        state.serverUrl(),
        state.dataDir().isEmpty() ? "(not known)" : state.dataDir(),
        e.kafkaBootstrap(),
        e.schemaRegistryUrl(),
        wandb.get(0),
        wandb.get(1));
  }

  /**
   * What a secure stack prints per team: the Kafka client properties file and topic prefix its
   * training jobs use; empty for a stack without authentication.
   */
  static String teamLines(Path dataDir, List<String> teams) {
    if (teams.isEmpty()) {
      return "";
    }
    StringBuilder sb =
        new StringBuilder(
            "Kafka requires a login (SASL/SCRAM-SHA-512) and allows each team only its own"
                + " topics; a team's training jobs use:\n");
    for (String team : teams) {
      sb.append(
          String.format(
              "  %s: export %s=%s %s=%s%n",
              team,
              Settings.KAFKA_PROPERTIES_FILE.name(),
              LocalStack.kafkaTeamProperties(dataDir, team),
              Settings.TOPIC_PREFIX.name(),
              LocalStack.kafkaTeamPrefix(team)));
    }
    sb.append(
        "  (the team's processor and sink run here as <team>.service; the demo and the W&B"
            + " server use the stack's own topics)\n");
    return sb.toString();
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }
}
