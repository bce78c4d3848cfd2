package dev.runstream.deploy.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/** Apache Kafka, KRaft single node (broker and controller), from the jars in stack-dist. */
public final class KafkaServer extends ProcessServer {
  private final String classpath;
  private final int port;
  private final int controllerPort;
  private final String marker;
  private final KafkaSecurity security;
  private Admin admin;
  private boolean provisioned;

  /**
   * Creates the server; nothing runs until {@link #start()}.
   *
   * @param dir its directory
   * @param classpath the broker classpath ({@code dir/*})
   * @param port client port
   * @param controllerPort controller port
   * @param marker a string put on the command line so the process can be recognised
   * @param timeouts startup and shutdown timeouts
   */
  public KafkaServer(
      Path dir, String classpath, int port, int controllerPort, String marker, Timeouts timeouts) {
    this(dir, classpath, port, controllerPort, marker, timeouts, null);
  }

  /**
   * Creates the server; nothing runs until {@link #start()}.
   *
   * @param security with SASL/SCRAM and ACLs for these users, or {@code null} for PLAINTEXT
   */
  public KafkaServer(
      Path dir,
      String classpath,
      int port,
      int controllerPort,
      String marker,
      Timeouts timeouts,
      KafkaSecurity security) {
    super("kafka", dir, timeouts);
    this.security = security;
    this.classpath = classpath;
    this.port = port;
    this.controllerPort = controllerPort;
    this.marker = marker;
  }

  /** The users and ACLs of a broker started with SASL, empty for PLAINTEXT. */
  public Optional<KafkaSecurity> security() {
    return Optional.ofNullable(security);
  }

  @Override
  public String address() {
    return "127.0.0.1:" + port;
  }

  private Path propertiesFile() {
    return dir().resolve("server.properties");
  }

  @Override
  protected void prepare() throws InterruptedException {
    Path logDir = dir().resolve("data");
    if (security == null) {
      IoUtil.write(
          propertiesFile(),
          KafkaConfig.render(KafkaConfig.serverProperties(port, controllerPort, logDir)));
    } else {
      KafkaSecurity.writePrivate(
          propertiesFile(),
          KafkaConfig.render(
              KafkaConfig.secureServerProperties(
                  port, controllerPort, logDir, security.adminPassword())));
    }
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return; // formatted by an earlier run on this data directory
    }
    // Same format as `kafka-storage.sh random-uuid` (base64url, 22 chars), without a JVM start.
    String clusterId = Uuid.randomUuid().toString();
    List<String> format = javaCommand();
    format.addAll(List.of("kafka.tools.StorageTool", "format", "-t", clusterId, "-c"));
    format.add(propertiesFile().toString());
    Path argFile = dir().resolve("format.args");
    if (security != null) {
      // The broker logs in to itself as admin with SCRAM before anyone could create the user, so
      // the credential goes into the bootstrap metadata. Through a private java @argfile: a
      // password on the command line would show in ps.
      format.addAll(
          List.of(
              "--add-scram",
              KafkaConfig.SCRAM
                  + "=[name="
                  + KafkaConfig.ADMIN_USER
                  + ",password="
                  + security.adminPassword()
                  + "]"));
      String java = format.get(0);
      KafkaSecurity.writePrivate(
          argFile, String.join("\n", format.subList(1, format.size())) + "\n");
      format = new ArrayList<>(List.of(java, "@" + argFile));
    }
    WatchedProcess formatting =
        WatchedProcess.start(
            "kafka-format",
            format,
            dir(),
            logFile().orElseThrow(),
            Duration.ofSeconds(5),
            environment());
    Duration timeout = timeouts().startup();
    boolean finished = formatting.waitFor(timeout);
    IoUtil.deleteRecursively(argFile);
    if (!finished) {
      formatting.stop(Duration.ofSeconds(5));
      throw failure("storage format did not finish within " + timeout.toSeconds() + " s", null);
    }
    int code = formatting.exitCode().orElse(-1);
    if (code != 0) {
      throw failure("storage format failed with exit code " + code, null);
    }
  }

  private List<String> javaCommand() {
    List<String> cmd = new ArrayList<>();
    cmd.add(JavaRuntime.javaExecutable());
    cmd.add("-Xms128m");
    cmd.add("-Xmx512m");
    cmd.add("-XX:+UseG1GC");
    cmd.add("-Djava.awt.headless=true");
    cmd.add("-Drunstream.stack=" + marker);
    // slf4j-simple is the broker's binding: warnings and errors only, plus the startup line.
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info");
    cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    cmd.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS");
    cmd.add("-cp");
    cmd.add(classpath);
    return cmd;
  }

  @Override
  protected List<String> command() {
    List<String> cmd = javaCommand();
    cmd.add("kafka.Kafka");
    cmd.add(propertiesFile().toString());
    return cmd;
  }

  @Override
  protected void probe() throws Exception {
    // A cheap TCP check first: the admin client logs a warning per refused connection.
    Probes.tcpConnect("127.0.0.1", port);
    if (admin == null) {
      admin =
          Probes.kafkaAdmin(
              address(),
              security == null ? Map.of() : security.clientProperties(KafkaConfig.ADMIN_USER));
    }
    Probes.kafkaDescribeCluster(admin);
    if (security != null && !provisioned) {
      security.provision(admin);
      provisioned = true;
    }
  }

  @Override
  protected void releaseProbe() {
    if (admin != null) {
      admin.close(Duration.ZERO);
      admin = null;
    }
    provisioned = false;
  }
}
