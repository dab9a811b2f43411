package io.unblend.nativeio.uring;

import io.unblend.nativeio.AbstractIoEngine;
import io.unblend.nativeio.CompletionHandler;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.IoOperation;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.OpenFlag;
import io.unblend.nativeio.file.PosixFiles;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Set;

/**
 * The io_uring engine: every prepared operation becomes one SQE, {@link #submit()} hands them all
 * to the kernel with one io_uring_enter, and completions are matched to requests by user data.
 */
public final class UringIoEngine extends AbstractIoEngine {
  /** The largest queue depth accepted: the kernel's limit on SQ entries. */
  public static final int MAX_QUEUE_DEPTH = 32768;

  private final IoUring ring;
  private final CompletionHandler countingHandler = this::deliver;
  private CompletionHandler target;
  private int unsubmitted;

  private UringIoEngine(int queueDepth, IoUring ring) {
    super(queueDepth);
    this.ring = ring;
  }

  /**
   * Sets up a ring for {@code queueDepth} operations in flight; fails with the kernel's errno
   * (EPERM where io_uring is disabled or filtered by seccomp, ENOSYS on old kernels).
   */
  public static UringIoEngine open(int queueDepth) throws NativeIoException {
    if (queueDepth < 1 || queueDepth > MAX_QUEUE_DEPTH) {
      throw new IllegalArgumentException(
          "io_uring queue depth must be between 1 and " + MAX_QUEUE_DEPTH + ": " + queueDepth);
    }
    // The completion ring has twice the submission entries, so with at most queueDepth
    // operations in flight it can never overflow.
    return new UringIoEngine(queueDepth, IoUring.setup(queueDepth));
  }

  @Override
  public String name() {
    return "io_uring";
  }

  @Override
  public IoFile open(Path path, Set<OpenFlag> flags) throws NativeIoException {
    return PosixFiles.open(path, flags);
  }

  @Override
  public long sizeBytes(IoFile file) throws NativeIoException {
    return PosixFiles.sizeBytes(file);
  }

  @Override
  protected boolean enqueue(
      IoOperation operation,
      IoFile file,
      long offsetBytes,
      MemorySegment buffer,
      long lengthBytes,
      int mode,
      int bufferIndex,
      long userData) {
    long base = ring.nextSqe();
    if (base < 0) {
      return false;
    }
    MemorySegment sqes = ring.sqes();
    switch (operation) {
      case READ ->
          SqeLayout.write(
              sqes,
              base,
              SqeLayout.IORING_OP_READ,
              file.handle(),
              offsetBytes,
              buffer.address(),
              (int) lengthBytes,
              0,
              userData,
              (short) 0);
      case WRITE ->
          SqeLayout.write(
              sqes,
              base,
              SqeLayout.IORING_OP_WRITE,
              file.handle(),
              offsetBytes,
              buffer.address(),
              (int) lengthBytes,
              0,
              userData,
              (short) 0);
      case READ_FIXED ->
          SqeLayout.write(
              sqes,
              base,
              SqeLayout.IORING_OP_READ_FIXED,
              file.handle(),
              offsetBytes,
              buffer.address(),
              (int) lengthBytes,
              0,
              userData,
              (short) bufferIndex);
      case WRITE_FIXED ->
          SqeLayout.write(
              sqes,
              base,
              SqeLayout.IORING_OP_WRITE_FIXED,
              file.handle(),
              offsetBytes,
              buffer.address(),
              (int) lengthBytes,
              0,
              userData,
              (short) bufferIndex);
      case DATASYNC ->
          SqeLayout.write(
              sqes,
              base,
              SqeLayout.IORING_OP_FSYNC,
              file.handle(),
              0,
              0,
              0,
              SqeLayout.IORING_FSYNC_DATASYNC,
              userData,
              (short) 0);
      // fallocate travels as: off = offset, addr = length, len = mode.
      case FALLOCATE ->
          SqeLayout.write(
              sqes,
              base,
              SqeLayout.IORING_OP_FALLOCATE,
              file.handle(),
              offsetBytes,
              lengthBytes,
              mode,
              0,
              userData,
              (short) 0);
      case NOP ->
          SqeLayout.write(sqes, base, SqeLayout.IORING_OP_NOP, -1, 0, 0, 0, 0, userData, (short) 0);
    }
    unsubmitted++;
    return true;
  }

  @Override
  protected void onRegisterBuffers(MemorySegment[] regions) throws NativeIoException {
    ring.registerBuffers(regions);
  }

  @Override
  public int submit() throws NativeIoException {
    return submitAndWait(0);
  }

  @Override
  public int awaitCompletions(int minimum, CompletionHandler handler) throws NativeIoException {
    target = handler;
    try {
      submit();
      int delivered = ring.drain(countingHandler);
      while (delivered < minimum && inFlight() > 0) {
        // Operations prepared by the handler are submitted in the same call that waits.
        submitAndWait(Math.min(minimum - delivered, inFlight()));
        delivered += ring.drain(countingHandler);
      }
      return delivered;
    } finally {
      target = null;
    }
  }

  private int submitAndWait(int minComplete) throws NativeIoException {
    if (unsubmitted == 0 && minComplete == 0) {
      return 0;
    }
    int pending = ring.publish();
    int consumed = ring.enter(pending, minComplete);
    unsubmitted -= Math.min(consumed, unsubmitted);
    return consumed;
  }

  private void deliver(long userData, int result) {
    completedOne();
    target.onCompletion(userData, result);
  }

  @Override
  public void close() throws NativeIoException {
    try {
      // The kernel may still write into buffers of operations in flight: wait for them all.
      awaitCompletions(inFlight(), (userData, result) -> {});
    } finally {
      ring.close();
    }
  }
}
