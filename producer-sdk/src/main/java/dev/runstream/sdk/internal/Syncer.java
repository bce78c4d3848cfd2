package dev.runstream.sdk.internal;

import dev.runstream.schemas.SchemaRegistry;
import dev.runstream.schemas.SerdeConfig;
import dev.runstream.schemas.Topics;
import dev.runstream.schemas.avro.RunEvent;
import dev.runstream.schemas.avro.RunFinished;
import dev.runstream.sdk.SyncOptions;
import dev.runstream.sdk.SyncProgress;
import dev.runstream.sdk.SyncResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Uploads a run directory to Kafka: the implementation of {@code Runstream.sync}. */
public final class Syncer {
  private static final Logger log = LoggerFactory.getLogger(Syncer.class);
  private static final int PROGRESS_EVERY = 1_000;

  /** How long a sync asks Kafka which of the run's records it already holds, at most. */
  static final Duration LOOKUP_BUDGET = Duration.ofSeconds(10);

  private Syncer() {}

  /** See {@code Runstream.sync}. */
  public static SyncResult sync(Path dir, SyncOptions options) {
    Supplier<Producer<String, byte[]>> producers =
        Delivery.kafkaProducers(
            Delivery.producerConfig(options.kafkaBootstrap(), options.kafkaProperties()));
    SchemaRegistry registry = SerdeConfig.registry(options.schemaRegistryUrl());
    return sync(
        dir,
        options,
        producers,
        registry,
        topics ->
            new KafkaRunLookup(
                options.kafkaBootstrap(),
                options.kafkaProperties(),
                topics,
                registry,
                LOOKUP_BUDGET.compareTo(options.timeout()) < 0
                    ? LOOKUP_BUDGET
                    : options.timeout()));
  }

  /** A sync that does not ask Kafka what it holds: the acknowledgement mark alone decides. */
  static SyncResult sync(
      Path dir,
      SyncOptions options,
      Supplier<Producer<String, byte[]>> producers,
      SchemaRegistry registry) {
    return sync(dir, options, producers, registry, null);
  }

