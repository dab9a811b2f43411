package io.unblend.nbd.transmission;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Keeps every read-modify-write of one volume apart from every other change to the sectors it
 * covers. A read-modify-write reads whole sectors, patches some of their bytes and writes them
 * back; a write, trim or zero of those sectors that is still in flight when it reads, or that
 * arrives before it writes back, would be undone by the old bytes it writes back. So a
 * read-modify-write starts only when no change to its sectors is in flight, and changes to its
 * sectors that arrive after it wait until it has finished. Shared by every connection to the
 * volume.
 *
 * <p>Changes take one of two paths:
 *
 * <ul>
 *   <li><b>Direct</b>, while no read-modify-write is queued: an aligned change only counts itself
 *       in ({@link #enterDirect}) and out again when the volume answers ({@link
 *       #leaveDirectWhenDone}). That costs two atomic updates of one counter shared by the volume's
 *       connections, up to three volatile reads, and the 64 bytes that attaching a callback
 *       allocated once to the volume's future takes (a completion node and its dependent future);
 *       the storage thread runs the callback. No lock, no per-request lambda. Direct changes are
 *       not told apart by range, so a read-modify-write waits until all of them have finished; as
 *       no change goes direct while it is queued, that wait ends.
 *   <li><b>Queued</b>, while any read-modify-write is queued: changes take this object's lock and
 *       wait, as futures, behind every earlier queued change they conflict with. Two changes
 *       conflict when their ranges overlap and at least one is a read-modify-write; aligned changes
 *       never wait for each other. Waiting only for earlier changes keeps the waits free of cycles,
 *       and a read-modify-write cannot be starved by changes that arrive after it. Queuing a
 *       read-modify-write looks at every queued change, at most the requests in flight on the
 *       volume's connections (each connection's limit times their number).
 * </ul>
 *
 * <p>A queued change that can start when it is queued starts on the caller's thread, like a direct
 * one. One released by another's completion starts on {@code executor}: that completion usually
 * runs on the storage thread, and a volume write may wait there for admission, which that very
 * thread grants. A change that fails, or throws instead of returning a future, answers its caller
 * with the failure and releases the changes behind it like one that succeeded.
 */
final class ReadModifyWriteOrder {
  private final Executor executor;

  /** Direct changes in flight, and changes checking whether they may go direct. */
  private final AtomicLong directInFlight = new AtomicLong();

  private final BiConsumer<Object, Throwable> directDone = (ignored, failure) -> leaveDirect();

  /**
   * The size of {@link #readModifyWrites}, written under the lock and read without it by changes
   * deciding whether they may go direct.
   */
  private volatile int readModifyWritesQueued;

  // Under the lock: the queued changes that are waiting or in flight, in no particular order.
  private final List<QueuedChange> readModifyWrites = new ArrayList<>();
  private final Set<QueuedChange> alignedChanges = new HashSet<>();

  ReadModifyWriteOrder(Executor executor) {
    this.executor = executor;
  }

  /**
   * Whether an aligned change may go straight to the volume. If so, the caller must hand the
   * volume's future to {@link #leaveDirectWhenDone}; if not, it must {@link #queueAligned} it.
   */
  boolean enterDirect() {
    if (readModifyWritesQueued != 0) {
      return false;
    }
    directInFlight.incrementAndGet();
    // A read-modify-write counts itself in readModifyWritesQueued before it reads directInFlight,
    // and this change counts itself in before it reads readModifyWritesQueued again: so either the
    // read-modify-write sees this change and waits for it, or this change sees it and queues.
    if (readModifyWritesQueued == 0) {
      return true;
    }
    leaveDirect();
    return false;
  }

  /** Counts a direct change out when {@code done} completes; returns {@code done}. */
  CompletableFuture<Void> leaveDirectWhenDone(CompletableFuture<Void> done) {
    done.whenComplete(directDone);
    return done;
  }

  /**
   * Runs an aligned change of {@code lengthBytes} at {@code offsetBytes} once no earlier
   * read-modify-write of an overlapping range is queued.
   */
  CompletableFuture<Void> queueAligned(
      long offsetBytes, long lengthBytes, Supplier<CompletableFuture<Void>> change) {
    return queue(new QueuedChange(offsetBytes, lengthBytes, false), change);
  }

  /**
   * Runs a read-modify-write once no direct change and no earlier queued change of an overlapping
   * range is in flight. The range is the whole sectors it reads and writes back, not just the bytes
   * it patches.
   */
  CompletableFuture<Void> queueReadModifyWrite(
      long offsetBytes, long lengthBytes, Supplier<CompletableFuture<Void>> change) {
    return queue(new QueuedChange(offsetBytes, lengthBytes, true), change);
  }

  private CompletableFuture<Void> queue(
      QueuedChange queued, Supplier<CompletableFuture<Void>> change) {
    boolean startNow;
    synchronized (this) {
      for (QueuedChange earlier : readModifyWrites) {
        queued.waitFor(earlier);
      }
      if (queued.readModifyWrite) {
        for (QueuedChange earlier : alignedChanges) {
          queued.waitFor(earlier);
        }
        readModifyWrites.add(queued);
        readModifyWritesQueued = readModifyWrites.size();
      } else {
        alignedChanges.add(queued);
      }
      startNow = tryStart(queued);
    }
    // Both forms turn an exception thrown by the change into a failed future.
    CompletableFuture<Void> done =
        startNow
            ? CompletableFuture.<Void>completedFuture(null).thenCompose(ignored -> change.get())
            : queued.released.thenComposeAsync(ignored -> change.get(), executor);
    done.whenComplete((ignored, failure) -> finished(queued));
    return done;
  }

  private void leaveDirect() {
    if (directInFlight.decrementAndGet() != 0 || readModifyWritesQueued == 0) {
      return;
    }
    List<QueuedChange> startable = new ArrayList<>();
    synchronized (this) {
      for (QueuedChange queued : readModifyWrites) {
        if (tryStart(queued)) {
          startable.add(queued);
        }
      }
    }
    release(startable);
  }

  private void finished(QueuedChange queued) {
    List<QueuedChange> startable = new ArrayList<>();
    synchronized (this) {
      if (queued.readModifyWrite) {
        readModifyWrites.remove(queued);
        readModifyWritesQueued = readModifyWrites.size();
      } else {
        alignedChanges.remove(queued);
      }
      for (QueuedChange later : queued.waitingBehind) {
        later.waitingFor--;
        if (tryStart(later)) {
          startable.add(later);
        }
      }
    }
    release(startable);
  }

  /** Marks {@code queued} started if nothing holds it back any more; under the lock. */
  private boolean tryStart(QueuedChange queued) {
    if (queued.started
        || queued.waitingFor > 0
        || (queued.readModifyWrite && directInFlight.get() != 0)) {
      return false;
    }
    queued.started = true;
    return true;
  }

  /** Outside the lock, because completing a future runs whatever waits for it. */
  private static void release(List<QueuedChange> startable) {
    for (QueuedChange queued : startable) {
      queued.released.complete(null);
    }
  }

  /** A queued change; its fields other than {@code released} are guarded by the order's lock. */
  private static final class QueuedChange {
    final long startBytes;
    final long endBytes;
    final boolean readModifyWrite;

    /** Completed when the change may start. */
    final CompletableFuture<Void> released = new CompletableFuture<>();

    /** Later changes that conflict with this one: each waits for it to finish. */
    final List<QueuedChange> waitingBehind = new ArrayList<>(0);

    /** Earlier conflicting changes that have not finished. */
    int waitingFor;

    boolean started;

    QueuedChange(long offsetBytes, long lengthBytes, boolean readModifyWrite) {
      this.startBytes = offsetBytes;
      this.endBytes = offsetBytes + lengthBytes;
      this.readModifyWrite = readModifyWrite;
    }

    void waitFor(QueuedChange earlier) {
      if (startBytes < earlier.endBytes && earlier.startBytes < endBytes) {
        earlier.waitingBehind.add(this);
        waitingFor++;
      }
    }
  }
}
