package dev.runstream.deploy.internal;

import java.nio.file.Path;
import java.util.List;

/** ClickHouse from the {@code clickhouse-server} executable with a generated configuration. */
public final class ClickHouseServer extends ProcessServer {
  private final int httpPort;
  private final int tcpPort;
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
    super("clickhouse", dir, timeouts);
    this.httpPort = httpPort;
    this.tcpPort = tcpPort;
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
    IoUtil.write(dir().resolve("users.xml"), ClickHouseConfig.usersXml());
    IoUtil.write(dir().resolve("config.xml"), ClickHouseConfig.configXml(httpPort, tcpPort, dir()));
  }

  @Override
  protected List<String> command() {
    return List.of(executable.toString(), "--config-file=" + dir().resolve("config.xml"));
  }

  @Override
  protected void probe() throws Exception {
    Probes.httpGet200(address() + "/?query=SELECT%20version()");
  }
}
