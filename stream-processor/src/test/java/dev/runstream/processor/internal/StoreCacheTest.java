package dev.runstream.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

class StoreCacheTest {
  /** A store in memory that records every write it gets. */
  private static final class RecordingStore implements KeyValueStore<String, Long> {
    final Map<String, Long> data = new TreeMap<>();
    final List<String> writes = new ArrayList<>();

    @Override
    public void put(String key, Long value) {
      writes.add("put " + key + "=" + value);
      data.put(key, value);
    }

    @Override
    public Long delete(String key) {
      writes.add("delete " + key);
      return data.remove(key);
    }

    @Override
    public Long get(String key) {
      return data.get(key);
    }

    @Override
    public Long putIfAbsent(String key, Long value) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void putAll(List<KeyValue<String, Long>> entries) {
      throw new UnsupportedOperationException();
    }

    @Override
    public KeyValueIterator<String, Long> range(String from, String to) {
      throw new UnsupportedOperationException();
    }

    @Override
    public KeyValueIterator<String, Long> all() {
      throw new UnsupportedOperationException();
    }

    @Override
    public long approximateNumEntries() {
      return data.size();
    }

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {}

    @Override
    public void close() {}

    @Override
    public boolean persistent() {
      return false;
    }

    @Override
    public boolean isOpen() {
      return true;
    }
  }

  @Test
  void shouldWriteEachChangedValueOnceWhenAskedAndNotBefore() {
    RecordingStore store = new RecordingStore();
    StoreCache<Long> cache = new StoreCache<>(store, 10);

    for (long i = 1; i <= 100; i++) {
      cache.put("a", i);
      cache.put("b", -i);
    }

    assertThat(store.writes).as("nothing written before the commit").isEmpty();
    assertThat(cache.get("a")).isEqualTo(100L);
    cache.writeDirty();
    assertThat(store.writes).containsExactly("put a=100", "put b=-100");
    cache.writeDirty();
    assertThat(store.writes).as("nothing changed since").hasSize(2);
  }

  @Test
  void shouldWriteADirtyValueBeforeDroppingItFromTheCache() {
    RecordingStore store = new RecordingStore();
    StoreCache<Long> cache = new StoreCache<>(store, 2);

    cache.put("a", 1L);
    cache.put("b", 2L);
    cache.put("c", 3L);

    assertThat(store.writes).containsExactly("put a=1");
    assertThat(cache.get("a")).as("read back from the store").isEqualTo(1L);
    cache.writeDirty();
    assertThat(store.data).containsEntry("a", 1L).containsEntry("b", 2L).containsEntry("c", 3L);
  }

  @Test
  void shouldWriteOneKeyOrDeleteItAtOnceAndDropDirtyValuesOnClear() {
    RecordingStore store = new RecordingStore();
    StoreCache<Long> cache = new StoreCache<>(store, 10);
    cache.put("a", 1L);
    cache.put("b", 2L);
    cache.put("c", 3L);

    cache.write("a");
    cache.delete("b");
    assertThat(store.writes).containsExactly("put a=1", "delete b");

    cache.clear();
    cache.writeDirty();
    assertThat(store.writes).as("c was never committed: dropped").hasSize(2);
    assertThat(cache.get("c")).isNull();
    assertThat(cache.get("a")).isEqualTo(1L);
  }

  @Test
  void shouldWriteDirtyValuesBeforeHandingOutTheStoreForAScan() {
    RecordingStore store = new RecordingStore();
    StoreCache<Long> cache = new StoreCache<>(store, 10);
    cache.put("a", 1L);

    assertThat(cache.store().get("a")).isEqualTo(1L);
  }

  @Test
  void shouldKeepWhatIsPutBackAfterAReadDeleteOrEvictionOfTheSameKey() {
    RecordingStore store = new RecordingStore();
    StoreCache<Long> cache = new StoreCache<>(store, 2);
    cache.put("a", 1L);
    cache.writeDirty();

    assertThat(cache.get("a")).isEqualTo(1L);
    cache.put("a", 2L);
    cache.delete("a");
    cache.put("a", 3L);
    cache.put("b", 4L);
    cache.put("c", 5L); // evicts a, written first
    cache.put("a", 6L); // evicts b, written first
    cache.writeDirty();

    assertThat(store.writes.subList(0, 4))
        .containsExactly("put a=1", "delete a", "put a=3", "put b=4");
    // The commit's writes of different keys: in any order.
    assertThat(store.writes.subList(4, store.writes.size()))
        .containsExactlyInAnyOrder("put c=5", "put a=6");
    assertThat(store.data).containsEntry("a", 6L).containsEntry("b", 4L).containsEntry("c", 5L);
  }
}
