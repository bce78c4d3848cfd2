package dev.runstream.processor.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
  /** A cached value and whether the store has yet to get it. */
  private static final class Entry<V> {
    V value;
    boolean dirty;

    Entry(V value) {
      this.value = value;
    }
  }

  private final KeyValueStore<String, V> store;
  private final Map<String, Entry<V>> values;

  /**
   * Keys made dirty since the last {@link #writeDirty}, in order; a key may be listed twice, or no
   * longer be dirty (written, deleted), which its entry's flag tells.
   */
  private final List<String> dirty = new ArrayList<>();

  /**
   * The key last read or written and its entry: a processor reads a run's value and puts it back
   * within one record, and the put then costs no lookup. Null when unknown.
   */
  private String lastKey;

  private Entry<V> lastEntry;

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
          protected boolean removeEldestEntry(Map.Entry<String, Entry<V>> eldest) {
            if (size() <= maxEntries) {
              return false;
            }
            Entry<V> e = eldest.getValue();
            if (e.dirty) {
              e.dirty = false;
              store.put(eldest.getKey(), e.value);
            }
            if (e == lastEntry) {
              forgetLast();
            }
            return true;
          }
        };
  }

  /** The value of {@code key}, or null. */
  V get(String key) {
    Entry<V> e = values.get(key);
    if (e == null) {
      V v = store.get(key);
      if (v == null) {
        return null;
      }
      e = new Entry<>(v);
      values.put(key, e);
    }
    lastKey = key;
    lastEntry = e;
    return e.value;
  }

  /** Keeps {@code value}; the store gets it at the next {@link #writeDirty} or {@link #write}. */
  void put(String key, V value) {
    Objects.requireNonNull(value, "value");
    Entry<V> e;
    if (key == lastKey) {
      // Read or written last: already the most recently used entry, no lookup needed.
      e = lastEntry;
    } else {
      e = values.get(key);
      if (e == null) {
        e = new Entry<>(value);
        values.put(key, e);
      }
      lastKey = key;
      lastEntry = e;
    }
    e.value = value;
    if (!e.dirty) {
      e.dirty = true;
      dirty.add(key);
    }
  }

  /** Writes the value of {@code key} to the store now, if it is cached. */
  void write(String key) {
    forgetLast(); // the lookup below changes which entry is the most recently used
    Entry<V> e = values.get(key);
    if (e != null) {
      e.dirty = false;
      store.put(key, e.value);
    }
  }

  /** Deletes {@code key} from the store and the cache, at once. */
  void delete(String key) {
    Entry<V> e = values.remove(key);
    if (e != null) {
      e.dirty = false;
    }
    if (e == lastEntry) {
      forgetLast();
    }
    store.delete(key);
  }

  /** Writes every value changed since the last call to the store. */
  void writeDirty() {
    forgetLast();
    for (String key : dirty) {
      Entry<V> e = values.get(key);
      if (e != null && e.dirty) {
        e.dirty = false;
        store.put(key, e.value);
      }
    }
    dirty.clear();
  }

  /** Forgets every cached value, dirty ones too. */
  void clear() {
    values.clear();
    dirty.clear();
    forgetLast();
  }

  private void forgetLast() {
    lastKey = null;
    lastEntry = null;
  }

  /** The underlying store, for scans, with every dirty value written to it first. */
  KeyValueStore<String, V> store() {
    writeDirty();
    return store;
  }
}