  /**
   * @param lookups the lookup for the run's topics, or null not to ask Kafka what it already holds
   */
  static SyncResult sync(
      Path dir,
      SyncOptions options,
      Supplier<Producer<String, byte[]>> producers,
      SchemaRegistry registry,
      java.util.function.Function<Topics, RunLookup> lookups) {
    long started = System.nanoTime();
    long deadline = started + options.timeout().toNanos();
    if (!RunDirectory.exists(dir)) {
      throw new IllegalArgumentException(dir + " is not a runstream run directory (no run.json)");
    }
    RunDirectory directory = RunDirectory.open(dir);
    if (!directory.tryLock()) {
      throw new IllegalStateException(
          "run directory " + dir + " is in use by a live run; sync it after the run ends");
    }
    try {
      Map<String, Object> meta = directory.readMetadata();
      String runId = String.valueOf(meta.get("runId"));
      String prefix =
          options.topicPrefix() != null
              ? options.topicPrefix()
              : String.valueOf(meta.getOrDefault("topicPrefix", Topics.DEFAULT_PREFIX));
      long acked = options.resendAll() ? -1 : directory.readAcked();

      // First pass: what is there (cheap: frame headers, and the few run events decoded).
      long total = 0;
      long aboveAcked = 0;
      long lastStep = -1;
      long lastSequence = -1;
      boolean finished = false;
      long damaged;
      SpecificDatumReader<RunEvent> events = new SpecificDatumReader<>(RunEvent.class);
      try (JournalReader reader = new JournalReader(dir, 0)) {
        for (JournalRecord r = reader.next(); r != null; r = reader.next()) {
          total++;
          lastSequence = Math.max(lastSequence, r.sequence());
          if (r.sequence() > acked) {
            aboveAcked++;
          }
          if (r.kind() == RecordKind.METRICS) {
            lastStep = Math.max(lastStep, r.step());
          } else if (r.kind() == RecordKind.RUN_EVENT) {
            RunEvent e = events.read(null, DecoderFactory.get().binaryDecoder(r.body(), null));
            finished |= e.getPayload() instanceof RunFinished;
          }
        }
        damaged = reader.skippedBytes() + reader.tailBytes();
      }

      // A run killed before it recorded Kafka's last acknowledgements left records after the mark
      // that Kafka has: ask which, so they are not sent twice (AlreadyInKafka).
      AlreadyInKafka inKafka = AlreadyInKafka.NOTHING;
      boolean unanswered = false;
      if (aboveAcked > 0 && lookups != null && !options.resendAll()) {
        RunHistory history =
            lookups.apply(Topics.withPrefix(prefix)).find(runId, BackwardScan.Goal.RESUME, false);
        if (history.outcome() == RunHistory.Outcome.UNREACHABLE
            || history.outcome() == RunHistory.Outcome.UNKNOWN) {
          unanswered = true;
          log.warn(
              "Kafka could not be asked within {} which records of run {} it already holds ({});"
                  + " every record after the run directory's acknowledgement mark (sequence {}) is"
                  + " sent, so some may be in Kafka twice",
              LOOKUP_BUDGET,
              runId,
              history.detail(),
              acked);
        } else {
          inKafka = AlreadyInKafka.of(history, directory.readReordered());
        }
      }
      long toSend = aboveAcked;
      if (inKafka.any()) {
        toSend = 0;
        try (JournalReader reader = new JournalReader(dir, acked + 1)) {
          for (JournalRecord r = reader.next(); r != null; r = reader.next()) {
            if (r.sequence() > acked && !inKafka.holds(r.kind(), r.sequence())) {
              toSend++;
            }
          }
        }
      }

      LongAdder points = new LongAdder();
      Delivery delivery =
          new Delivery(
              producers,
              registry,
              Topics.withPrefix(prefix),
              runId,
              acked,
              points,
              new LongAdder());
      long handed = 0;
      long backoff = 200;
      long reorderedBefore = directory.readReordered();
      delivery.onFailure(() -> markReordered(directory, Long.MAX_VALUE));
      try (JournalReader reader = new JournalReader(dir, acked + 1)) {
        for (JournalRecord r = reader.next(); r != null; r = reader.next()) {
          if (inKafka.holds(r.kind(), r.sequence())) {
            delivery.skip(r);
            continue;
          }
          while (!delivery.send(r, true)) {
            if (System.nanoTime() > deadline) {
              throw new IllegalStateException(
                  "Kafka at "
                      + options.kafkaBootstrap()
                      + " is unreachable; "
                      + handed
                      + " of "
                      + toSend
                      + " records of run "
                      + runId
                      + " handed over; run sync again");
            }
            sleep(backoff);
            backoff = Math.min(5_000, backoff * 2);
          }
          backoff = 200;
          handed++;
          if (handed % PROGRESS_EVERY == 0) {
            options.progress().accept(new SyncProgress(runId, handed, toSend, points.sum()));
          }
          if (delivery.failed()) {
            break;
          }
        }
      } finally {
        delivery.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      }
      if (delivery.failed()) {
        // What was handed after the failed record may be in Kafka before it.
        markReordered(
            directory,
            reorderedBefore == Long.MAX_VALUE
                ? Long.MAX_VALUE
                : Math.max(reorderedBefore, delivery.highestSent()));
      }
      if (delivery.failed() || !delivery.idle()) {
        persist(directory, delivery.ackedThrough());
        throw new IllegalStateException(
            "Kafka did not acknowledge every record of run "
                + runId
                + " within "
                + options.timeout()
                + "; acknowledged through sequence "
                + delivery.ackedThrough()
                + " of "
                + lastSequence
                + "; run sync again");
      }
      persist(directory, Math.max(delivery.ackedThrough(), lastSequence));
      options.progress().accept(new SyncProgress(runId, handed, toSend, points.sum()));
      Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
      log.info(
          "synced run {} from {}: {} records ({} points) sent, {} already in Kafka, in {} ms",
          runId,
          dir,
          handed,
          points.sum(),
          total - toSend,
          elapsed.toMillis());
      return new SyncResult(
          dir,
          runId,
          total,
          handed,
          points.sum(),
          total - toSend,
          damaged,
          lastStep,
          finished,
          unanswered,
          elapsed);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the journal in " + dir, e);
    } finally {
      directory.unlock();
    }
  }

  private static void persist(RunDirectory directory, long acked) {
    try {
      directory.writeAcked(acked);
    } catch (IOException e) {
      log.warn("cannot record the sync's progress in {}: {}", directory.path(), e.toString());
    }
  }

  private static void markReordered(RunDirectory directory, long through) {
    try {
      directory.writeReordered(through);
    } catch (IOException e) {
      log.warn("cannot record a failed send in {}: {}", directory.path(), e.toString());
    }
  }

  private static void sleep(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("sync interrupted", e);
    }
  }
}
