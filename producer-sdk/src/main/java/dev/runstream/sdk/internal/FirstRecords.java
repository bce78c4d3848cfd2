package dev.runstream.sdk.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

/**
 * Per producer and partition, the producer's first record there, which everything else for the
 * partition waits for (see {@link Delivery}): one per producer, shared by every run that sends
 * through it, since the broker's state that the wait protects is the producer's per partition, not
 * the run's. Keys are {@code topic#partition}. Thread-safe.
 */
final class FirstRecords {
  private final ConcurrentHashMap<String, Gate> gates = new ConcurrentHashMap<>();

  /** The first record to a topic: open once Kafka acknowledged it. */
  static final class Gate {
    final CountDownLatch done = new CountDownLatch(1);
    volatile boolean acked;
    private final ConcurrentLinkedQueue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    void complete(boolean ok) {
      acked = ok;
      done.countDown();
      Runnable r;
      while ((r = waiting.poll()) != null) {
        r.run();
      }
    }

    /** Runs {@code wake} once the first record completed (at once if it has). */
    void whenDone(Runnable wake) {
      waiting.add(wake);
      if (done.getCount() == 0 && waiting.remove(wake)) {
        wake.run();
      }
    }
  }

  Gate get(String topic) {
    return gates.get(topic);
  }

  /** Makes {@code gate} the topic's first record, unless another is: then returns that one. */
  Gate claim(String topic, Gate gate) {
    return gates.putIfAbsent(topic, gate);
  }

  /** Takes back a first record the producer refused, so that another may be first. */
  void release(String topic, Gate gate) {
    gates.remove(topic, gate);
    gate.complete(false);
  }
}
