package io.unblend.nativeio.uring;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.unblend.nativeio.CompletionHandler;
import io.unblend.nativeio.Errno;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * One io_uring instance: set up with io_uring_setup(2), its submission and completion rings and its
 * SQE array mapped with mmap(2). Ring heads and tails shared with the kernel are read with acquire
 * and written with release ordering, as liburing does. Not thread-safe: one thread owns the ring.
 */
final class IoUring implements AutoCloseable {
  private static final long IORING_OFF_SQ_RING = 0L;
  private static final long IORING_OFF_CQ_RING = 0x8000000L;
  private static final long IORING_OFF_SQES = 0x10000000L;
  private static final int IORING_ENTER_GETEVENTS = 1;
  private static final int IORING_REGISTER_BUFFERS = 0;
  private static final int IORING_UNREGISTER_BUFFERS = 1;
  private static final int IOVEC_BYTES = 16;

  /** Shared ring words: {@code (int) INT.getAcquire(segment, offset)}. */
  private static final VarHandle INT = JAVA_INT.varHandle();

  private final int ringFd;
  private final MemorySegment sqRing;
  private final MemorySegment cqRing;
  private final MemorySegment sqes;
  private final boolean singleMmap;

  private final long sqHeadOffset;
  private final long sqTailOffset;
  private final int sqMask;
  private final int sqEntries;
  private final long cqHeadOffset;
  private final long cqTailOffset;
  private final long cqesOffset;
  private final int cqMask;

  /** The next SQE slot to fill; the kernel's tail trails it until {@link #publish()}. */
  private int sqeTail;

  private boolean buffersRegistered;

  private IoUring(
      int ringFd,
      MemorySegment params,
      MemorySegment sqRing,
      MemorySegment cqRing,
      MemorySegment sqes,
      boolean singleMmap) {
    this.ringFd = ringFd;
    this.sqRing = sqRing;
    this.cqRing = cqRing;
    this.sqes = sqes;
    this.singleMmap = singleMmap;
    this.sqHeadOffset = ParamsLayout.sqOffset(params, ParamsLayout.RING_HEAD);
    this.sqTailOffset = ParamsLayout.sqOffset(params, ParamsLayout.RING_TAIL);
    this.sqMask = sqRing.get(JAVA_INT, ParamsLayout.sqOffset(params, ParamsLayout.RING_MASK));
    this.sqEntries = params.get(JAVA_INT, ParamsLayout.SQ_ENTRIES_OFFSET);
    this.cqHeadOffset = ParamsLayout.cqOffset(params, ParamsLayout.RING_HEAD);
    this.cqTailOffset = ParamsLayout.cqOffset(params, ParamsLayout.RING_TAIL);
    this.cqesOffset = ParamsLayout.cqOffset(params, ParamsLayout.CQ_CQES);
    this.cqMask = cqRing.get(JAVA_INT, ParamsLayout.cqOffset(params, ParamsLayout.RING_MASK));
    this.sqeTail = (int) INT.getAcquire(sqRing, sqTailOffset);
    // The SQ array maps ring slot i to SQE i, once and for all.
    long arrayOffset = ParamsLayout.sqOffset(params, ParamsLayout.SQ_ARRAY);
    for (int i = 0; i < sqEntries; i++) {
      sqRing.set(JAVA_INT, arrayOffset + (long) i * Integer.BYTES, i);
    }
  }

