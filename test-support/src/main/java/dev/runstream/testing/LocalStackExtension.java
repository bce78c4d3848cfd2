package dev.runstream.testing;

import dev.runstream.deploy.LocalStack;
import dev.runstream.deploy.LocalStackException;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests the real servers: starts one {@link LocalStack} per test JVM the first time a test
 * class using this extension runs, shares it with every other such class, and closes it when the
 * JUnit run ends.
 *
 * <pre>{@code
 * @ExtendWith(LocalStackExtension.class)
 * class MyIT {
 *   @Test
 *   void works(LocalStack stack) {          // or in a @BeforeAll / constructor parameter
 *     String bootstrap = stack.kafkaBootstrap();
 *   }
 * }
 * }</pre>
 *
 * <p>{@link LocalStack#start()} defaults apply, so {@code KAFKA_BOOTSTRAP}, {@code
 * SCHEMA_REGISTRY_URL} and {@code CLICKHOUSE_URL} point the tests at running servers. Tests never
 * skip: if the stack cannot start, every test class using the extension fails with the launcher's
 * message (the stack is attempted once per JVM; later classes get the same failure at once).
 *
 * <p>Tests may stop and start individual servers (e.g. {@code stack.kafka().stop()}) but should
 * leave them running, since the stack is shared.
 *
 * <p>Testcontainers is not used: the stack always runs as local processes, Docker engine or not.
 * Running against containers works by starting them elsewhere and setting the three variables.
 *
 * <p>Thread-safe: test classes running in parallel wait for the same start.
 */
public final class LocalStackExtension implements BeforeAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(LocalStackExtension.class);

  private static volatile LocalStack current;

  /** Creates the extension; JUnit does this for {@code @ExtendWith}. */
  public LocalStackExtension() {}

  /**
   * Returns the shared stack, for code that cannot take a parameter (e.g. static helpers).
   *
   * @return the running stack
   * @throws IllegalStateException if no test class using this extension has started yet
   */
  public static LocalStack stack() {
    LocalStack stack = current;
    if (stack == null) {
      throw new IllegalStateException(
          "no LocalStack yet: annotate the test class with @ExtendWith(LocalStackExtension.class)");
    }
    return stack;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    stack(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == LocalStack.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return stack(context);
  }

  private static LocalStack stack(ExtensionContext context) {
    // The root store lives for the whole run and closes AutoCloseable values at its end.
    return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(SharedStack.class).get();
  }

  /** The stack, started lazily once; a failed start is remembered and rethrown. */
  static final class SharedStack implements AutoCloseable {
    private LocalStack stack;
    private LocalStackException failure;

    synchronized LocalStack get() {
      if (stack != null) {
        return stack;
      }
      if (failure != null) {
        throw new LocalStackException(
            "the shared LocalStack failed to start earlier in this JVM: " + failure.getMessage(),
            failure);
      }
      try {
        stack = LocalStack.start();
        current = stack;
        return stack;
      } catch (LocalStackException e) {
        failure = e;
        throw e;
      } catch (RuntimeException e) {
        failure = new LocalStackException("the shared LocalStack failed to start: " + e, e);
        throw failure;
      }
    }

    @Override
    public synchronized void close() {
      if (stack != null) {
        current = null;
        stack.close();
        stack = null;
      }
    }
  }
}
