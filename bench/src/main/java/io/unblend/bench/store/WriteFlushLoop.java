package io.unblend.bench.store;

import io.unblend.logstore.Volume;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * One flusher thread: writes one block at a random offset, waits for it, flushes, waits for the
 * flush, and again: what a database that commits one page at a time asks of a disk. Counts
 * completed flushes.
 */
final class WriteFlushLoop implements Runnable {
  private final Volume volume;
  private final MemorySegment buffer;
  private final RunControl control;
  private final SplittableRandom random;
  private final long volumeBlocks;

  WriteFlushLoop(Volume volume, MemorySegment buffer, RunControl control, long seed) {
    this.volume = volume;
    this.buffer = buffer;
    this.control = control;
    this.random = new SplittableRandom(seed);
    this.volumeBlocks = volume.sizeBytes() / buffer.byteSize();
  }

  @Override
  public void run() {
    try {
      while (!control.stopping()) {
        long offsetBytes = random.nextLong(volumeBlocks) * buffer.byteSize();
        // A flush covers the writes that completed before it, so the write must complete first.
        volume.write(offsetBytes, buffer, false).join();
        control.bytes.add(buffer.byteSize());
        volume.flush().join();
        control.operations.increment();
      }
    } catch (RuntimeException e) {
      control.fail(e);
    }
  }
}
