package io.unblend.nativeio;

import java.lang.foreign.MemorySegment;

/**
 * What every engine shares: the checks before a syscall ({@link RequestChecks}), the bound on
 * operations in flight, and the registered buffer regions. Subclasses only queue and carry out
 * operations that passed the checks.
 */
public abstract class AbstractIoEngine implements IoEngine {
  private static final MemorySegment[] NO_REGIONS = new MemorySegment[0];

  private final int queueDepth;
  private int inFlight;
  private MemorySegment[] registeredRegions = NO_REGIONS;

  protected AbstractIoEngine(int queueDepth) {
    if (queueDepth < 1) {
      throw new IllegalArgumentException("queue depth must be at least 1: " + queueDepth);
    }
    this.queueDepth = queueDepth;
  }

  /**
   * Queues one checked operation; returns {@code false} when there is no room for it.
   *
   * @param buffer the memory of a read or write, {@code null} for other operations
   * @param lengthBytes the length of a fallocate; the buffer's size for a transfer
   * @param mode the fallocate mode, 0 otherwise
   * @param bufferIndex the registered region of a fixed operation, 0 otherwise
   */
  protected abstract boolean enqueue(
      IoOperation operation,
      IoFile file,
      long offsetBytes,
      MemorySegment buffer,
      long lengthBytes,
      int mode,
      int bufferIndex,
      long userData)
      throws NativeIoException;

  /** Subclasses call this once for every completion they deliver, before delivering it. */
  protected final void completedOne() {
    if (inFlight <= 0) {
      throw new IllegalStateException("a completion arrived with nothing in flight");
    }
    inFlight--;
  }

  /** Subclasses replace their kernel registration, if they have one. */
  protected void onRegisterBuffers(MemorySegment[] regions) throws NativeIoException {}

  @Override
  public final int queueDepth() {
    return queueDepth;
  }

  @Override
  public final int inFlight() {
    return inFlight;
  }

  @Override
  public final boolean prepareRead(
      IoFile file, long offsetBytes, MemorySegment buffer, long userData) throws NativeIoException {
    return transfer(IoOperation.READ, file, offsetBytes, buffer, 0, userData);
  }

  @Override
  public final boolean prepareWrite(
      IoFile file, long offsetBytes, MemorySegment buffer, long userData) throws NativeIoException {
    return transfer(IoOperation.WRITE, file, offsetBytes, buffer, 0, userData);
  }

  @Override
  public final boolean prepareDurableWrite(
      IoFile file, long offsetBytes, MemorySegment buffer, long userData) throws NativeIoException {
    return transfer(IoOperation.DURABLE_WRITE, file, offsetBytes, buffer, 0, userData);
  }

  @Override
  public final boolean prepareReadFixed(
      IoFile file, long offsetBytes, MemorySegment buffer, int bufferIndex, long userData)
      throws NativeIoException {
    RequestChecks.checkInsideRegion(registeredRegions, bufferIndex, buffer);
    return transfer(IoOperation.READ_FIXED, file, offsetBytes, buffer, bufferIndex, userData);
  }

  @Override
  public final boolean prepareWriteFixed(
      IoFile file, long offsetBytes, MemorySegment buffer, int bufferIndex, long userData)
      throws NativeIoException {
    RequestChecks.checkInsideRegion(registeredRegions, bufferIndex, buffer);
    return transfer(IoOperation.WRITE_FIXED, file, offsetBytes, buffer, bufferIndex, userData);
  }

  @Override
  public final boolean prepareDatasync(IoFile file, long userData) throws NativeIoException {
    file.checkOpen(IoOperation.DATASYNC.label(), NativeIoException.NONE, NativeIoException.NONE);
    return offer(IoOperation.DATASYNC, file, 0, null, 0, 0, 0, userData);
  }

  @Override
  public final boolean prepareFallocate(
      IoFile file, int mode, long offsetBytes, long lengthBytes, long userData)
      throws NativeIoException {
    RequestChecks.checkRange(IoOperation.FALLOCATE.label(), file, offsetBytes, lengthBytes);
    return offer(IoOperation.FALLOCATE, file, offsetBytes, null, lengthBytes, mode, 0, userData);
  }

  @Override
  public final boolean prepareNop(long userData) throws NativeIoException {
    return offer(IoOperation.NOP, null, 0, null, 0, 0, 0, userData);
  }

  @Override
  public final void registerBuffers(MemorySegment... regions) throws NativeIoException {
    for (MemorySegment region : regions) {
      RequestChecks.checkRegistrable(region);
    }
    if (inFlight > 0) {
      throw new IllegalStateException(
          "registerBuffers with " + inFlight + " operations in flight; reap them first");
    }
    MemorySegment[] copy = regions.clone();
    onRegisterBuffers(copy);
    registeredRegions = copy;
  }

  private boolean transfer(
      IoOperation operation,
      IoFile file,
      long offsetBytes,
      MemorySegment buffer,
      int bufferIndex,
      long userData)
      throws NativeIoException {
    RequestChecks.checkTransfer(operation.label(), file, offsetBytes, buffer, operation.isWrite());
    return offer(operation, file, offsetBytes, buffer, buffer.byteSize(), 0, bufferIndex, userData);
  }

  private boolean offer(
      IoOperation operation,
      IoFile file,
      long offsetBytes,
      MemorySegment buffer,
      long lengthBytes,
      int mode,
      int bufferIndex,
      long userData)
      throws NativeIoException {
    if (userData == RESERVED_USER_DATA) {
      throw new IllegalArgumentException("user data " + userData + " is reserved for the engine");
    }
    if (inFlight >= queueDepth) {
      return false;
    }
    if (!enqueue(operation, file, offsetBytes, buffer, lengthBytes, mode, bufferIndex, userData)) {
      return false;
    }
    inFlight++;
    return true;
  }
}
