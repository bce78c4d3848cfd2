package dev.runstream.deploy.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Apicurio Registry (Quarkus runner jar), serving the Confluent-compatible API at {@code
 * /apis/ccompat/v7}. Its storage is the app's own H2 database, kept in a file in its directory
 * instead of the default in memory: the schema ids in Kafka's records must still resolve after a
 * restart on the same data directory.
 */
public final class ApicurioServer extends ProcessServer {
  /** Path of the Confluent-compatible API under the server root. */
  public static final String CCOMPAT_PATH = "/apis/ccompat/v7";

  private final Path runnerJar;
  private final int port;
  private final String marker;

  /**
   * Creates the server; nothing runs until {@link #start()}.
   *
   * @param dir its directory
   * @param runnerJar the {@code *-runner.jar}
   * @param port HTTP port
   * @param marker a string put on the command line so the process can be recognised
   * @param timeouts startup and shutdown timeouts
   */
  public ApicurioServer(Path dir, Path runnerJar, int port, String marker, Timeouts timeouts) {
    super("schema-registry", dir, timeouts);
    this.runnerJar = runnerJar;
    this.port = port;
    this.marker = marker;
  }

  @Override
  public String address() {
    return "http://127.0.0.1:" + port + CCOMPAT_PATH;
  }

  @Override
  protected void prepare() {
    IoUtil.mkdirs(dir().resolve("tmp"));
  }

  @Override
  protected List<String> command() {
    List<String> cmd = new ArrayList<>();
    cmd.add(JavaRuntime.javaExecutable());
    cmd.add("-Xms64m");
    cmd.add("-Xmx384m");
    cmd.add("-Djava.awt.headless=true");
    cmd.add("-Drunstream.stack=" + marker);
    cmd.add("-Djava.io.tmpdir=" + dir().resolve("tmp"));
    cmd.add("-Dquarkus.http.port=" + port);
    cmd.add("-Dquarkus.http.host=127.0.0.1");
    // Nothing but HTTP on our port: no TLS listener, no separate management port.
    cmd.add("-Dquarkus.http.insecure-requests=enabled");
    cmd.add("-Dquarkus.management.enabled=false");
    cmd.add("-jar");
    cmd.add(runnerJar.toString());
    return cmd;
  }

  @Override
  protected Map<String, String> environment() {
    // The variable the app's own configuration reads for its datasource (default jdbc:h2:mem:).
    return Map.of(
        "REGISTRY_DATASOURCE_URL", "jdbc:h2:file:" + dir().resolve("data").resolve("registry"));
  }

  @Override
  protected void probe() throws Exception {
    Probes.httpGet200(address() + "/subjects");
  }
}
