package dev.runstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * What the command line says before any server is involved: help with examples on every command,
 * argument errors with a message and exit code 2, and a missing or silent server named with its
 * address, where it came from and what to do, with exit code 1.
 */
class CommandLineTest {
  @TempDir Path home;

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("RUNSTREAM_HOME", home.toString()); // no `runstream up` here
    return env;
  }

  @Test
  void everyCommandHasHelpWithExamples() {
    List<CommandLine> commands = new ArrayList<>();
    collect(RunstreamCli.newCommandLine(env()), commands);
    assertThat(commands)
        .extracting(CommandLine::getCommandName)
        .contains(
            "up", "down", "server", "demo", "runs", "list", "show", "compare", "config", "sync",
            "alerts");
    for (CommandLine command : commands) {
      if (command.getCommandName().equals("help")) {
        continue;
      }
      String usage = command.getUsageMessage();
      assertThat(usage).as(command.getCommandName()).containsPattern("Examples?:\\n  runstream ");
      assertThat(usage).as(command.getCommandName()).contains("--help");
      // Every example fits on one line of the help, so it can be copied as it is.
      String examples = usage.substring(usage.indexOf("xample"));
      examples
          .lines()
          .skip(1)
          .filter(l -> !l.isBlank())
          .forEach(
              l ->
                  assertThat(l)
                      .as("an example of %s", command.getCommandName())
                      .matches("  (runstream|java|[A-Z_]+=\\S+ runstream) .*"));
    }
    CliRunner.Result help = CliRunner.run(env(), "runs", "compare", "--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out())
        .contains("--png=FILE", "--top=N", "runstream runs compare --project demo");
  }

  private static void collect(CommandLine command, List<CommandLine> into) {
    into.add(command);
    command.getSubcommands().values().forEach(c -> collect(c, into));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "runs list                                      | Missing required option: '--project=PROJECT'",
        "runs list --project p --sort bogus             | --sort: 'bogus' is not a sort key",
        "runs list --project p --sort best.             | --sort: 'best.' is not a sort key",
        "runs list --project p --format xml             | Invalid value for option '--format'",
        "runs list --project p --limit 0                | --limit must be 1 to 10000: 0",
        "runs list --project p --where lr<              | --where: config filter at position 4",
        "runs                                           | say what to do with runs",
        "runs show                                      | Missing required parameter: 'RUN'",
        "runs show r --format csv                       | runs show prints one run, not a table",
        "runs config r --format yaml                    | Invalid value for option '--format'",
        "runs compare                                   | give the runs to compare (ids or names), or --project",
        "runs compare r --tag t                         | --tag, --state and --where select runs of --project",
        "runs compare --project p --top 0               | --top must be 1 to 10000: 0",
        "runs compare --project p --png-size 10x10      | --png-size must be WIDTHxHEIGHT",
        "runs compare --project p --png-size wide       | --png-size must be WIDTHxHEIGHT",
        "sync                                           | Missing required parameter: 'DIR'",
        "sync /no/such/directory                        | /no/such/directory is not a directory",
        "sync . --timeout PT0S                          | --timeout must be positive",
        "alerts --limit 0                               | --limit must be at least 1",
        "demo --steps 10                                | --steps must be at least 200",
        "nonsense                                       | Unmatched argument at index 0: 'nonsense'",
      })
  void argumentErrorsSayWhatIsWrongAndExitWithTwo(String args, String message) {
    CliRunner.Result result = CliRunner.run(env(), args.trim().split("\\s+"));

    assertThat(result.exit()).as("%s", result).isEqualTo(2);
    assertThat(result.err())
        .as("%s", result)
        .contains(message)
        .containsAnyOf("Usage: runstream", "Did you mean");
    assertThat(result.out()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "no Kafka       | RUNSTREAM_KAFKA_BOOTSTRAP",
        "no keys file   | RUNSTREAM_SERVER_API_KEYS_FILE must name a file of key=team lines",
        "short key      | line 2: the wandb client refuses keys shorter than 40",
        "port 70000     | RUNSTREAM_SERVER_PORT",
        "port many      | RUNSTREAM_SERVER_PORT",
      })
  void serverWithAWrongSettingNamesItAndExitsWithTwo(String mistake, String message)
      throws IOException {
    Map<String, String> env = env();
    if (!mistake.equals("no Kafka")) {
      env.put("RUNSTREAM_KAFKA_BOOTSTRAP", "127.0.0.1:" + closedPort());
      env.put("RUNSTREAM_SCHEMA_REGISTRY_URL", "http://127.0.0.1:" + closedPort());
    }
    if (!mistake.equals("no keys file")) {
      Path keys = home.resolve("keys");
      Files.writeString(
          keys,
          "# key=team\n" + (mistake.equals("short key") ? "abc" : "k".repeat(40)) + "=team-a\n");
      env.put("RUNSTREAM_SERVER_API_KEYS_FILE", keys.toString());
    }
    if (mistake.startsWith("port ")) {
      env.put("RUNSTREAM_SERVER_PORT", mistake.substring(5));
    }

    CliRunner.Result result = CliRunner.run(env, "server");

    assertThat(result.exit()).as("%s", result).isEqualTo(2);
    assertThat(result.err())
        .as("%s", result)
        .startsWith("runstream: cannot start the server: ")
        .contains(message)
        .endsWith("(`runstream server --help` lists its settings)\n")
        .doesNotContain("\tat ", "Exception");
    assertThat(result.out()).isEmpty();
  }

  @Test
  void serverOnATakenPortNamesThePortAndItsSetting() throws IOException {
    Map<String, String> env = env();
    env.put("RUNSTREAM_KAFKA_BOOTSTRAP", "127.0.0.1:" + closedPort());
    env.put("RUNSTREAM_SCHEMA_REGISTRY_URL", "http://127.0.0.1:" + closedPort());
    Path keys = home.resolve("keys");
    Files.writeString(keys, "k".repeat(40) + "=team-a\n");
    env.put("RUNSTREAM_SERVER_API_KEYS_FILE", keys.toString());
    env.put("RUNSTREAM_SERVER_HOST", "127.0.0.1");
    env.put("RUNSTREAM_SERVER_DATA_DIR", home.resolve("server").toString());
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      env.put("RUNSTREAM_SERVER_PORT", Integer.toString(taken.getLocalPort()));

      CliRunner.Result result = CliRunner.run(env, "server");

      assertThat(result.exit()).as("%s", result).isEqualTo(1);
      assertThat(result.err())
          .isEqualTo(
              "runstream: port "
                  + taken.getLocalPort()
                  + " of the W&B-compatible server is taken by another program"
                  + " (RUNSTREAM_SERVER_PORT): stop that program, or set RUNSTREAM_SERVER_PORT to"
                  + " a free port\n");
      assertThat(result.out()).isEmpty();
    }
  }

  @Test
  void withoutAnyStackTheCommandsSayHowToStartOne() {
    CliRunner.Result list = CliRunner.run(env(), "runs", "list", "--project", "demo");

    assertThat(list.exit()).isEqualTo(1);
    assertThat(list.err())
        .isEqualTo(
            "runstream: no ClickHouse to talk to: no runstream stack is running and CLICKHOUSE_URL"
                + " is not set. Start the local stack with `runstream up --detach`, or set"
                + " CLICKHOUSE_URL to your server.\n");
  }

  @Test
  void aServerThatDoesNotAnswerIsNamedWithItsAddressAndWhereItCameFrom() throws IOException {
    int closed = closedPort();
    Map<String, String> env = env();
    env.put("CLICKHOUSE_URL", "http://127.0.0.1:" + closed + "/");

    CliRunner.Result alerts = CliRunner.run(env, "alerts");

    assertThat(alerts.exit()).isEqualTo(1);
    assertThat(alerts.err())
        .startsWith(
            "runstream: ClickHouse did not answer at http://127.0.0.1:"
                + closed
                + " (from CLICKHOUSE_URL): ")
        .endsWith("Start that server, or point CLICKHOUSE_URL at one that runs.\n");
  }

  @Test
  void aStackOfRunstreamUpThatDoesNotAnswerIsNamedWithItsPid() throws IOException {
    int closed = closedPort();
    long pid = ProcessHandle.current().pid(); // alive, so the state file counts
    new StackState(
            pid,
            new Endpoints(
                "127.0.0.1:" + closed, "http://127.0.0.1:" + closed, "http://127.0.0.1:" + closed),
            home.resolve("up.log").toString())
        .write(env());

    CliRunner.Result show = CliRunner.run(env(), "runs", "show", "abc");

    assertThat(show.exit()).isEqualTo(1);
    assertThat(show.err())
        .startsWith(
            "runstream: ClickHouse did not answer at http://127.0.0.1:"
                + closed
                + " (from `runstream up`, pid "
                + pid
                + ")")
        .contains("its log: " + home.resolve("up.log"))
        .contains("runstream down && runstream up --detach");
  }

  @Test
  void aClickHouseThatFailsAfterTheFirstCheckIsNamedWithItsAddress() throws IOException {
    // Answers the CLI's first check like ClickHouse with the sink's tables, then either refuses
    // every query as ClickHouse does or drops the connection as a server that died would.
    AtomicBoolean refuse = new AtomicBoolean(true);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          String query =
              exchange.getRequestURI().getRawQuery()
                  + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          if (query.contains("system.tables")) {
            byte[] one = "{\"c\":\"1\"}\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, one.length);
            exchange.getResponseBody().write(one);
          } else if (refuse.get()) {
            byte[] error =
                "Code: 47, e.displayText() = DB::Exception: Unknown identifier: best_value"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("X-ClickHouse-Exception-Code", "47");
            exchange.sendResponseHeaders(500, error.length);
            exchange.getResponseBody().write(error);
          }
          exchange.close();
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort();
      Map<String, String> env = env();
      env.put("CLICKHOUSE_URL", url);

      CliRunner.Result refused = CliRunner.run(env, "runs", "list", "--project", "demo");

      assertThat(refused.exit()).as("%s", refused).isEqualTo(1);
      assertThat(refused.err())
          .as("%s", refused)
          .startsWith("runstream: ClickHouse at " + url + " refused a query (code 47): ")
          .contains("`runstream up`")
          .doesNotContain("com.clickhouse", "\tat ");

      refuse.set(false);
      CliRunner.Result dropped = CliRunner.run(env, "runs", "list", "--project", "demo");

      assertThat(dropped.exit()).as("%s", dropped).isEqualTo(1);
      assertThat(dropped.err())
          .as("%s", dropped)
          .startsWith(
              "runstream: ClickHouse did not answer at "
                  + url
                  + " (from CLICKHOUSE_URL): it stopped answering during the command (")
          .endsWith("Start that server, or point CLICKHOUSE_URL at one that runs.\n");
    } finally {
      server.stop(0);
    }
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
