package io.unblend.nativeio.file;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;

/**
 * The fields of {@code struct statx} (linux/stat.h) that native-io reads. The layout is the same on
 * every architecture.
 *
 * <pre>
 *   0  u32 stx_mask           what the kernel filled in (STATX_* bits)
 *  28  u16 stx_mode           file type and permissions
 *  40  u64 stx_size           size in bytes
 * 152  u32 stx_dio_mem_align  O_DIRECT buffer alignment (STATX_DIOALIGN, Linux 6.1)
 * 156  u32 stx_dio_offset_align  O_DIRECT offset and length alignment, 0 if unsupported
 * 256      end of struct
 * </pre>
 */
final class StatxLayout {
  static final int SIZE_BYTES = 256;
  static final int MASK_OFFSET = 0;
  static final int MODE_OFFSET = 28;
  static final int SIZE_OFFSET = 40;
  static final int DIO_OFFSET_ALIGN_OFFSET = 156;

  static final int STATX_TYPE = 0x1;
  static final int STATX_SIZE = 0x200;
  static final int STATX_DIOALIGN = 0x2000;

  private static final int S_IFMT = 0170000;
  private static final int S_IFBLK = 0060000;
  private static final int S_IFREG = 0100000;

  private StatxLayout() {}

  static int mask(MemorySegment statx) {
    return statx.get(JAVA_INT, MASK_OFFSET);
  }

  static boolean isBlockDevice(MemorySegment statx) {
    return (statx.get(JAVA_SHORT, MODE_OFFSET) & S_IFMT) == S_IFBLK;
  }

  static boolean isRegularFile(MemorySegment statx) {
    return (statx.get(JAVA_SHORT, MODE_OFFSET) & S_IFMT) == S_IFREG;
  }

  static long sizeBytes(MemorySegment statx) {
    return statx.get(JAVA_LONG, SIZE_OFFSET);
  }

  static int directOffsetAlignment(MemorySegment statx) {
    return (mask(statx) & STATX_DIOALIGN) == 0 ? 0 : statx.get(JAVA_INT, DIO_OFFSET_ALIGN_OFFSET);
  }
}
