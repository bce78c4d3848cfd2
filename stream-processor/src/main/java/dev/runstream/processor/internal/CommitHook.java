package dev.runstream.processor.internal;

import java.util.Map;
import java.util.Objects;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * A state store that holds nothing and calls its processor back just before each commit of its
 * task, inside the transaction being committed: the moment a processor that keeps its state in
 * memory must write what changed to its stores, so that the changelog records travel in the same
 * exactly-once transaction as the input offsets they account for.
 *
 * <p>Kafka Streams 4.4 has no public pre-commit callback for processors ({@code StateStore.commit}
 * runs after the transaction committed). What it does call, in {@code StreamTask.prepareCommit}
 * before it flushes the producer and commits the offsets in the transaction, is {@code
 * flushCache()} of every store of the task that is a {@link CachedStateStore}: the hook its own
 * record caches use to forward and log their dirty entries. This store implements that internal
 * interface. ExactlyOnceRestartIT (kills mid-transaction) and the {@code TopologyTestDriver} tests
 * (which commit through the same {@code prepareCommit}) fail should a Kafka version stop calling
 * it.
 *
 * <p>Not persistent and without a changelog. Used by the stream thread of its task only.
 */
public final class CommitHook implements StateStore, CachedStateStore<Void, Void> {
  /** What the hook calls. */
  public interface Listener {
    /** Writes what the processor holds in memory to its stores; called before each commit. */
    void beforeCommit();
  }

  private final String name;
  private volatile boolean open;
  private Listener listener;

  private CommitHook(String name) {
    this.name = Objects.requireNonNull(name, "name");
  }

  /** A builder of the hook store named {@code name}, to add to the topology. */
  public static StoreBuilder<CommitHook> builder(String name) {
    return new Builder(name);
  }

  /** Sets what to call before each commit; replaces the previous listener. */
  public void listen(Listener listener) {
    this.listener = listener;
  }

  @Override
  public void flushCache() {
    Listener l = listener;
    if (l != null && open) {
      l.beforeCommit();
    }
  }

  @Override
  public void clearCache() {
    // Nothing cached here; the processor drops its memory itself when it is closed.
  }

  @Override
  public boolean setFlushListener(CacheFlushListener<Void, Void> listener, boolean sendOldValues) {
    return false;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    context.register(root, (key, value) -> {});
    open = true;
  }

  @Override
  public void close() {
    open = false;
    listener = null;
  }

  @Override
  public boolean persistent() {
    return false;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  private static final class Builder implements StoreBuilder<CommitHook> {
    private final String name;

    Builder(String name) {
      this.name = Objects.requireNonNull(name, "name");
    }

    @Override
    public StoreBuilder<CommitHook> withCachingEnabled() {
      return this;
    }

    @Override
    public StoreBuilder<CommitHook> withCachingDisabled() {
      return this;
    }

    @Override
    public StoreBuilder<CommitHook> withLoggingEnabled(Map<String, String> config) {
      return this;
    }

    @Override
    public StoreBuilder<CommitHook> withLoggingDisabled() {
      return this;
    }

    @Override
    public CommitHook build() {
      return new CommitHook(name);
    }

    @Override
    public Map<String, String> logConfig() {
      return Map.of();
    }

    @Override
    public boolean loggingEnabled() {
      return false;
    }

    @Override
    public String name() {
      return name;
    }
  }
}
