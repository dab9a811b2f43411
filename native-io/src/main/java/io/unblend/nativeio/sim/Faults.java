package io.unblend.nativeio.sim;

import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoOperation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Errors that a {@link SimulatedDisk} injects into operations, shared by every engine on the disk.
 * A failed operation changes nothing on the disk.
 *
 * <p>Fixed-buffer reads and writes count as plain reads and writes: a fault says what the disk
 * does, not how the buffer was handed to it.
 */
public final class Faults {
  private record PlannedFault(IoOperation operation, long count, Errno errno) {}

  private final long[] counts = new long[IoOperation.values().length];
  private final Errno[] everyErrno = new Errno[IoOperation.values().length];
  private final List<PlannedFault> planned = new ArrayList<>();

  Faults() {}

  /**
   * Makes the {@code n}-th operation of this kind from now on (1 is the next one) complete with
   * {@code -errno}.
   */
  public synchronized void failNth(IoOperation operation, long n, Errno errno) {
    if (n < 1) {
      throw new IllegalArgumentException("n counts from 1: " + n);
    }
    IoOperation kind = kindOf(operation);
    planned.add(new PlannedFault(kind, counts[kind.ordinal()] + n, errno));
  }

  /** Makes every operation of this kind complete with {@code -errno} until {@link #clear()}. */
  public synchronized void failEvery(IoOperation operation, Errno errno) {
    everyErrno[kindOf(operation).ordinal()] = errno;
  }

  /** Forgets every planned fault. */
  public synchronized void clear() {
    planned.clear();
    Arrays.fill(everyErrno, null);
  }

  /** Counts one operation; returns the errno it must fail with, or 0 when it may go ahead. */
  synchronized int errnoFor(IoOperation operation) {
    IoOperation kind = kindOf(operation);
    long count = ++counts[kind.ordinal()];
    Errno errno = everyErrno[kind.ordinal()];
    for (PlannedFault fault : planned) {
      if (fault.operation() == kind && fault.count() == count) {
        errno = fault.errno();
      }
    }
    planned.removeIf(fault -> fault.operation() == kind && fault.count() == count);
    return errno == null ? 0 : errno.number();
  }

  private static IoOperation kindOf(IoOperation operation) {
    return switch (operation) {
      case READ_FIXED -> IoOperation.READ;
      case WRITE_FIXED -> IoOperation.WRITE;
      default -> operation;
    };
  }
}
