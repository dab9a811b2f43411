package io.unblend.nativeio.uring;

import io.unblend.nativeio.AbstractIoEngine;
import io.unblend.nativeio.CompletionHandler;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.IoOperation;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.file.OnPosixFiles;
import java.lang.foreign.MemorySegment;

/**
 * The io_uring engine: every prepared operation becomes one SQE, {@link #submit()} hands them all
 * to the kernel with one io_uring_enter, and completions are matched to requests by user data.
 */
public final class UringIoEngine extends AbstractIoEngine implements OnPosixFiles {
  /** The largest queue depth accepted: the kernel's limit on SQ entries. */
  public static final int MAX_QUEUE_DEPTH = 32768;

  private final IoUring ring;
  private final Wakeup wakeup;
  private final CompletionHandler countingHandler = this::deliver;
  private CompletionHandler target;
  private boolean wakeupArmed;
  private boolean woken;
  private int delivered;

  private UringIoEngine(int queueDepth, IoUring ring, Wakeup wakeup) {
    super(queueDepth);
    this.ring = ring;
    this.wakeup = wakeup;
    this.wakeupArmed = wakeup.arm(ring);
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
    // One entry more than the queue depth for the wakeup read. The completion ring has twice the
    // submission entries, so with at most that many operations in flight it never overflows.
    IoUring ring = IoUring.setup(queueDepth + 1);
    try {
      return new UringIoEngine(queueDepth, ring, new Wakeup());
    } catch (NativeIoException | RuntimeException e) {
      ring.close();
      throw e;
    }
  }

  @Override
  public String name() {
    return "io_uring";
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
      case WRITE, DURABLE_WRITE ->
          SqeLayout.write(
              sqes,
              base,
              SqeLayout.IORING_OP_WRITE,
              file.handle(),
              offsetBytes,
              buffer.address(),
              (int) lengthBytes,
              operation == IoOperation.DURABLE_WRITE ? SqeLayout.RWF_DSYNC : 0,
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
    woken = false;
    try {
      delivered = 0;
      // Completions already in the ring cost no syscall; then one io_uring_enter both submits
      // what is prepared and waits for the rest.
      ring.drain(countingHandler);
      if (delivered >= minimum || woken) {
        submitAndWait(0);
      }
      while (delivered < minimum && inFlight() > 0 && !woken) {
        submitAndWait(Math.min(minimum - delivered, inFlight()));
        ring.drain(countingHandler);
      }
      return delivered;
    } finally {
      target = null;
    }
  }

  private int submitAndWait(int minComplete) throws NativeIoException {
    int pending = ring.publish();
    if (pending == 0 && minComplete == 0) {
      return 0;
    }
    return ring.enter(pending, minComplete);
  }

  @Override
  public void wakeup() {
    wakeup.signal();
  }

  private void deliver(long userData, int result) {
    if (userData == Wakeup.USER_DATA) {
      woken = true;
      wakeupArmed = wakeup.arm(ring);
      return;
    }
    completedOne();
    delivered++;
    target.onCompletion(userData, result);
  }

  private void drainWakeupOnly(long userData, int result) {
    if (userData == Wakeup.USER_DATA) {
      woken = true;
    }
  }

  @Override
  public void close() throws NativeIoException {
    try {
      // The kernel may still write into buffers of operations in flight: wait for them all.
      do {
        awaitCompletions(inFlight(), (userData, result) -> {});
      } while (inFlight() > 0);
      // The pending eventfd read holds the wakeup's buffer: complete it before freeing that.
      if (wakeupArmed) {
        woken = false;
        wakeup.signal();
        while (!woken) {
          submitAndWait(1);
          ring.drain(this::drainWakeupOnly);
        }
      }
    } finally {
      ring.close();
      wakeup.close();
    }
  }
}
