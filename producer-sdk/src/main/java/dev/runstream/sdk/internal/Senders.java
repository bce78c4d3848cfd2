package dev.runstream.sdk.internal;

import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads every run of the process shares: a small fixed pool of sender threads that take turns
 * over the runs with work to do, a timer for heartbeats, system metrics and retries, and a thread
 * that forces journals to the device.
 *
 * <p>Fairness: a run with work is queued once; a sender thread gives it one turn ({@link
 * Task#turn()}, a bounded quantum of records) and puts it back at the end of the queue if it has
 * more. So a run with a large backlog gets one quantum while each other run with work gets one too:
 * a run logging a few points waits for at most one quantum of each other busy run, never for a
 * backlog.
 */
final class Senders {
  private static final Logger log = LoggerFactory.getLogger(Senders.class);

  /** The sender threads of the process-wide instance. */
  static final int DEFAULT_THREADS =
      Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));

  private static volatile Senders shared;

  /** One turn of a run: sends at most a quantum; true if it has more to do at once. */
  interface Task {
    boolean turn();
  }

  private static final int IDLE = 0;
  private static final int QUEUED = 1;
  private static final int RUNNING = 2;
  private static final int RUNNING_WOKEN = 3;

  /** A registered task and whether it is queued or running (never twice at once). */
  final class Slot {
    private final Task task;
    private final AtomicInteger state = new AtomicInteger(IDLE);

    private Slot(Task task) {
      this.task = task;
    }

    /** Queues the task for a turn, unless it is queued; a running task gets another turn. */
    void wake() {
      while (true) {
        int s = state.get();
        if (s == IDLE) {
          if (state.compareAndSet(IDLE, QUEUED)) {
            ready.add(this);
            return;
          }
        } else if (s == RUNNING) {
          if (state.compareAndSet(RUNNING, RUNNING_WOKEN)) {
            return;
          }
        } else {
          return;
        }
      }
    }

    private void run() {
      state.set(RUNNING);
      boolean more;
      try {
        more = task.turn();
      } catch (RuntimeException | Error e) {
        log.error("a runstream sender turn failed; the run's records stay in its directory", e);
        more = false;
      }
      if (more || !state.compareAndSet(RUNNING, IDLE)) {
        state.set(QUEUED);
        ready.add(this);
      }
    }
  }

  private final LinkedBlockingQueue<Slot> ready = new LinkedBlockingQueue<>();
  private final Thread[] threads;
  private final ScheduledExecutorService timer;
  private final ScheduledExecutorService syncer;

  /**
   * @param threads sender threads
   * @param start whether to start them now (a test may queue work first, then {@link #start()})
   */
  Senders(int threads, boolean start) {
    this.threads = new Thread[threads];
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(this::work, "runstream-sender-" + i);
      t.setDaemon(true);
      this.threads[i] = t;
    }
    this.timer = daemonScheduler("runstream-timer");
    this.syncer = daemonScheduler("runstream-fsync");
    if (start) {
      start();
    }
  }

  /** The process-wide instance, made on first use. */
  static Senders shared() {
    Senders s = shared;
    if (s == null) {
      synchronized (Senders.class) {
        s = shared;
        if (s == null) {
          s = new Senders(DEFAULT_THREADS, true);
          shared = s;
        }
      }
    }
    return s;
  }

  private static ScheduledExecutorService daemonScheduler(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  void start() {
    for (Thread t : threads) {
      if (t.getState() == Thread.State.NEW) {
        t.start();
      }
    }
  }

  Slot register(Task task) {
    return new Slot(task);
  }

  /** Heartbeats, system metrics and retry wake-ups. Tasks must be short and never block. */
  ScheduledExecutorService timer() {
    return timer;
  }

  /** Forces journals to the device, off the timer's thread since a force can take a while. */
  ScheduledExecutorService syncer() {
    return syncer;
  }

  private void work() {
    while (true) {
      Slot slot;
      try {
        slot = ready.take();
      } catch (InterruptedException e) {
        return;
      }
      slot.run();
    }
  }
}
