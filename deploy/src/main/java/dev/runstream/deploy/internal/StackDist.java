package dev.runstream.deploy.internal;

import dev.runstream.deploy.LocalStackException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Where the build put the server distributions: {@code kafka-libs/} (the broker classpath) and
 * {@code apicurio/} (the unpacked registry tarball).
 *
 * @param root the stack-dist directory
 * @param origin how it was found, for messages
 */
public record StackDist(Path root, String origin) {

  /** System property overriding the location. */
  public static final String PROPERTY = "runstream.stack.dist";

  /** Environment variable overriding the location. */
  public static final String ENV = "RUNSTREAM_STACK_DIST";

  /** Classpath resource the build writes (filtered) with {@code stack.dist=<path>}. */
  public static final String RESOURCE = "dev/runstream/deploy/stack-dist.properties";

  private static final String HOW_TO_BUILD =
      "build it with `mvn -pl deploy -am generate-resources` (any later phase works too), or"
          + " point -D"
          + PROPERTY
          + " / "
          + ENV
          + " at a stack-dist directory";

  /**
   * Finds the stack-dist directory: an explicit path, else the system property, else the
   * environment variable, else the build-time classpath resource. Does not check the content; see
   * {@link #kafkaClasspath()} and {@link #apicurioRunnerJar()}.
   *
   * @param explicit a path from the builder, if any
   * @param properties system property lookup
   * @param env environment
   * @param loader where to look for the resource
   * @return the location
   */
  public static StackDist locate(
      Optional<Path> explicit,
      UnaryOperator<String> properties,
      Map<String, String> env,
      ClassLoader loader) {
    if (explicit.isPresent()) {
      return new StackDist(explicit.get().toAbsolutePath(), "builder");
    }
    String prop = properties.apply(PROPERTY);
    if (prop != null && !prop.isBlank()) {
      return new StackDist(Path.of(prop.strip()).toAbsolutePath(), "-D" + PROPERTY);
    }
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new StackDist(Path.of(fromEnv.strip()).toAbsolutePath(), ENV);
    }
    try (InputStream in = loader.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new LocalStackException(
            "cannot locate the stack distribution: no "
                + RESOURCE
                + " on the classpath; "
                + HOW_TO_BUILD);
      }
      Properties p = new Properties();
      p.load(in);
      String value = p.getProperty("stack.dist");
      if (value == null || value.isBlank() || value.contains("${")) {
        throw new LocalStackException(
            RESOURCE
                + " was not filtered by the build (stack.dist="
                + value
                + "); "
                + HOW_TO_BUILD);
      }
      return new StackDist(Path.of(value.strip()), "classpath " + RESOURCE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  /**
   * Returns the broker's classpath as a {@code dir/*} wildcard, after checking the broker jar is
   * there.
   *
   * @return the classpath argument for {@code java -cp}
   * @throws LocalStackException if the jars are missing, saying how to build them
   */
  public String kafkaClasspath() {
    Path libs = root.resolve("kafka-libs");
    boolean present;
    try (Stream<Path> files = Files.list(libs)) {
      present = files.anyMatch(f -> f.getFileName().toString().startsWith("kafka_2.13-"));
    } catch (IOException e) {
      present = false;
    }
    if (!present) {
      throw new LocalStackException(
          "kafka: no kafka_2.13 jar in "
              + libs
              + " (stack-dist from "
              + origin
              + "); "
              + HOW_TO_BUILD);
    }
    // The java launcher expands "dir/*" itself, which keeps the command line short.
    return libs + "/*";
  }

  /**
   * Returns the Apicurio Registry runner jar.
   *
   * @return the {@code *-runner.jar} under {@code apicurio/}
   * @throws LocalStackException if it is missing, saying how to build it
   */
  public Path apicurioRunnerJar() {
    Path dir = root.resolve("apicurio");
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.walk(dir, 4)) {
        Optional<Path> jar =
            files
                .filter(f -> f.getFileName().toString().endsWith("-runner.jar"))
                .min(Comparator.comparing(Path::toString));
        if (jar.isPresent()) {
          return jar.get();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + dir, e);
      }
    }
    throw new LocalStackException(
        "schema-registry: no Apicurio *-runner.jar under "
            + dir
            + " (stack-dist from "
            + origin
            + "); "
            + HOW_TO_BUILD);
  }
}
