package dev.runstream.deploy.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.List;

/** File helpers. */
public final class IoUtil {
  private static final int TAIL_BYTES = 16 * 1024;

  private IoUtil() {}

  /**
   * Returns the last {@code lines} lines of a log file, or a note when it is missing. Reads at most
   * the last 16 KiB, so it is cheap on a large log.
   *
   * @param file the log file
   * @param lines how many lines
   * @return the tail, never {@code null}
   */
  public static String tail(Path file, int lines) {
    if (file == null || !Files.isRegularFile(file)) {
      return "(no log file " + file + ")";
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long length = raf.length();
      long start = Math.max(0, length - TAIL_BYTES);
      byte[] buffer = new byte[(int) (length - start)];
      raf.seek(start);
      raf.readFully(buffer);
      String text = new String(buffer, StandardCharsets.UTF_8);
      List<String> all = Arrays.asList(text.split("\r?\n", -1));
      int from = Math.max(0, all.size() - lines);
      return String.join("\n", all.subList(from, all.size())).strip();
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  /**
   * Deletes a directory tree; missing files are ignored.
   *
   * @param dir the directory
   */
  public static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
              if (exc instanceof NoSuchFileException) {
                return FileVisitResult.CONTINUE;
              }
              throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  /**
   * Writes a UTF-8 text file, creating parent directories.
   *
   * @param file the file
   * @param text the content
   */
  public static void write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /**
   * Creates a directory and its parents.
   *
   * @param dir the directory
   * @return {@code dir}
   */
  public static Path mkdirs(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }
}
