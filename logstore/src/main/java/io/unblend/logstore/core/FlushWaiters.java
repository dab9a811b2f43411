package io.unblend.logstore.core;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * Flushes (and FUA writes) waiting for a datasync that covers a batch sequence. Waiters arrive with
 * non-decreasing sequences, so one datasync answers a prefix of the queue at once: this is where
 * flush-heavy workloads win.
 */
final class FlushWaiters {
  /** A flush, or a FUA write ({@code request} non-null) whose admitted bytes go back on release. */
  record Waiter(long requiredSequence, CompletableFuture<Void> future, Request.Logged request) {}

  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

  void add(Waiter waiter) {
    Waiter last = waiters.peekLast();
    if (last != null && last.requiredSequence() > waiter.requiredSequence()) {
      throw new IllegalStateException(
          "flush waiters out of order: "
              + waiter.requiredSequence()
              + " after "
              + last.requiredSequence());
    }
    waiters.addLast(waiter);
  }

  /** The sequence the oldest waiter needs durable, or -1 when none waits. */
  long oldestRequired() {
    Waiter first = waiters.peekFirst();
    return first == null ? -1 : first.requiredSequence();
  }

  /** Removes and returns the oldest waiter if its sequence is durable, else null. */
  Waiter pollDurable(long durableSequence) {
    Waiter first = waiters.peekFirst();
    return first != null && first.requiredSequence() <= durableSequence
        ? waiters.pollFirst()
        : null;
  }

  /** Removes and returns the oldest waiter, or null. */
  Waiter poll() {
    return waiters.pollFirst();
  }
}
