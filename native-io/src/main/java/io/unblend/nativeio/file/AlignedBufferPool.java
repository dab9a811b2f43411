package io.unblend.nativeio.file;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A fixed set of equal, aligned native buffers carved from one region, so that the hot path never
 * allocates and the whole pool can be registered with io_uring as one fixed buffer ({@link
 * #region()}). {@link #acquire()} returns {@code null} when every buffer is in use: that is
 * back-pressure, not an error. Safe for use from many threads.
 */
public final class AlignedBufferPool implements AutoCloseable {
  /** The alignment O_DIRECT needs on every device we target. */
  public static final int DEFAULT_ALIGNMENT_BYTES = 4096;

  private final Arena arena;
  private final MemorySegment region;
  private final MemorySegment[] buffers;
  private final int bufferBytes;
  private final int[] freeStack;
  private final boolean[] inUse;
  private int freeCount;

  /**
   * @param bufferCount how many buffers; at least 1
   * @param bufferBytes the size of each, a positive multiple of {@code alignmentBytes}
   * @param alignmentBytes a power of two
   */
  public AlignedBufferPool(int bufferCount, int bufferBytes, int alignmentBytes) {
    if (bufferCount < 1) {
      throw new IllegalArgumentException("bufferCount must be at least 1: " + bufferCount);
    }
    if (Integer.bitCount(alignmentBytes) != 1) {
      throw new IllegalArgumentException(
          "alignmentBytes must be a power of two: " + alignmentBytes);
    }
    if (bufferBytes <= 0 || bufferBytes % alignmentBytes != 0) {
      throw new IllegalArgumentException(
          "bufferBytes must be a positive multiple of " + alignmentBytes + ": " + bufferBytes);
    }
    this.arena = Arena.ofShared();
    this.region = arena.allocate((long) bufferCount * bufferBytes, alignmentBytes);
    this.bufferBytes = bufferBytes;
    this.buffers = new MemorySegment[bufferCount];
    this.freeStack = new int[bufferCount];
    this.inUse = new boolean[bufferCount];
    for (int i = 0; i < bufferCount; i++) {
      buffers[i] = region.asSlice((long) i * bufferBytes, bufferBytes);
      freeStack[i] = bufferCount - 1 - i;
    }
    this.freeCount = bufferCount;
  }

  /** The memory of every buffer, for {@code IoEngine.registerBuffers}. */
  public MemorySegment region() {
    return region;
  }

  public int bufferBytes() {
    return bufferBytes;
  }

  public int bufferCount() {
    return buffers.length;
  }

  /** A free buffer (contents undefined), or {@code null} when all are in use. */
  public synchronized MemorySegment acquire() {
    if (freeCount == 0) {
      return null;
    }
    int index = freeStack[--freeCount];
    inUse[index] = true;
    return buffers[index];
  }

  /** Returns a buffer that {@link #acquire()} handed out; releasing it twice is a bug. */
  public synchronized void release(MemorySegment buffer) {
    long offset = buffer.address() - region.address();
    int index = (int) (offset / bufferBytes);
    if (offset < 0
        || offset % bufferBytes != 0
        || index >= buffers.length
        || buffer.byteSize() != bufferBytes) {
      throw new IllegalArgumentException("buffer does not belong to this pool: " + buffer);
    }
    if (!inUse[index]) {
      throw new IllegalStateException("buffer " + index + " released twice");
    }
    inUse[index] = false;
    freeStack[freeCount++] = index;
  }

  public synchronized int available() {
    return freeCount;
  }

  @Override
  public void close() {
    arena.close();
  }
}
