package dev.runstream.server.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The files clients upload for their runs ({@code config.yaml}, {@code wandb-summary.json}, {@code
 * wandb-metadata.json}, {@code requirements.txt}, {@code output.log}, ...), kept under {@code <data
 * dir>/files/<team>/<project>/<run>/}.
 *
 * <p>The client PUTs a file to the URL {@code CreateRunFiles} returned, without its API key (the
 * URL is meant to be presigned), so each URL carries an HMAC of the file's place keyed by a secret
 * kept in the data directory: servers sharing the directory accept each other's URLs. Thread-safe.
 */
public final class FileStore {
  private static final String HMAC = "HmacSHA256";
  private final Path root;
  private final byte[] secret;

  public FileStore(Path dataDir) {
    this.root = dataDir.resolve("files");
    this.secret = secret(dataDir.resolve("upload-secret"));
  }

  /** The directory of a run's files. */
  public Path runDir(RunKey key) {
    return root.resolve(segment(key.team()))
        .resolve(segment(key.project()))
        .resolve(segment(key.runId()));
  }

  /**
   * The path of {@code name} under the run's directory.
   *
   * @throws WandbException 400 if the name would leave it
   */
  public Path file(RunKey key, String name) {
    Path dir = runDir(key);
    Path file = dir.resolve(name).normalize();
    if (name.isEmpty() || name.startsWith("/") || !file.startsWith(dir) || file.equals(dir)) {
      throw new WandbException(400, "file name '" + name + "' is not a path inside the run");
    }
    return file;
  }

  /** The signature an upload URL for {@code name} of the run carries. */
  public String sign(RunKey key, String name) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(secret, HMAC));
      byte[] sig =
          mac.doFinal(
              String.join("\n", key.team(), key.project(), key.runId(), name)
                  .getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no " + HMAC + " in this JVM", e);
    }
  }

  /** Whether {@code signature} is the one {@link #sign} gives; constant time. */
  public boolean verify(RunKey key, String name, String signature) {
    return signature != null
        && MessageDigest.isEqual(
            sign(key, name).getBytes(StandardCharsets.US_ASCII),
            signature.getBytes(StandardCharsets.US_ASCII));
  }

  /** Stores an upload: written beside the file, then moved over it, so readers see whole files. */
  public void put(RunKey key, String name, InputStream body) throws IOException {
    Path file = file(key, name);
    Files.createDirectories(file.getParent());
    Path tmp = Files.createTempFile(file.getParent(), ".upload-", ".tmp");
    try {
      Files.copy(body, tmp, StandardCopyOption.REPLACE_EXISTING);
      move(tmp, file);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Writes streamed lines ({@code output.log}, console output) at their line offset: a retried post
   * rewrites the same lines rather than appending them twice.
   */
  public synchronized void lines(RunKey key, String name, long offset, List<String> lines)
      throws IOException {
    Path file = file(key, name);
    Files.createDirectories(file.getParent());
    List<String> existing =
        Files.exists(file)
            ? new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8))
            : new ArrayList<>();
    while (existing.size() < offset) {
      existing.add("");
    }
    for (int i = 0; i < lines.size(); i++) {
      int at = (int) offset + i;
      String line = stripNewline(lines.get(i));
      if (at < existing.size()) {
        existing.set(at, line);
      } else {
        existing.add(line);
      }
    }
    Path tmp = Files.createTempFile(file.getParent(), ".output-", ".tmp");
    try {
      Files.write(tmp, existing, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
      move(tmp, file);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Appends lines to a run file the server writes itself (created when absent). */
  public synchronized void append(RunKey key, String name, List<String> lines) throws IOException {
    Path file = file(key, name);
    Files.createDirectories(file.getParent());
    Files.write(
        file,
        lines,
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND,
        StandardOpenOption.WRITE);
  }

  /** A name as one path segment: URL-encoded, so no team or project can climb out. */
  public static String segment(String name) {
    String s = URLEncoder.encode(name, StandardCharsets.UTF_8);
    return s.equals(".") || s.equals("..") ? s.replace(".", "%2E") : s;
  }

  private static String stripNewline(String line) {
    return line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static byte[] secret(Path file) {
    try {
      Files.createDirectories(file.getParent());
      if (!Files.exists(file)) {
        byte[] fresh = new byte[32];
        new SecureRandom().nextBytes(fresh);
        Path tmp = Files.createTempFile(file.getParent(), ".secret-", ".tmp");
        Files.write(tmp, fresh);
        try {
          // Two servers starting on one directory: the first secret written wins for both.
          Files.createLink(file, tmp);
        } catch (FileAlreadyExistsException raced) {
          // the other server's secret is the one
        } catch (UnsupportedOperationException | IOException noLinks) {
          if (!Files.exists(file)) {
            move(tmp, file);
          }
        } finally {
          Files.deleteIfExists(tmp);
        }
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the upload secret " + file, e);
    }
  }
}
