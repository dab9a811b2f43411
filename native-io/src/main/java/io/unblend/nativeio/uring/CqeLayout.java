package io.unblend.nativeio.uring;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;

/**
 * The completion queue entry, {@code struct io_uring_cqe} (linux/io_uring.h), 16 bytes.
 *
 * <pre>
 *  0                               8               12              16
 *  +-------------------------------+---------------+---------------+
 *  |  user_data (from the SQE)     |  res (s32)    |  flags        |
 *  +-------------------------------+---------------+---------------+
 * </pre>
 *
 * {@code res} is the syscall's result: bytes transferred, 0, or a negative errno.
 */
final class CqeLayout {
  static final int SIZE_BYTES = 16;
  static final int USER_DATA_OFFSET = 0;
  static final int RES_OFFSET = 8;

  private CqeLayout() {}

  static long userData(MemorySegment cqes, long base) {
    return cqes.get(JAVA_LONG, base + USER_DATA_OFFSET);
  }

  static int result(MemorySegment cqes, long base) {
    return cqes.get(JAVA_INT, base + RES_OFFSET);
  }
}
