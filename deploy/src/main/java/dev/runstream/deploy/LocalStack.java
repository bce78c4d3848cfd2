package dev.runstream.deploy;

import dev.runstream.deploy.internal.ApicurioServer;
import dev.runstream.deploy.internal.ClickHouseServer;
import dev.runstream.deploy.internal.EnvOverrides;
import dev.runstream.deploy.internal.ExternalServer;
import dev.runstream.deploy.internal.IoUtil;
import dev.runstream.deploy.internal.KafkaSecurity;
import dev.runstream.deploy.internal.KafkaServer;
import dev.runstream.deploy.internal.Ports;
import dev.runstream.deploy.internal.ProcessServer;
import dev.runstream.deploy.internal.StackDist;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real servers runstream needs — a Kafka broker, a Confluent-compatible schema registry and
 * ClickHouse — started as local child processes for development, tests and the CLI.
 *
 * <pre>{@code
 * try (LocalStack stack = LocalStack.start()) {
 *   String bootstrap = stack.kafkaBootstrap();      // 127.0.0.1:<port>
 *   String registry = stack.schemaRegistryUrl();    // http://127.0.0.1:<port>/apis/ccompat/v7
 *   String clickhouse = stack.clickhouseUrl();      // http://127.0.0.1:<port>
 * }
 * }</pre>
 *
 * <p>What it runs:
 *
 * <ul>
 *   <li>Kafka 4.x in KRaft mode, one combined broker and controller, from the broker jars the build
 *       copied to {@code deploy/target/stack-dist/kafka-libs}; auto-created topics get 4
 *       partitions.
 *   <li>Apicurio Registry 2.6 with in-memory storage (schemas are lost when it restarts).
 *   <li>ClickHouse from the {@code clickhouse-server} executable; when it is missing and this JVM
 *       runs as root, the Debian package is installed with apt-get first.
 * </ul>
 *
 * All listen on free 127.0.0.1 ports, start concurrently, and keep their configuration, data and
 * logs in one {@linkplain #dataDir() data directory}. Servers given by the environment variables
 * {@code KAFKA_BOOTSTRAP}, {@code SCHEMA_REGISTRY_URL} and {@code CLICKHOUSE_URL} are used instead
 * (each independently) after waiting until they answer.
 *
 * <p>No server outlives the JVM that started it: each runs under a watchdog that stops it when this
 * JVM exits, even by {@code kill -9}. {@link #close()} (also run by a shutdown hook) stops them
 * sooner. Clients of the servers that must shut down while the servers still answer (a Kafka
 * Streams application committing its last transaction, a consumer committing offsets) are
 * registered with {@link #closeFirst(AutoCloseable)}: both {@code close()} and the shutdown hook
 * close them before any server is stopped, so Ctrl-C stops everything in order.
 *
 * <p>Instances are thread-safe.
 */
public final class LocalStack implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);
  private static final String MARKER_FILE = ".runstream-stack";
  private static final String KAFKA_CLIENTS_DIR = "kafka-clients";

  private final Path dataDir;
  private final boolean keepDataDir;
  private final ManagedServer kafka;
  private final ManagedServer schemaRegistry;
  private final ManagedServer clickhouse;
  // Null unless ClickHouse was started with teams' users.
  private volatile ClickHouseTeams clickhouseTeams;
  private final AtomicBoolean closed = new AtomicBoolean();
  // Guarded by itself; closed is set under the same lock, so nothing is added once closing began.
  private final Deque<AutoCloseable> dependents = new ArrayDeque<>();
  // Completed when the thread that won `closed` has stopped everything; other closers wait on it.
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final Thread shutdownHook;
  private volatile Duration startupTime = Duration.ZERO;

  // Package-private for tests that check the order of shutdown with servers that are not processes.
  LocalStack(
      Path dataDir,
      boolean keepDataDir,
      ManagedServer kafka,
      ManagedServer schemaRegistry,
      ManagedServer clickhouse) {
    this.dataDir = dataDir;
    this.keepDataDir = keepDataDir;
    this.kafka = kafka;
    this.schemaRegistry = schemaRegistry;
    this.clickhouse = clickhouse;
    this.shutdownHook = new Thread(this::closeFromHook, "runstream-stack-shutdown");
  }

  /**
   * Starts all three servers with the defaults of {@link #builder()}, or uses the ones named by
   * environment variables. Blocks until every server answers (about 5 s on a 2-core machine when
   * the JVMs are warm, longer on a cold disk).
   *
   * @return the running stack; close it when done
   * @throws LocalStackException if a server cannot be started or reached; what was started is
   *     stopped again
   */
  public static LocalStack start() {
    return builder().start();
  }

  /**
   * Deletes a data directory that a stack used and that no running stack uses any more, such as one
   * kept with {@link Builder#keepDataDir(boolean)}. Blocks until done.
   *
   * @param dataDir the directory; a missing one is already deleted
   * @return whether there was a directory to delete
   * @throws IllegalArgumentException if the directory does not hold the marker a stack writes
   *     there, so that a mistyped path never deletes someone's files
   * @throws UncheckedIOException if a file cannot be deleted
   */
  public static boolean deleteDataDir(Path dataDir) {
    Objects.requireNonNull(dataDir, "dataDir");
    if (!Files.exists(dataDir)) {
      return false;
    }
    if (!Files.isRegularFile(dataDir.resolve(MARKER_FILE))) {
      throw new IllegalArgumentException(
          dataDir + " is not the data directory of a runstream stack (no " + MARKER_FILE + ")");
    }
    IoUtil.deleteRecursively(dataDir);
    return true;
  }

  /**
   * Returns a builder with defaults: all servers, environment variables honoured, a fresh data
   * directory deleted on close, 120 s startup timeout per server, 15 s graceful-stop timeout.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the Kafka bootstrap servers, {@code 127.0.0.1:<port>} when started here.
   *
   * @return the bootstrap servers
   * @throws IllegalStateException if Kafka was not requested
   */
  public String kafkaBootstrap() {
    return kafka().address();
  }

  /**
   * Returns the base URL of the Confluent-compatible schema registry API, {@code
   * http://127.0.0.1:<port>/apis/ccompat/v7} when started here; {@code <url>/subjects} lists
   * subjects.
   *
   * @return the registry URL without trailing slash
   * @throws IllegalStateException if the registry was not requested
   */
  public String schemaRegistryUrl() {
    return schemaRegistry().address();
  }

  /**
   * Returns the ClickHouse HTTP interface URL, {@code http://127.0.0.1:<port>} when started here
   * (user {@code default}, no password; with {@link Builder#clickhouseTeams}, the users of {@link
   * #clickhouseTeams()}).
   *
   * @return the URL without trailing slash
   * @throws IllegalStateException if ClickHouse was not requested
   */
  public String clickhouseUrl() {
    return clickhouse().address();
  }

  /**
   * Returns the ClickHouse users of teams, when ClickHouse was started here with {@link
   * Builder#clickhouseTeams}: the writer the sinks use (instead of {@code default}, which then does
   * not exist) and each team's read-only user. The same logins are in {@link
   * ClickHouseTeams#FILE_NAME} in the {@linkplain #dataDir() data directory}, readable by its owner
   * only.
   *
   * @return the logins, or empty when ClickHouse has only user {@code default}
   */
  public Optional<ClickHouseTeams> clickhouseTeams() {
    return Optional.ofNullable(clickhouseTeams);
  }

  /**
   * Returns the Kafka broker handle, e.g. to stop and restart it in a test.
   *
   * @return the handle
   * @throws IllegalStateException if Kafka was not requested
   */
  public ManagedServer kafka() {
    return required(kafka, "kafka");
  }

  /**
   * Returns the Kafka client properties file (mode 600) of the super user {@code admin} of a broker
   * started with {@link Builder#secureKafka}: for the stack's own tools, with {@code
   * RUNSTREAM_KAFKA_PROPERTIES_FILE}.
   *
   * @return the file in the data directory
   * @throws IllegalStateException if Kafka was not started secure here
   */
  public Path kafkaAdminProperties() {
    return security().clientPropertiesFile("admin");
  }

  /**
   * Returns the Kafka client properties file (mode 600) of {@code team}'s user, for the team's
   * training jobs, server and CLI with {@code RUNSTREAM_KAFKA_PROPERTIES_FILE}: it may use topics,
   * consumer groups and transactional ids that start with {@code <team>.}, and nothing else.
   *
   * @param team a team given to {@link Builder#secureKafka}
   * @return the file in the data directory
   * @throws IllegalStateException if Kafka was not started secure here
   * @throws IllegalArgumentException if the team was not given
   */
  public Path kafkaTeamProperties(String team) {
    return security().clientPropertiesFile(knownTeam(team));
  }

  /**
   * Returns where a stack on {@code dataDir} started with {@link Builder#secureKafka} keeps {@code
   * team}'s client properties file, for a process that did not start it (such as {@code runstream
   * up --detach}'s parent).
   *
   * @param dataDir the stack's data directory
   * @param team the team
   * @return the file, which exists once that stack started
   */
  public static Path kafkaTeamProperties(Path dataDir, String team) {
    return KafkaSecurity.clientPropertiesFile(
        dataDir.resolve(KAFKA_CLIENTS_DIR), KafkaSecurity.requireTeam(team));
  }

  /**
   * Returns the prefix of {@code team}'s topics, consumer groups and transactional ids on a broker
   * started with {@link Builder#secureKafka}: {@code <team>.}.
   *
   * @param team the team
   * @return the prefix
   * @throws IllegalArgumentException if the name is not one a secure broker takes
   */
  public static String kafkaTeamPrefix(String team) {
    return KafkaSecurity.prefix(team);
  }

  /**
   * Returns the Kafka client properties file (mode 600) of {@code team}'s service user, for the
   * team's processor and sink: everything on names that start with {@code <team>.}, so their
   * application id and group must start with it too.
   *
   * @param team a team given to {@link Builder#secureKafka}
   * @return the file in the data directory
   * @throws IllegalStateException if Kafka was not started secure here
   * @throws IllegalArgumentException if the team was not given
   */
  public Path kafkaServiceProperties(String team) {
    return security().clientPropertiesFile(knownTeam(team) + KafkaSecurity.SERVICE_SUFFIX);
  }

  /**
   * Returns the teams of a broker started with {@link Builder#secureKafka}, empty otherwise.
   *
   * @return the teams in the order given
   */
  public List<String> kafkaTeams() {
    return kafkaSecurity().map(KafkaSecurity::teams).orElse(List.of());
  }

  private Optional<KafkaSecurity> kafkaSecurity() {
    return kafka instanceof KafkaServer server ? server.security() : Optional.empty();
  }

  private KafkaSecurity security() {
    return kafkaSecurity()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "this LocalStack's Kafka was not started with secureKafka"));
  }

  private String knownTeam(String team) {
    if (!security().teams().contains(team)) {
      throw new IllegalArgumentException(
          "team '" + team + "' is not one of this stack's: " + security().teams());
    }
    return team;
  }

  /**
   * Returns the schema registry handle.
   *
   * @return the handle
   * @throws IllegalStateException if the registry was not requested
   */
  public ManagedServer schemaRegistry() {
    return required(schemaRegistry, "schema-registry");
  }

  /**
   * Returns the ClickHouse handle.
   *
   * @return the handle
   * @throws IllegalStateException if ClickHouse was not requested
   */
  public ManagedServer clickhouse() {
    return required(clickhouse, "clickhouse");
  }

  private static ManagedServer required(ManagedServer server, String name) {
    if (server == null) {
      throw new IllegalStateException(name + " was not requested from this LocalStack");
    }
    return server;
  }

  /**
   * Returns the requested servers, in the order kafka, schema-registry, clickhouse.
   *
   * @return the servers
   */
  public List<ManagedServer> servers() {
    return Stream.of(kafka, schemaRegistry, clickhouse).filter(Objects::nonNull).toList();
  }

  /**
   * Returns the directory holding every server's configuration, data and log.
   *
   * @return the data directory
   */
  public Path dataDir() {
    return dataDir;
  }

  /**
   * Returns how long {@code start} took until every server answered.
   *
   * @return the startup time
   */
  public Duration startupTime() {
    return startupTime;
  }

  /**
   * Describes what runs where, one line per server, saying whether it was started here or reused
   * from an environment variable; for logs and the CLI.
   *
   * @return a multi-line description
   */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (ManagedServer server : servers()) {
      sb.append(server.describe()).append('\n');
    }
    sb.append(String.format("%-15s %s", "data dir", dataDir));
    if (keepDataDir) {
      sb.append(" (kept on close)");
    }
    return sb.toString();
  }

  /**
   * Registers {@code dependent}, something that talks to this stack's servers, to be closed before
   * they stop: {@link #close()} and the JVM shutdown hook close every registered dependent first,
   * the last registered first, then stop the servers. A dependent's failure to close is logged and
   * does not keep the servers running. Dependents should bound their own {@code close()}, since the
   * servers wait for it. If the stack is already closing, {@code dependent} is closed at once.
   * Thread-safe.
   *
   * @param dependent what to close before the servers stop
   * @param <T> its type
   * @return {@code dependent}, for {@code Pipeline p = stack.closeFirst(Pipeline.start(stack))}
   */
  public <T extends AutoCloseable> T closeFirst(T dependent) {
    Objects.requireNonNull(dependent, "dependent");
    synchronized (dependents) {
      if (!closed.get()) {
        dependents.push(dependent);
        return dependent;
      }
    }
    closeQuietly(dependent);
    return dependent;
  }

  /**
   * Closes every {@linkplain #closeFirst(AutoCloseable) dependent} (last registered first), then
   * stops every server this stack started (concurrently, gracefully, forcibly after the shutdown
   * timeout) and deletes the data directory unless it is kept. Blocks until done, also when another
   * thread (such as the shutdown hook) is already closing the stack. Idempotent; external servers
   * are left alone.
   *
   * @throws LocalStackException if a server could not be stopped (only in the thread that did the
   *     stopping)
   */
  @Override
  public void close() {
    if (!beginClosing()) {
      awaitStopped();
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down (we may be running in the hook).
    }
    shutDown();
  }

  // Package-private so tests can run what the shutdown hook runs.
  void closeFromHook() {
    if (!beginClosing()) {
      awaitStopped();
      return;
    }
    LOG.info("JVM shutting down: stopping the local stack in {}", dataDir);
    shutDown();
  }

  /** Marks the stack closing; true for the one caller that must then do the work. */
  private boolean beginClosing() {
    synchronized (dependents) {
      return closed.compareAndSet(false, true);
    }
  }

  private void awaitStopped() {
    boolean interrupted = false;
    while (true) {
      try {
        stopped.get();
        break;
      } catch (InterruptedException e) {
        interrupted = true; // finish waiting: the caller was promised a stopped stack
      } catch (ExecutionException e) {
        break; // the closing thread reports its own failure
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void shutDown() {
    try {
      List<AutoCloseable> toClose;
      synchronized (dependents) {
        toClose = new ArrayList<>(dependents); // a pushed deque iterates last-registered first
        dependents.clear();
      }
      toClose.forEach(LocalStack::closeQuietly);
      stopAll();
    } finally {
      stopped.complete(null);
    }
  }

  private static void closeQuietly(AutoCloseable dependent) {
    try {
      dependent.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      LOG.warn("interrupted while closing {} before the stack", dependent, e);
    } catch (Exception e) {
      LOG.warn("closing {} before the stack failed; stopping the servers anyway", dependent, e);
    }
  }

  private void stopAll() {
    List<CompletableFuture<Void>> stops = new ArrayList<>();
    for (ManagedServer server : servers()) {
      if (!server.isExternal()) {
        stops.add(runAsync("stop-" + server.name(), server::stop));
      }
    }
    RuntimeException failure = null;
    for (CompletableFuture<Void> stop : stops) {
      try {
        stop.join();
      } catch (CompletionException e) {
        LOG.warn("stopping a server failed", e.getCause());
        failure =
            failure == null ? new LocalStackException("stopping the stack failed", e) : failure;
      }
    }
    if (!keepDataDir) {
      try {
        IoUtil.deleteRecursively(dataDir);
      } catch (UncheckedIOException e) {
        LOG.warn("cannot delete {}", dataDir, e);
      }
    }
    LOG.info("local stack stopped");
    if (failure != null) {
      throw failure;
    }
  }

  // Platform threads named after the task: a thread dump shows which server is slow.
  private static CompletableFuture<Void> runAsync(String name, Runnable task) {
    CompletableFuture<Void> future = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                task.run();
                future.complete(null);
              } catch (Throwable t) {
                future.completeExceptionally(t);
              }
            },
            "runstream-stack-" + name);
    thread.setDaemon(true);
    thread.start();
    return future;
  }

  private void startAll() {
    long began = System.nanoTime();
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    List<CompletableFuture<Void>> starts = new ArrayList<>();
    for (ManagedServer server : servers()) {
      // External servers are only waited for, concurrently with the ones started here.
      Runnable start =
          server instanceof ExternalServer external ? external::awaitReady : server::start;
      starts.add(runAsync("start-" + server.name(), start));
    }
    LocalStackException failure = null;
    for (CompletableFuture<Void> start : starts) {
      try {
        start.get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        LocalStackException ex =
            cause instanceof LocalStackException lse
                ? lse
                : new LocalStackException("local stack failed to start: " + cause, cause);
        if (failure == null) {
          failure = ex;
        } else {
          failure.addSuppressed(ex);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (failure == null) {
          failure = new LocalStackException("local stack start was interrupted", e);
        }
        break;
      }
    }
    if (failure != null) {
      LOG.error("local stack failed to start, stopping what did start: {}", failure.getMessage());
      try {
        close();
      } catch (RuntimeException e) {
        failure.addSuppressed(e);
      }
      throw failure;
    }
    startupTime = Duration.ofNanos(System.nanoTime() - began);
    LOG.info("local stack ready in {} ms:\n{}", startupTime.toMillis(), describe());
  }

  /**
   * Configures and starts a {@link LocalStack}. Setters validate their argument immediately. Not
   * thread-safe; use one builder per thread.
   */
  public static final class Builder {
    private Path dataDir;
    private Path stackDist;
    private boolean keepDataDir;
    private boolean useEnvironment = true;
    private boolean withKafka = true;
    private boolean withSchemaRegistry = true;
    private boolean withClickHouse = true;
    private List<String> clickhouseTeams = List.of();
    private Duration startupTimeout = Duration.ofSeconds(120);
    private Duration shutdownTimeout = Duration.ofSeconds(15);
    private Map<String, String> environment = System.getenv();
    private List<String> secureTeams;

    private Builder() {}

    /**
     * Starts the broker with authentication and authorisation (default: neither): a {@code
     * SASL_PLAINTEXT} listener with SCRAM-SHA-512, the KRaft {@code StandardAuthorizer}, a super
     * user {@code admin}, and per team a user and a service user allowed only on names that start
     * with {@code <team>.}. Each user's Kafka client properties file is written into the data
     * directory (see {@link LocalStack#kafkaTeamProperties}). Needs Kafka started here, not named
     * by {@code KAFKA_BOOTSTRAP}.
     *
     * @param teams the teams: letters, digits, '_' or '-'; may be empty (the admin only)
     * @return this builder
     */
    public Builder secureKafka(Collection<String> teams) {
      List<String> copy = List.copyOf(Objects.requireNonNull(teams, "teams"));
      copy.forEach(KafkaSecurity::requireTeam);
      if (copy.stream().distinct().count() != copy.size()) {
        throw new IllegalArgumentException("teams must be distinct: " + copy);
      }
      this.secureTeams = copy;
      return this;
    }

    /**
     * Sets the data directory. It must be missing, empty, or one a stack used before (it then holds
     * a {@code .runstream-stack} marker, and Kafka and ClickHouse find their data again). Default:
     * a fresh {@code runstream-stack-*} directory in {@code target/} when running under Maven
     * (system property {@code basedir}), else in {@code java.io.tmpdir}.
     *
     * @param dataDir the directory
     * @return this builder
     */
    public Builder dataDir(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir").toAbsolutePath();
      return this;
    }

    /**
     * Keeps the data directory on close (default {@code false}: it is deleted). A stack started
     * again on a kept directory finds Kafka's topics, ClickHouse's tables and the registry's
     * schemas (with their ids) as they were, on new ports; {@link LocalStack#deleteDataDir} removes
     * it.
     *
     * @param keep whether to keep it
     * @return this builder
     */
    public Builder keepDataDir(boolean keep) {
      this.keepDataDir = keep;
      return this;
    }

    /**
     * Sets the stack-dist directory (holding {@code kafka-libs/} and {@code apicurio/}). Default:
     * system property {@code runstream.stack.dist}, else environment variable {@code
     * RUNSTREAM_STACK_DIST}, else the path the build wrote into this module's resources.
     *
     * @param stackDist the directory
     * @return this builder
     */
    public Builder stackDist(Path stackDist) {
      this.stackDist = Objects.requireNonNull(stackDist, "stackDist");
      return this;
    }

    /**
     * Sets whether {@code KAFKA_BOOTSTRAP}, {@code SCHEMA_REGISTRY_URL} and {@code CLICKHOUSE_URL}
     * name servers to use instead of starting them (default {@code true}).
     *
     * @param use whether to honour the variables
     * @return this builder
     */
    public Builder useEnvironment(boolean use) {
      this.useEnvironment = use;
      return this;
    }

    /**
     * Sets whether to provide Kafka (default {@code true}).
     *
     * @param with whether to provide it
     * @return this builder
     */
    public Builder withKafka(boolean with) {
      this.withKafka = with;
      return this;
    }

    /**
     * Sets whether to provide the schema registry (default {@code true}).
     *
     * @param with whether to provide it
     * @return this builder
     */
    public Builder withSchemaRegistry(boolean with) {
      this.withSchemaRegistry = with;
      return this;
    }

    /**
     * Sets whether to provide ClickHouse (default {@code true}).
     *
     * @param with whether to provide it
     * @return this builder
     */
    public Builder withClickHouse(boolean with) {
      this.withClickHouse = with;
      return this;
    }

    /**
     * Starts ClickHouse with a user per team instead of the password-less {@code default} user
     * (default: none, {@code default} alone): a writer for the sinks, and per team a read-only user
     * that may read only the team's database, where that team's sink writes. Passwords are random,
     * kept in {@link ClickHouseTeams#FILE_NAME} in the data directory (owner-only; each one also
     * alone in {@link ClickHouseTeams#passwordFile}, for {@code CLICKHOUSE_PASSWORD_FILE}) and
     * reused when the stack starts again on a kept data directory. See {@link ClickHouseTeams}.
     * Ignored for a ClickHouse named by {@code CLICKHOUSE_URL}, whose users are its own.
     *
     * @param teams team names (letters, digits, '.', '_', '-')
     * @return this builder
     */
    public Builder clickhouseTeams(List<String> teams) {
      this.clickhouseTeams = List.copyOf(Objects.requireNonNull(teams, "teams"));
      return this;
    }

    /**
     * Sets how long each server may take until it answers, also when waiting for an external one
     * (default 120 s; the servers start concurrently, so this is also the bound on the whole
     * start).
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder startupTimeout(Duration timeout) {
      this.startupTimeout = positive(timeout, "startupTimeout");
      return this;
    }

    /**
     * Sets how long a server may take to exit after SIGTERM before it is killed (default 15 s).
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = positive(timeout, "shutdownTimeout");
      return this;
    }

    // For tests: an environment other than this process's.
    Builder environment(Map<String, String> environment) {
      this.environment = Map.copyOf(environment);
      return this;
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }

    /**
     * Starts the stack. Blocks until every requested server answers.
     *
     * @return the running stack; close it when done
     * @throws LocalStackException if a server cannot be started or reached: the message names it,
     *     its address and the tail of its log; everything started so far is stopped
     * @throws IllegalArgumentException if an environment variable or the data directory is invalid
     */
    public LocalStack start() {
      if (!withKafka && !withSchemaRegistry && !withClickHouse) {
        throw new IllegalArgumentException("no server requested");
      }
      EnvOverrides env = useEnvironment ? EnvOverrides.parse(environment) : EnvOverrides.NONE;
      boolean startKafka = withKafka && env.kafkaBootstrap().isEmpty();
      boolean startRegistry = withSchemaRegistry && env.schemaRegistryUrl().isEmpty();
      boolean startClickHouse = withClickHouse && env.clickhouseUrl().isEmpty();
      if (secureTeams != null && !startKafka) {
        throw new IllegalArgumentException(
            "secureKafka needs a broker started here, but "
                + (withKafka ? EnvOverrides.KAFKA_BOOTSTRAP + " names one" : "Kafka is off"));
      }

      // Resolve the distribution before creating anything, so a missing build fails fast.
      String kafkaClasspath = null;
      Path runnerJar = null;
      if (startKafka || startRegistry) {
        StackDist dist =
            StackDist.locate(
                Optional.ofNullable(stackDist),
                System::getProperty,
                environment,
                LocalStack.class.getClassLoader());
        kafkaClasspath = startKafka ? dist.kafkaClasspath() : null;
        runnerJar = startRegistry ? dist.apicurioRunnerJar() : null;
      }

      Path dir = prepareDataDir();
      String marker = dir.toString();
      ProcessServer.Timeouts timeouts = new ProcessServer.Timeouts(startupTimeout, shutdownTimeout);
      int[] ports = Ports.freeLoopbackPorts(5);

      Path credentials = dir.resolve("kafka").resolve("credentials.properties");
      if (secureTeams != null
          && Files.exists(dir.resolve("kafka").resolve("data").resolve("meta.properties"))
          && !Files.exists(credentials)) {
        // Its metadata holds no admin credential, so the broker could not log in to itself.
        throw new IllegalArgumentException(
            "the Kafka data in "
                + dir
                + " was made without secureKafka and cannot be made secure; use another data"
                + " directory");
      }
      KafkaSecurity security =
          secureTeams == null
              ? null
              : KafkaSecurity.prepare(
                  secureTeams,
                  credentials,
                  dir.resolve(KAFKA_CLIENTS_DIR),
                  "127.0.0.1:" + ports[0]);
      ManagedServer kafka = null;
      if (withKafka) {
        kafka =
            startKafka
                ? new KafkaServer(
                    dir.resolve("kafka"),
                    kafkaClasspath,
                    ports[0],
                    ports[1],
                    marker,
                    timeouts,
                    security)
                : external(
                    "kafka",
                    ExternalServer.Kind.KAFKA,
                    EnvOverrides.KAFKA_BOOTSTRAP,
                    env.kafkaBootstrap().orElseThrow());
      }
      ManagedServer registry = null;
      if (withSchemaRegistry) {
        registry =
            startRegistry
                ? new ApicurioServer(
                    dir.resolve("schema-registry"), runnerJar, ports[2], marker, timeouts)
                : external(
                    "schema-registry",
                    ExternalServer.Kind.SCHEMA_REGISTRY,
                    EnvOverrides.SCHEMA_REGISTRY_URL,
                    env.schemaRegistryUrl().orElseThrow());
      }
      ManagedServer clickhouse = null;
      ClickHouseTeams teams = null;
      if (startClickHouse && !clickhouseTeams.isEmpty()) {
        teams =
            ClickHouseTeams.createOrReuse(dir.resolve(ClickHouseTeams.FILE_NAME), clickhouseTeams);
      }
      if (withClickHouse) {
        clickhouse =
            startClickHouse
                ? new ClickHouseServer(
                    dir.resolve("clickhouse"), ports[3], ports[4], timeouts, teams)
                : external(
                    "clickhouse",
                    ExternalServer.Kind.CLICKHOUSE,
                    EnvOverrides.CLICKHOUSE_URL,
                    env.clickhouseUrl().orElseThrow());
      }
      LocalStack stack = new LocalStack(dir, keepDataDir, kafka, registry, clickhouse);
      stack.clickhouseTeams = teams;
      stack.startAll();
      return stack;
    }

    private ManagedServer external(String name, ExternalServer.Kind kind, String var, String url) {
      return new ExternalServer(name, kind, var, url, startupTimeout);
    }

    private Path prepareDataDir() {
      try {
        Path dir;
        if (dataDir == null) {
          Path parent = defaultParent();
          Files.createDirectories(parent);
          dir = Files.createTempDirectory(parent, "runstream-stack-");
        } else {
          dir = dataDir;
          if (Files.isDirectory(dir) && !Files.exists(dir.resolve(MARKER_FILE))) {
            try (Stream<Path> entries = Files.list(dir)) {
              if (entries.findAny().isPresent()) {
                throw new IllegalArgumentException(
                    "data directory "
                        + dir
                        + " is not empty and was not used by a LocalStack before (no "
                        + MARKER_FILE
                        + "); the stack deletes its data directory on close, so it will not"
                        + " take over one holding other files");
              }
            }
          }
          Files.createDirectories(dir);
        }
        Files.writeString(
            dir.resolve(MARKER_FILE), "data directory of a runstream LocalStack; safe to delete\n");
        return dir;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the stack's data directory", e);
      }
    }

    private static Path defaultParent() {
      String basedir = System.getProperty("basedir");
      if (basedir != null && Files.isDirectory(Path.of(basedir, "target"))) {
        return Path.of(basedir, "target");
      }
      return Path.of(System.getProperty("java.io.tmpdir"));
    }
  }
}