  /** Sets up a ring with at least {@code entries} submission entries (a power of two). */
  static IoUring setup(int entries) throws NativeIoException {
    int fd;
    MemorySegment sqRing = null;
    MemorySegment cqRing = null;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment params = arena.allocate(ParamsLayout.SIZE_BYTES, 8);
      long result = Syscalls.syscall(Syscalls.SYS_IO_URING_SETUP, entries, params.address());
      if (result < 0) {
        throw NativeIoException.of(Syscalls.errno(), "io_uring_setup");
      }
      fd = (int) result;
      try {
        int sqEntries = params.get(JAVA_INT, ParamsLayout.SQ_ENTRIES_OFFSET);
        int cqEntries = params.get(JAVA_INT, ParamsLayout.CQ_ENTRIES_OFFSET);
        long sqRingBytes =
            ParamsLayout.sqOffset(params, ParamsLayout.SQ_ARRAY) + (long) sqEntries * Integer.BYTES;
        long cqRingBytes =
            ParamsLayout.cqOffset(params, ParamsLayout.CQ_CQES)
                + (long) cqEntries * CqeLayout.SIZE_BYTES;
        boolean singleMmap =
            (params.get(JAVA_INT, ParamsLayout.FEATURES_OFFSET)
                    & ParamsLayout.IORING_FEAT_SINGLE_MMAP)
                != 0;
        if (singleMmap) {
          sqRingBytes = Math.max(sqRingBytes, cqRingBytes);
          cqRingBytes = sqRingBytes;
        }
        sqRing = map(fd, sqRingBytes, IORING_OFF_SQ_RING);
        cqRing = singleMmap ? sqRing : map(fd, cqRingBytes, IORING_OFF_CQ_RING);
        MemorySegment sqes = map(fd, (long) sqEntries * SqeLayout.SIZE_BYTES, IORING_OFF_SQES);
        return new IoUring(fd, params, sqRing, cqRing, sqes, singleMmap);
      } catch (NativeIoException | RuntimeException e) {
        unmap(cqRing != sqRing ? cqRing : null);
        unmap(sqRing);
        Syscalls.close(fd);
        throw e;
      }
    }
  }

  int submissionEntries() {
    return sqEntries;
  }

  /**
   * The byte offset in {@link #sqes()} of the next free SQE, claimed by this call; -1 when the
   * submission ring is full.
   */
  long nextSqe() {
    int head = (int) INT.getAcquire(sqRing, sqHeadOffset);
    if (sqeTail - head >= sqEntries) {
      return -1;
    }
    long base = (long) (sqeTail & sqMask) * SqeLayout.SIZE_BYTES;
    sqeTail++;
    return base;
  }

  MemorySegment sqes() {
    return sqes;
  }

  /** Makes every claimed SQE visible to the kernel; returns how many it has not consumed. */
  int publish() {
    INT.setRelease(sqRing, sqTailOffset, sqeTail);
    return sqeTail - (int) INT.getAcquire(sqRing, sqHeadOffset);
  }

  /**
   * io_uring_enter(2): submits up to {@code toSubmit} published SQEs and, when {@code minComplete}
   * is above 0, waits until that many completions are in the ring. Retries on EINTR; returns how
   * many SQEs the kernel consumed.
   */
  int enter(int toSubmit, int minComplete) throws NativeIoException {
    int flags = minComplete > 0 ? IORING_ENTER_GETEVENTS : 0;
    while (true) {
      long result =
          Syscalls.syscall(Syscalls.SYS_IO_URING_ENTER, ringFd, toSubmit, minComplete, flags, 0, 0);
      if (result >= 0) {
        return (int) result;
      }
      int errno = Syscalls.errno();
      if (errno != Errno.EINTR.number()) {
        throw NativeIoException.of(errno, "io_uring_enter");
      }
    }
  }

  /**
   * Delivers every completion already in the ring, advancing the head after each so that a handler
   * that throws loses nothing.
   */
  void drain(CompletionHandler handler) {
    int head = (int) INT.getAcquire(cqRing, cqHeadOffset);
    int tail = (int) INT.getAcquire(cqRing, cqTailOffset);
    while (head != tail) {
      long base = cqesOffset + (long) (head & cqMask) * CqeLayout.SIZE_BYTES;
      long userData = CqeLayout.userData(cqRing, base);
      int result = CqeLayout.result(cqRing, base);
      head++;
      INT.setRelease(cqRing, cqHeadOffset, head);
      handler.onCompletion(userData, result);
    }
  }

  /** io_uring_register(IORING_REGISTER_BUFFERS), replacing earlier registrations. */
  void registerBuffers(MemorySegment[] regions) throws NativeIoException {
    if (buffersRegistered) {
      register(IORING_UNREGISTER_BUFFERS, 0, 0, "io_uring_register UNREGISTER_BUFFERS");
      buffersRegistered = false;
    }
    if (regions.length == 0) {
      return;
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment iovecs = arena.allocate((long) regions.length * IOVEC_BYTES, 8);
      for (int i = 0; i < regions.length; i++) {
        iovecs.set(JAVA_LONG, (long) i * IOVEC_BYTES, regions[i].address());
        iovecs.set(JAVA_LONG, (long) i * IOVEC_BYTES + 8, regions[i].byteSize());
      }
      register(
          IORING_REGISTER_BUFFERS,
          iovecs.address(),
          regions.length,
          "io_uring_register REGISTER_BUFFERS");
      buffersRegistered = true;
    }
  }

  private void register(int opcode, long argument, int count, String operation)
      throws NativeIoException {
    long result = Syscalls.syscall(Syscalls.SYS_IO_URING_REGISTER, ringFd, opcode, argument, count);
    if (result < 0) {
      throw NativeIoException.of(Syscalls.errno(), operation);
    }
  }

  @Override
  public void close() {
    unmap(sqes);
    if (!singleMmap) {
      unmap(cqRing);
    }
    unmap(sqRing);
    Syscalls.close(ringFd);
  }

  @SuppressWarnings("restricted") // mmap returns a zero-length segment; we know the mapped size.
  private static MemorySegment map(int fd, long bytes, long offset) throws NativeIoException {
    MemorySegment address =
        Syscalls.mmap(
            MemorySegment.NULL,
            bytes,
            Syscalls.PROT_READ | Syscalls.PROT_WRITE,
            Syscalls.MAP_SHARED | Syscalls.MAP_POPULATE,
            fd,
            offset);
    if (address.address() == -1L) {
      throw NativeIoException.of(Syscalls.errno(), "mmap io_uring ring");
    }
    return address.reinterpret(bytes);
  }

  private static void unmap(MemorySegment mapping) {
    if (mapping != null) {
      Syscalls.munmap(mapping, mapping.byteSize());
    }
  }
}
