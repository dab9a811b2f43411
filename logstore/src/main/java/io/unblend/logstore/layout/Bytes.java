package io.unblend.logstore.layout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.zip.CRC32C;

/** Little-endian field access and CRC32C, the two things every on-disk layout needs. */
public final class Bytes {
  public static final ValueLayout.OfShort U16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  public static final ValueLayout.OfInt U32 =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  public static final ValueLayout.OfLong U64 =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** The unit of every O_DIRECT transfer and of the log's layout. */
  public static final int BLOCK_BYTES = 4096;

  /** The unit of volume addressing and of log addresses. */
  public static final int SECTOR_BYTES = 512;

  public static final int SECTORS_PER_BLOCK = BLOCK_BYTES / SECTOR_BYTES;

  private Bytes() {}

  /** CRC32C of {@code length} bytes at {@code offset}. */
  public static int crc32c(MemorySegment segment, long offset, long length) {
    CRC32C crc = new CRC32C();
    crc.update(segment.asSlice(offset, length).asByteBuffer());
    return (int) crc.getValue();
  }

  /** CRC32C of a region with the 4-byte CRC field at {@code crcOffset} counted as zero. */
  public static int crc32cSkipping(MemorySegment segment, long length, long crcOffset) {
    CRC32C crc = new CRC32C();
    crc.update(segment.asSlice(0, crcOffset).asByteBuffer());
    crc.update(new byte[Integer.BYTES]);
    crc.update(
        segment
            .asSlice(crcOffset + Integer.BYTES, length - crcOffset - Integer.BYTES)
            .asByteBuffer());
    return (int) crc.getValue();
  }

  public static long roundUpToBlock(long bytes) {
    return (bytes + BLOCK_BYTES - 1) / BLOCK_BYTES * BLOCK_BYTES;
  }

  public static long roundDownToBlock(long bytes) {
    return bytes / BLOCK_BYTES * BLOCK_BYTES;
  }

  /** A byte count for messages: "1.5 GiB (1610612736 bytes)", or "512 bytes" below a KiB. */
  public static String describe(long bytes) {
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    int unit = -1;
    double value = bytes;
    while (unit + 1 < units.length && value >= 1024) {
      value /= 1024;
      unit++;
    }
    if (unit < 0) {
      return bytes + " bytes";
    }
    return String.format(Locale.ROOT, "%.1f %s (%d bytes)", value, units[unit], bytes);
  }
}
