package io.unblend.nativeio.uring;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An eventfd with a read always pending on the ring: any thread writes to the eventfd, the read
 * completes, and a thread blocked in io_uring_enter wakes up. The read's completion carries {@link
 * #USER_DATA}, which the engine keeps for itself.
 */
final class Wakeup implements AutoCloseable {
  static final long USER_DATA = IoEngine.RESERVED_USER_DATA;

  private final Arena arena = Arena.ofShared();
  private final MemorySegment counter = arena.allocate(JAVA_LONG);
  private final MemorySegment one = arena.allocate(JAVA_LONG);
  private final int eventFd;

  Wakeup() throws NativeIoException {
    eventFd = Syscalls.eventfd(0, Syscalls.EFD_CLOEXEC);
    if (eventFd < 0) {
      arena.close();
      throw NativeIoException.of(Syscalls.errno(), "eventfd");
    }
    one.set(JAVA_LONG, 0, 1L);
  }

  /** Puts the eventfd read on the ring; returns false when the submission ring is full. */
  boolean arm(IoUring ring) {
    long base = ring.nextSqe();
    if (base < 0) {
      return false;
    }
    SqeLayout.write(
        ring.sqes(),
        base,
        SqeLayout.IORING_OP_READ,
        eventFd,
        0,
        counter.address(),
        Long.BYTES,
        0,
        USER_DATA,
        (short) 0);
    return true;
  }

  /** Completes the pending read; safe from any thread. */
  void signal() {
    while (Syscalls.write(eventFd, one, Long.BYTES) < 0) {
      int errno = Syscalls.errno();
      if (errno != Errno.EINTR.number()) {
        // EAGAIN means the counter is saturated: a wakeup is pending anyway.
        return;
      }
    }
  }

  @Override
  public void close() {
    Syscalls.close(eventFd);
    arena.close();
  }
}
