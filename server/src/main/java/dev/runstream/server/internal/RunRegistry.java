package dev.runstream.server.internal;

import dev.runstream.sdk.Resume;
import dev.runstream.sdk.Run;
import dev.runstream.sdk.RunOptions;
import dev.runstream.sdk.Runstream;
import dev.runstream.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runs this server holds open: one SDK {@link Run} per wandb run, opened by its first {@code
 * UpsertBucket} (or by a {@code file_stream} post after a server restart), kept across requests and
 * closed by {@code complete}.
 *
 * <p>Each run journals into {@code <data dir>/runs/<team>/<project>/run-<id>}, so what a client was
 * told was accepted survives the server and is sent when Kafka is back. Thread-safe.
 */
public final class RunRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunRegistry.class);
  // Finished runs remembered so that a retried final post does not reopen (resume) the run.
  private static final int FINISHED_REMEMBERED = 10_000;

  /** Runs detached at once by {@link #close()}. */
  static final int CLOSE_THREADS = 16;

  private final ServerConfig config;
  private final FileStore files;
  private final int closeThreads;
  private final ScheduledExecutorService sweeper =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "runstream-server-idle-runs");
            t.setDaemon(true);
            return t;
          });
  private final ConcurrentHashMap<RunKey, RunWriter> open = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<RunKey, Object> opening = new ConcurrentHashMap<>();
  private final Map<RunKey, Boolean> finished =
      Collections.synchronizedMap(
          new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<RunKey, Boolean> eldest) {
              return size() > FINISHED_REMEMBERED;
            }
          });

  public RunRegistry(ServerConfig config, FileStore files) {
    this(config, files, CLOSE_THREADS);
  }

  /** With {@code closeThreads} runs detached at once by {@link #close()} (1: one after another). */
  RunRegistry(ServerConfig config, FileStore files, int closeThreads) {
    if (closeThreads < 1) {
      throw new IllegalArgumentException("closeThreads must be at least 1, not " + closeThreads);
    }
    this.config = config;
    this.files = files;
    this.closeThreads = closeThreads;
    long period = Math.max(200, Math.min(config.runIdleTimeout().toMillis() / 2, 30_000));
    sweeper.scheduleWithFixedDelay(this::detachIdle, period, period, TimeUnit.MILLISECONDS);
  }

  /** The open run, if any. */
  public Optional<RunWriter> get(RunKey key) {
    return Optional.ofNullable(open.get(key));
  }

  /** How many runs are open in this server now. */
  public int openRuns() {
    return open.size();
  }

  /** Whether this server finished the run since it started. */
  public boolean finished(RunKey key) {
    return finished.containsKey(key);
  }

  /** Whether this server has a journal of the run (it logged through here before). */
  public boolean known(RunKey key) {
    return open.containsKey(key) || Files.isDirectory(runsDir(key).resolve("run-" + key.runId()));
  }

  /**
   * The open run, opened (created, or resumed where it exists) with {@code upsert}'s fields when it
   * is not open; an open run gets {@code upsert} as an update.
   *
   * @throws WandbException 400 if the SDK refuses a field (e.g. a run id it cannot hold)
   */
  public RunWriter upsert(RunKey key, Upsert upsert) {
    RunWriter writer = open.get(key);
    if (writer != null && writer.touch()) {
      writer.update(upsert);
      return writer;
    }
    // One init per run: Runstream.init may read Kafka for a while, so not inside computeIfAbsent,
    // which would block every other run hashed to the same bin.
    Object lock = opening.computeIfAbsent(key, k -> new Object());
    synchronized (lock) {
      writer = open.get(key);
      if (writer != null && writer.touch()) {
        writer.update(upsert);
        return writer;
      }
      if (writer != null) {
        open.remove(key, writer); // detached as idle: open it again (resumed from its journal)
      }
      writer = init(key, upsert);
      open.put(key, writer);
      finished.remove(key);
      return writer;
    }
  }

  /** Finishes and forgets the run. */
  public void finish(RunWriter writer, int exitCode) {
    try {
      writer.finish(exitCode);
    } finally {
      open.remove(writer.key(), writer);
      opening.remove(writer.key());
      finished.put(writer.key(), Boolean.TRUE);
    }
  }

  private RunWriter init(RunKey key, Upsert upsert) {
    Map<String, Object> cfg = upsert.config() == null ? null : upsert.config().values();
    RunOptions options;
    try {
      RunOptions.Builder b =
          RunOptions.builder(key.project(), Map.of())
              .entity(key.team())
              .runId(key.runId())
              .resume(Resume.ALLOW)
              .directory(runsDir(key))
              .kafkaBootstrap(config.kafkaBootstrap())
              .schemaRegistryUrl(config.schemaRegistryUrl())
              .topicPrefix(config.topicPrefix())
              // The server's own host is not the training machine: its metrics would mislead.
              .systemMetricsInterval(Duration.ZERO)
              // A server stopping has not ended its clients' runs (see close()).
              .finishOnExit(false);
      if (nonBlank(upsert.displayName())) {
        b.name(upsert.displayName());
      }
      if (upsert.notes() != null) {
        b.notes(upsert.notes());
      }
      if (upsert.tags() != null) {
        b.tags(upsert.tags());
      }
      if (cfg != null) {
        b.config(cfg);
      }
      if (nonBlank(upsert.group())) {
        b.group(upsert.group());
      }
      if (nonBlank(upsert.jobType())) {
        b.jobType(upsert.jobType());
      }
      options = b.build();
    } catch (IllegalArgumentException e) {
      throw new WandbException(400, "run " + key + " cannot be stored: " + e.getMessage(), e);
    }
    Run run = Runstream.init(options);
    LOG.info(
        "run {} {} (name '{}', host {}, program {})",
        key,
        run.resumed() ? "resumed at step " + run.step() : "started",
        run.name(),
        upsert.host(),
        upsert.program());
    return new RunWriter(
        key,
        run,
        files,
        upsert.notes(),
        upsert.tags() == null ? List.of() : upsert.tags(),
        upsert.config());
  }

  private Path runsDir(RunKey key) {
    return config
        .dataDir()
        .resolve("runs")
        .resolve(FileStore.segment(key.team()))
        .resolve(FileStore.segment(key.project()));
  }

  private static boolean nonBlank(String s) {
    return s != null && !s.isBlank();
  }

  /**
   * Detaches runs without a request for {@link ServerConfig#runIdleTimeout()}: a client that died
   * sends nothing more, and only when the server stops the run's heartbeats can the processor mark
   * it crashed.
   */
  void detachIdle() {
    long now = System.nanoTime();
    for (RunWriter writer : open.values()) {
      try {
        if (writer.detachIfIdle(now, config.runIdleTimeout())) {
          open.remove(writer.key(), writer);
          LOG.info(
              "run {} detached after {} without a request (a later request resumes it)",
              writer.key(),
              config.runIdleTimeout());
        }
      } catch (RuntimeException e) {
        LOG.warn("run {} not detached cleanly: {}", writer.key(), e.toString());
      }
    }
  }

  /**
   * Detaches every open run: what was accepted is made durable and sent, and no run is finished. A
   * server stopping is not the end of its clients' runs: a client retries against the next server,
   * which resumes the run from its journal, and a run whose client is gone too is marked crashed by
   * the processor when its heartbeats stay away.
   *
   * <p>Each detach waits until Kafka acknowledged the run's last records (at most the SDK's finish
   * timeout), so runs are detached {@value #CLOSE_THREADS} at a time (by default): a server holding
   * hundreds of runs stops in a few acknowledgement round trips instead of one per run. Blocks
   * until every run is detached; an interrupt stops the wait (runs not yet detached keep their
   * journals).
   */
  @Override
  public void close() {
    sweeper.shutdownNow();
    List<RunWriter> writers = List.copyOf(open.values());
    if (writers.isEmpty()) {
      return;
    }
    long started = System.nanoTime();
    AtomicInteger threads = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.min(closeThreads, writers.size()),
            r -> {
              Thread t = new Thread(r, "runstream-server-detach-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<?>> detaching = new ArrayList<>(writers.size());
      for (RunWriter writer : writers) {
        detaching.add(pool.submit(() -> detach(writer)));
      }
      for (Future<?> f : detaching) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      LOG.warn("stopped waiting for open runs to detach: interrupted");
    } catch (ExecutionException e) {
      // detach(writer) catches what a run throws; anything else is a bug worth seeing.
      throw new IllegalStateException("detaching open runs failed", e.getCause());
    } finally {
      pool.shutdown();
    }
    open.clear();
    LOG.info(
        "{} open runs detached in {} ms",
        writers.size(),
        (System.nanoTime() - started) / 1_000_000);
  }

  private void detach(RunWriter writer) {
    try {
      writer.detach();
    } catch (RuntimeException e) {
      LOG.warn("run {} not detached cleanly: {}", writer.key(), e.toString());
    }
  }
}
