package io.unblend.bench.store;

import io.unblend.logstore.Volume;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * Writes a given number of bytes into one volume from the calling thread, with a fixed number of
 * writes in flight: in order from offset 0 (wrapping around), or at random block offsets. Used to
 * fill a log, not to time it.
 */
final class VolumeFiller {
  private VolumeFiller() {}

  /** Writes {@code totalBytes} in writes of the blocks' size; returns when all completed. */
  static void fill(Volume volume, DataBlocks blocks, long totalBytes, boolean random, long seed) {
    long writeBytes = blocks.get(0).byteSize();
    long volumeWrites = volume.sizeBytes() / writeBytes;
    SplittableRandom offsets = new SplittableRandom(seed);
    CompletableFuture<?>[] pending = new CompletableFuture<?>[blocks.count()];
    long writes = totalBytes / writeBytes;
    for (long write = 0; write < writes; write++) {
      int slot = (int) (write % pending.length);
      if (pending[slot] != null) {
        pending[slot].join();
      }
      long index = random ? offsets.nextLong(volumeWrites) : write % volumeWrites;
      pending[slot] = volume.write(index * writeBytes, blocks.get(slot), false);
    }
    for (CompletableFuture<?> write : pending) {
      if (write != null) {
        write.join();
      }
    }
  }
}
