package dev.runstream.sdk.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A run's own directory, {@code <directory>/run-<id>}:
 *
 * <ul>
 *   <li>{@code run.json}: run id, entity, project, topic prefix, name; written once at init.
 *   <li>{@code segment-<first sequence>.log}: the journal of every record ({@link JournalWriter}).
 *   <li>{@code acked}: the highest sequence up to which Kafka acknowledged every record, a decimal
 *       number of fixed width; rewritten in place by one small write ({@link #writeAcked}). It is a
 *       hint: if it is behind, a replay or sync sends some records again, which is harmless because
 *       their identity (run id, sequence) is the same.
 *   <li>{@code reordered}: the highest sequence up to which the run's records may be in Kafka out
 *       of sequence order, because a send failed for good while later records were in flight
 *       ({@link AlreadyInKafka} explains why that matters); absent when that never happened.
 *   <li>{@code run.lock}: locked while a process owns the run, so a sync does not race a live run.
 * </ul>
 */
public final class RunDirectory {
  static final String METADATA = "run.json";
  static final String ACKED = "acked";
  // Characters of the acknowledgement mark's number: Long.MIN_VALUE has 20.
  private static final int ACKED_WIDTH = 20;
  static final String LOCK = "run.lock";
  static final String REORDERED = "reordered";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path path;
  private FileChannel lockChannel;
  private FileLock lock;

  private RunDirectory(Path path) {
    this.path = path;
  }

  /** The directory of run {@code runId} under {@code parent}. */
  static Path pathOf(Path parent, String runId) {
    return parent.resolve("run-" + runId);
  }

  /** Opens (creating when needed) the run directory at {@code path}. */
  static RunDirectory open(Path path) {
    try {
      Files.createDirectories(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create run directory " + path, e);
    }
    return new RunDirectory(path);
  }

  /** Whether {@code path} is a run directory (has {@code run.json}). */
  static boolean exists(Path path) {
    return Files.isRegularFile(path.resolve(METADATA));
  }

  Path path() {
    return path;
  }

  /**
   * Takes the directory's lock for this process.
   *
   * @return false if another process (or run in this JVM) holds it
   */
  boolean tryLock() {
    try {
      lockChannel =
          FileChannel.open(path.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      lock = lockChannel.tryLock();
      if (lock == null) {
        lockChannel.close();
        lockChannel = null;
        return false;
      }
      return true;
    } catch (OverlappingFileLockException e) {
      closeQuietly();
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock run directory " + path, e);
    }
  }

  void unlock() {
    try {
      if (lock != null) {
        lock.release();
      }
    } catch (IOException e) {
      // The lock goes with the channel anyway.
    }
    closeQuietly();
  }

  private void closeQuietly() {
    try {
      if (lockChannel != null) {
        lockChannel.close();
      }
    } catch (IOException e) {
      // nothing to do: the OS releases the lock when the process ends
    }
    lockChannel = null;
    lock = null;
  }

  void writeMetadata(Map<String, Object> metadata) {
    try {
      Path tmp = path.resolve(METADATA + ".tmp");
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(metadata));
      Files.move(tmp, path.resolve(METADATA), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path.resolve(METADATA), e);
    }
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> readMetadata() {
    try {
      return JSON.readValue(path.resolve(METADATA).toFile(), LinkedHashMap.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path.resolve(METADATA), e);
    }
  }

  /** The highest sequence Kafka acknowledged with everything before it; -1 when none. */
  long readAcked() {
    Path file = path.resolve(ACKED);
    if (!Files.exists(file)) {
      return -1;
    }
    try {
      return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).strip());
    } catch (IOException | NumberFormatException e) {
      // A damaged hint only costs a longer replay.
      return -1;
    }
  }

  /**
   * Records the acknowledgement mark in place: one write of a fixed-width line ({@value
   * #ACKED_WIDTH} characters and a newline, wide enough for any long), so every write covers the
   * whole of the last one. A write of a few bytes within one page is whole or absent after the
   * process is killed, and within one sector after a power cut; a damaged mark is read as none.
   * Cheaper than a temporary file and a rename, which the shared fsync thread paid for every run
   * every second (the rename was about 40 % of its time under load).
   */
  // Synchronized: the sender and the shared fsync thread both record acknowledgements.
  synchronized void writeAcked(long sequence) throws IOException {
    byte[] line =
        String.format(Locale.ROOT, "%0" + ACKED_WIDTH + "d\n", sequence)
            .getBytes(StandardCharsets.US_ASCII);
    try (FileChannel channel =
        FileChannel.open(
            path.resolve(ACKED), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.wrap(line);
      while (buffer.hasRemaining()) {
        channel.write(buffer, buffer.position());
      }
    }
  }

  /**
   * The highest sequence whose order in Kafka may be broken ({@link #writeReordered}); -1 when
   * none. A damaged file counts as "every sequence": it only costs a longer resend.
   */
  long readReordered() {
    Path file = path.resolve(REORDERED);
    if (!Files.exists(file)) {
      return -1;
    }
    try {
      return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).strip());
    } catch (IOException | NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  /**
   * Records that the run's records through {@code sequence} may be in Kafka out of sequence order;
   * written before anything is sent after the failure that broke the order.
   */
  synchronized void writeReordered(long sequence) throws IOException {
    writeNumber(REORDERED, sequence);
  }

  private void writeNumber(String name, long value) throws IOException {
    Path tmp = path.resolve(name + ".tmp");
    Files.writeString(tmp, value + "\n", StandardCharsets.US_ASCII);
    Files.move(tmp, path.resolve(name), StandardCopyOption.ATOMIC_MOVE);
  }
}
