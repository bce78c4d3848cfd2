package dev.runstream.processor.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A key-value store seen through a bounded cache of its deserialized values, for a processor that
 * reads and rewrites the same few keys on every record. Reads of a cached key cost no
 * deserialization; writes go through to the store at once (whose own record cache coalesces them
 * into one changelog record per key and commit), so the store stays the truth that exactly-once
 * commits and restores.
 *
 * <p>Values are mutable and shared with the cache: a caller that changed a value it read must put
 * it back, or {@link #evict} it when it gives up halfway (after an exception), so that the cache
 * never holds what the store does not. The owner {@link #clear}s it whenever its task is
 * (re)initialised or closed, because the store may then be wiped and restored from the changelog.
 * Not thread-safe: one per processor instance, used by its stream thread only.
 */
final class StoreCache<V> {
  private final KeyValueStore<String, V> store;
  private final Map<String, V> values;

  /**
   * @param maxEntries how many values to keep; the least recently used is dropped beyond
   */
  StoreCache(KeyValueStore<String, V> store, int maxEntries) {
    this.store = Objects.requireNonNull(store, "store");
    if (maxEntries <= 0) {
      throw new IllegalArgumentException("maxEntries must be positive: " + maxEntries);
    }
    this.values =
        new LinkedHashMap<>(256, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
            return size() > maxEntries;
          }
        };
  }

  /** The value of {@code key}, or null. */
  V get(String key) {
    V v = values.get(key);
    if (v == null) {
      v = store.get(key);
      if (v != null) {
        values.put(key, v);
      }
    }
    return v;
  }

  /** Writes {@code value} to the store and keeps it. */
  void put(String key, V value) {
    store.put(key, value);
    values.put(key, value);
  }

  /** Deletes {@code key} from the store and the cache. */
  void delete(String key) {
    store.delete(key);
    values.remove(key);
  }

  /** Forgets the cached value of {@code key}; the store keeps its own. */
  void evict(String key) {
    values.remove(key);
  }

  /** Forgets every cached value. */
  void clear() {
    values.clear();
  }

  /** The underlying store, for scans. */
  KeyValueStore<String, V> store() {
    return store;
  }
}
