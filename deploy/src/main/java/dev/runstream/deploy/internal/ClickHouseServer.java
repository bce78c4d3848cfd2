package dev.runstream.deploy.internal;

import dev.runstream.deploy.ClickHouseTeams;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** ClickHouse from the {@code clickhouse-server} executable with a generated configuration. */
public final class ClickHouseServer extends ProcessServer {
  private final int httpPort;
  private final int tcpPort;
  private final ClickHouseTeams teams;
  private Path executable;

  /**
   * Creates the server; nothing runs until {@link #start()}.
   *
   * @param dir its directory; the path is also what recognises the process
   * @param httpPort HTTP interface port
   * @param tcpPort native protocol port
   * @param timeouts startup and shutdown timeouts
   */
  public ClickHouseServer(Path dir, int httpPort, int tcpPort, Timeouts timeouts) {
    this(dir, httpPort, tcpPort, timeouts, null);
  }

  /**
   * Creates the server with the users of {@code teams} instead of a password-less {@code default}
   * user; nothing runs until {@link #start()}.
   *
   * @param dir its directory; the path is also what recognises the process
   * @param httpPort HTTP interface port
   * @param tcpPort native protocol port
   * @param timeouts startup and shutdown timeouts
   * @param teams the writer and team users, or null for user {@code default} alone
   */
  public ClickHouseServer(
      Path dir, int httpPort, int tcpPort, Timeouts timeouts, ClickHouseTeams teams) {
    super("clickhouse", dir, timeouts);
    this.httpPort = httpPort;
    this.tcpPort = tcpPort;
    this.teams = teams;
  }

  @Override
  public String address() {
    return "http://127.0.0.1:" + httpPort;
  }

  /**
   * Returns the native protocol port.
   *
   * @return the TCP port
   */
  public int tcpPort() {
    return tcpPort;
  }

  @Override
  protected void prepare() throws InterruptedException {
    executable = ClickHouseBinary.findOrInstall(dir().resolve("install.log"));
    for (String sub : List.of("data", "tmp", "user_files", "format_schemas")) {
      IoUtil.mkdirs(dir().resolve(sub));
    }
    if (teams == null) {
      IoUtil.write(dir().resolve("users.xml"), ClickHouseConfig.usersXml());
    } else {
      // It holds the users' passwords in clear text (18.16 knows no hashed form).
      ClickHouseTeams.writePrivate(dir().resolve("users.xml"), ClickHouseConfig.usersXml(teams));
    }
    IoUtil.write(dir().resolve("config.xml"), ClickHouseConfig.configXml(httpPort, tcpPort, dir()));
  }

  @Override
  protected List<String> command() {
    return List.of(executable.toString(), "--config-file=" + dir().resolve("config.xml"));
  }

  @Override
  protected void probe() throws Exception {
    String url = address() + "/?query=SELECT%20version()";
    if (teams == null) {
      Probes.httpGet200(url);
    } else {
      Probes.httpGet200(
          url,
          Map.of(
              "X-ClickHouse-User", teams.writer().user(),
              "X-ClickHouse-Key", teams.writer().password()));
    }
  }
}
