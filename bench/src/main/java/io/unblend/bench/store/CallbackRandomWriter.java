package io.unblend.bench.store;

import io.unblend.logstore.Volume;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * A writer thread as an event loop drives the store (the NBD server attaches {@code whenComplete}
 * callbacks the same way): each completion runs a callback on the storage thread that marks its
 * slot done and wakes this thread only when it sleeps, so that one wakeup picks up every write
 * completed meanwhile. {@link RandomWriter} instead blocks in {@code join()} on each write, which
 * costs the storage thread one thread wakeup per write.
 */
final class CallbackRandomWriter implements Runnable {
  private static final long PARK_NANOS_MAX = TimeUnit.MILLISECONDS.toNanos(10);

  private final Volume volume;
  private final MemorySegment[] buffers;
  private final RunControl control;
  private final SplittableRandom random;
  private final long blockBytes;
  private final long volumeBlocks;
  private final AtomicIntegerArray done;
  private final AtomicBoolean sleeping = new AtomicBoolean();
  private final SlotCallback[] callbacks;
  private volatile Thread thread;
  private int inFlight;

  CallbackRandomWriter(Volume volume, MemorySegment[] buffers, RunControl control, long seed) {
    this.volume = volume;
    this.buffers = buffers;
    this.control = control;
    this.random = new SplittableRandom(seed);
    this.blockBytes = buffers[0].byteSize();
    this.volumeBlocks = volume.sizeBytes() / blockBytes;
    this.done = new AtomicIntegerArray(buffers.length);
    // One callback object per slot, made once: the loop allocates none of its own.
    this.callbacks = new SlotCallback[buffers.length];
    for (int slot = 0; slot < buffers.length; slot++) {
      callbacks[slot] = new SlotCallback(slot);
    }
  }

  private final class SlotCallback implements BiConsumer<Object, Throwable> {
    private final int slot;

    SlotCallback(int slot) {
      this.slot = slot;
    }

    @Override
    public void accept(Object ignored, Throwable failure) {
      completed(slot, failure);
    }
  }

  /** Runs on the storage thread (or here, when the write was done before the callback was set). */
  private void completed(int slot, Throwable failure) {
    if (failure != null) {
      control.fail(failure);
    }
    done.set(slot, 1);
    if (sleeping.get() && sleeping.compareAndSet(true, false)) {
      LockSupport.unpark(thread);
    }
  }

  @Override
  public void run() {
    thread = Thread.currentThread();
    for (int slot = 0; slot < buffers.length; slot++) {
      issue(slot);
    }
    while (inFlight > 0) {
      int reaped = 0;
      for (int slot = 0; slot < buffers.length; slot++) {
        if (done.get(slot) == 1) {
          done.set(slot, 0);
          inFlight--;
          reaped++;
          if (!control.stopping()) {
            control.operations.increment();
            control.bytes.add(blockBytes);
            issue(slot);
          }
        }
      }
      if (reaped == 0) {
        sleeping.set(true);
        if (!anyDone()) {
          LockSupport.parkNanos(this, PARK_NANOS_MAX);
        }
        sleeping.set(false);
      }
    }
  }

  private boolean anyDone() {
    for (int slot = 0; slot < buffers.length; slot++) {
      if (done.get(slot) == 1) {
        return true;
      }
    }
    return false;
  }

  private void issue(int slot) {
    inFlight++;
    long offsetBytes = random.nextLong(volumeBlocks) * blockBytes;
    volume.write(offsetBytes, buffers[slot], false).whenComplete(callbacks[slot]);
  }
}
