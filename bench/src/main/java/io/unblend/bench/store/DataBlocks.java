package io.unblend.bench.store;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * Write buffers allocated and filled once, before any timing, so that the measured loop allocates
 * none: 4 KiB-aligned native blocks from a shared arena (the storage thread copies from them), full
 * of pseudo-random bytes so that no block is a zero page.
 */
final class DataBlocks implements AutoCloseable {
  static final int ALIGNMENT_BYTES = 4096;

  private final Arena arena = Arena.ofShared();
  private final MemorySegment[] blocks;

  DataBlocks(int count, long blockBytes, long seed) {
    if (blockBytes <= 0 || blockBytes % ALIGNMENT_BYTES != 0) {
      throw new IllegalArgumentException(
          "write size " + blockBytes + " must be a positive multiple of " + ALIGNMENT_BYTES);
    }
    SplittableRandom random = new SplittableRandom(seed);
    blocks = new MemorySegment[count];
    for (int i = 0; i < count; i++) {
      blocks[i] = arena.allocate(blockBytes, ALIGNMENT_BYTES);
      for (long offset = 0; offset < blockBytes; offset += Long.BYTES) {
        blocks[i].set(JAVA_LONG, offset, random.nextLong());
      }
    }
  }

  MemorySegment get(int index) {
    return blocks[index];
  }

  int count() {
    return blocks.length;
  }

  /** Call only when no write that uses a block is still in flight. */
  @Override
  public void close() {
    arena.close();
  }
}
