package io.unblend.bench.store;

import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the measuring thread and the load threads share: counters that the load threads add to
 * without contention, a stop flag, and the first failure, which ends the run.
 */
final class RunControl {
  /** Operations completed: writes, or flushes in the flush workload. */
  final LongAdder operations = new LongAdder();

  /** Bytes of writes completed; the run ends early before the log could fill up. */
  final LongAdder bytes = new LongAdder();

  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile boolean stopping;

  boolean stopping() {
    return stopping;
  }

  void stop() {
    stopping = true;
  }

  /** Records the first failure and stops every load thread. */
  void fail(Throwable cause) {
    failure.compareAndSet(null, cause);
    stopping = true;
  }

  Throwable failure() {
    return failure.get();
  }
}
