package io.unblend.bench.store;

import io.unblend.logstore.Volume;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * One writer thread: keeps {@code inFlight} writes of one block each in flight on one volume, at
 * uniformly random block-aligned offsets, as fio's randwrite does. Each slot owns its buffer and
 * waits for its own write before reusing it; writes of one thread complete in submission order
 * (batches complete in sequence), so waiting on the slots in turn keeps the depth full.
 */
final class RandomWriter implements Runnable {
  private final Volume volume;
  private final MemorySegment[] buffers;
  private final RunControl control;
  private final SplittableRandom random;
  private final long blockBytes;
  private final long volumeBlocks;
  private final CompletableFuture<?>[] pending;

  RandomWriter(Volume volume, MemorySegment[] buffers, RunControl control, long seed) {
    this.volume = volume;
    this.buffers = buffers;
    this.control = control;
    this.random = new SplittableRandom(seed);
    this.blockBytes = buffers[0].byteSize();
    this.volumeBlocks = volume.sizeBytes() / blockBytes;
    this.pending = new CompletableFuture<?>[buffers.length];
  }

  @Override
  public void run() {
    try {
      for (int slot = 0; slot < pending.length; slot++) {
        pending[slot] = writeFrom(slot);
      }
      int slot = 0;
      while (!control.stopping()) {
        pending[slot].join();
        control.operations.increment();
        control.bytes.add(blockBytes);
        pending[slot] = writeFrom(slot);
        slot = slot + 1 == pending.length ? 0 : slot + 1;
      }
    } catch (RuntimeException e) {
      control.fail(e);
    } finally {
      // The buffers must not be freed while the store may still copy from them.
      for (CompletableFuture<?> write : pending) {
        if (write != null) {
          write.exceptionally(failure -> null).join();
        }
      }
    }
  }

  private CompletableFuture<Void> writeFrom(int slot) {
    long offsetBytes = random.nextLong(volumeBlocks) * blockBytes;
    return volume.write(offsetBytes, buffers[slot], false);
  }
}
