package dev.runstream.processor.internal;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A key-value store seen through a bounded write-back cache of its deserialized values, for a
 * processor that reads and rewrites the same few keys on every record. Reads of a cached key cost
 * no deserialization; {@link #put} only marks the key dirty, and {@link #writeDirty} serializes
 * each dirty value once into the store. The owner calls {@link #writeDirty} before every commit of
 * its task (see {@link CommitHook}), so what a commit makes durable is the cache's content, in the
 * same exactly-once transaction as the input offsets; and before it scans the store.
 *
 * <p>Values are mutable and shared with the cache: a caller that changed a value it read must put
 * it back. The owner {@link #clear}s the cache whenever its task is (re)initialised or closed:
 * after a failure the store is wiped and restored from the changelog, and the dirty values, never
 * committed, are dropped with the transaction that would have carried them. Not thread-safe: one
 * per processor instance, used by its stream thread only.
 */
final class StoreCache<V> {
  private final KeyValueStore<String, V> store;
  private final Map<String, V> values;
  private final Set<String> dirty = new LinkedHashSet<>();

  /**
   * @param maxEntries how many values to keep; the least recently used is dropped beyond, written
   *     to the store first if dirty
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
            if (size() <= maxEntries) {
              return false;
            }
            if (dirty.remove(eldest.getKey())) {
              store.put(eldest.getKey(), eldest.getValue());
            }
            return true;
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

  /** Keeps {@code value}; the store gets it at the next {@link #writeDirty} or {@link #write}. */
  void put(String key, V value) {
    values.put(key, Objects.requireNonNull(value, "value"));
    dirty.add(key);
  }

  /** Writes the value of {@code key} to the store now, if it is cached. */
  void write(String key) {
    V v = values.get(key);
    if (v != null) {
      dirty.remove(key);
      store.put(key, v);
    }
  }

  /** Deletes {@code key} from the store and the cache, at once. */
  void delete(String key) {
    dirty.remove(key);
    values.remove(key);
    store.delete(key);
  }

  /** Writes every value changed since the last call to the store. */
  void writeDirty() {
    for (String key : dirty) {
      store.put(key, values.get(key));
    }
    dirty.clear();
  }

  /** Forgets every cached value, dirty ones too. */
  void clear() {
    values.clear();
    dirty.clear();
  }

  /** The underlying store, for scans, with every dirty value written to it first. */
  KeyValueStore<String, V> store() {
    writeDirty();
    return store;
  }
}
