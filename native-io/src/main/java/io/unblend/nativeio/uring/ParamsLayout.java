package io.unblend.nativeio.uring;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;

/**
 * {@code struct io_uring_params} (linux/io_uring.h), 120 bytes: what io_uring_setup takes and fills
 * in, including where the ring fields lie in the mapped rings.
 *
 * <pre>
 *   0 u32 sq_entries        4 u32 cq_entries       8 u32 flags          12 u32 sq_thread_cpu
 *  16 u32 sq_thread_idle   20 u32 features        24 u32 wq_fd         28 u32 resv[3]
 *  40 struct io_sqring_offsets sq_off:
 *      +0 head  +4 tail  +8 ring_mask  +12 ring_entries  +16 flags  +20 dropped  +24 array
 *      +28 resv1  +32 u64 user_addr
 *  80 struct io_cqring_offsets cq_off:
 *      +0 head  +4 tail  +8 ring_mask  +12 ring_entries  +16 overflow  +20 cqes  +24 flags
 *      +28 resv1  +32 u64 user_addr
 * 120 end
 * </pre>
 */
final class ParamsLayout {
  static final int SIZE_BYTES = 120;

  static final int SQ_ENTRIES_OFFSET = 0;
  static final int CQ_ENTRIES_OFFSET = 4;
  static final int FLAGS_OFFSET = 8;
  static final int FEATURES_OFFSET = 20;
  static final int SQ_OFF = 40;
  static final int CQ_OFF = 80;

  /** Offsets inside io_sqring_offsets and io_cqring_offsets. */
  static final int RING_HEAD = 0;

  static final int RING_TAIL = 4;
  static final int RING_MASK = 8;
  static final int RING_ENTRIES = 12;
  static final int SQ_ARRAY = 24;
  static final int CQ_CQES = 20;

  static final int IORING_FEAT_SINGLE_MMAP = 1;

  private ParamsLayout() {}

  static int sqOffset(MemorySegment params, int field) {
    return params.get(JAVA_INT, SQ_OFF + field);
  }

  static int cqOffset(MemorySegment params, int field) {
    return params.get(JAVA_INT, CQ_OFF + field);
  }
}
