package dev.runstream.deploy.internal;

import dev.runstream.deploy.LocalStackException;
import dev.runstream.deploy.ManagedServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A server named by an environment variable: waited for, never started or stopped. */
public final class ExternalServer implements ManagedServer {
  private static final Logger LOG = LoggerFactory.getLogger(ExternalServer.class);

  /** How the server is checked. */
  public enum Kind {
    /** Admin describeCluster. */
    KAFKA,
    /** GET {@code <url>/subjects}. */
    SCHEMA_REGISTRY,
    /** GET {@code <url>/?query=SELECT 1}. */
    CLICKHOUSE
  }

  private final String name;
  private final Kind kind;
  private final String variable;
  private final String address;
  private final Duration timeout;

  /**
   * Creates the handle; {@link #awaitReady} checks it.
   *
   * @param name short name
   * @param kind how to probe
   * @param variable the environment variable it came from
   * @param address the variable's value
   * @param timeout how long {@link #awaitReady} waits
   */
  public ExternalServer(String name, Kind kind, String variable, String address, Duration timeout) {
    this.name = name;
    this.kind = kind;
    this.variable = variable;
    this.address = address;
    this.timeout = timeout;
  }

  /**
   * Blocks until the server answers.
   *
   * @throws LocalStackException naming the variable if it does not answer in time
   */
  public void awaitReady() {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    Admin admin = kind == Kind.KAFKA ? Probes.kafkaAdmin(address) : null;
    try {
      while (true) {
        try {
          probe(admin);
          LOG.info("{}: using {}={}", name, variable, address);
          return;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new LocalStackException(name + ": waiting for " + variable + " interrupted", e);
        } catch (Exception e) {
          last = e;
        }
        if (System.nanoTime() - deadline > 0) {
          throw new LocalStackException(
              name
                  + ": "
                  + variable
                  + "="
                  + address
                  + " did not answer within "
                  + timeout.toSeconds()
                  + " s (last probe: "
                  + last
                  + "); start that server, or unset "
                  + variable
                  + " to have one started locally",
              last);
        }
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new LocalStackException(name + ": waiting for " + variable + " interrupted", e);
        }
      }
    } finally {
      if (admin != null) {
        admin.close(Duration.ZERO);
      }
    }
  }

  private void probe(Admin admin) throws Exception {
    switch (kind) {
      case KAFKA -> Probes.kafkaDescribeCluster(admin);
      case SCHEMA_REGISTRY -> Probes.httpGet200(address + "/subjects");
      case CLICKHOUSE -> Probes.httpGet200(address + "/?query=SELECT%201");
      default -> throw new IllegalStateException(kind.toString());
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String address() {
    return address;
  }

  @Override
  public boolean isExternal() {
    return true;
  }

  @Override
  public boolean isRunning() {
    return true;
  }

  @Override
  public void start() {
    throw new UnsupportedOperationException(
        name + " is external (" + variable + "), it cannot be started here");
  }

  @Override
  public void stop() {
    throw new UnsupportedOperationException(
        name + " is external (" + variable + "), it cannot be stopped here");
  }

  @Override
  public Optional<Path> logFile() {
    return Optional.empty();
  }

  @Override
  public String describe() {
    // Never print a password given in the URL.
    String shown = address.replaceFirst("//[^/@]*@", "//***@");
    return String.format("%-15s %-40s reused from %s", name, shown, variable);
  }

  @Override
  public String toString() {
    return name + "@" + address;
  }
}
