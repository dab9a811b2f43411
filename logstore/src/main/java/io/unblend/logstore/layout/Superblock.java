package io.unblend.logstore.layout;

import static io.unblend.logstore.layout.Bytes.U16;
import static io.unblend.logstore.layout.Bytes.U32;
import static io.unblend.logstore.layout.Bytes.U64;

import java.lang.foreign.MemorySegment;

/**
 * The superblock: one 4 KiB block written when a store is created and never again. It says how the
 * store is laid out, so that every later open finds the log and the checkpoint slots.
 *
 * <pre>
 *    0 u32 magic "UBSB" (0x42534255)
 *    4 u16 version (1)
 *    6 u16 reserved, 0
 *    8 u64 store id (random, tells stores apart)
 *   16 u32 segment bytes (a multiple of 4096)
 *   20 u32 segment count
 *   24 u64 log offset: where segment 0 starts in the log file or device
 *   32 u64 checkpoint slot bytes (0: each slot is its own file and may grow)
 *   40 u64 checkpoint slot 0 offset
 *   48 u64 checkpoint slot 1 offset
 *   56 u64 creation time, Unix milliseconds
 *   64 ... zero
 * 4092 u32 CRC32C of bytes 0..4091
 * </pre>
 */
public record Superblock(
    long storeId,
    int segmentBytes,
    int segmentCount,
    long logOffsetBytes,
    long checkpointSlotBytes,
    long checkpointSlot0OffsetBytes,
    long checkpointSlot1OffsetBytes,
    long createdMillis) {
  public static final int MAGIC = 0x42534255;
  public static final short VERSION = 1;
  public static final int SIZE_BYTES = Bytes.BLOCK_BYTES;

  private static final int MAGIC_OFFSET = 0;
  private static final int VERSION_OFFSET = 4;
  private static final int STORE_ID_OFFSET = 8;
  private static final int SEGMENT_BYTES_OFFSET = 16;
  private static final int SEGMENT_COUNT_OFFSET = 20;
  private static final int LOG_OFFSET_OFFSET = 24;
  private static final int SLOT_BYTES_OFFSET = 32;
  private static final int SLOT0_OFFSET = 40;
  private static final int SLOT1_OFFSET = 48;
  private static final int CREATED_OFFSET = 56;
  private static final int CRC_OFFSET = SIZE_BYTES - Integer.BYTES;

  public long logBytes() {
    return (long) segmentBytes * segmentCount;
  }

  /** Writes this superblock into a zeroed 4 KiB block. */
  public void encode(MemorySegment block) {
    block.asSlice(0, SIZE_BYTES).fill((byte) 0);
    block.set(U32, MAGIC_OFFSET, MAGIC);
    block.set(U16, VERSION_OFFSET, VERSION);
    block.set(U64, STORE_ID_OFFSET, storeId);
    block.set(U32, SEGMENT_BYTES_OFFSET, segmentBytes);
    block.set(U32, SEGMENT_COUNT_OFFSET, segmentCount);
    block.set(U64, LOG_OFFSET_OFFSET, logOffsetBytes);
    block.set(U64, SLOT_BYTES_OFFSET, checkpointSlotBytes);
    block.set(U64, SLOT0_OFFSET, checkpointSlot0OffsetBytes);
    block.set(U64, SLOT1_OFFSET, checkpointSlot1OffsetBytes);
    block.set(U64, CREATED_OFFSET, createdMillis);
    block.set(U32, CRC_OFFSET, Bytes.crc32c(block, 0, CRC_OFFSET));
  }

  /**
   * Reads a superblock; the exception says what is wrong (not a store, a newer version, a corrupt
   * block).
   */
  public static Superblock decode(MemorySegment block, String where) throws CorruptStoreException {
    int magic = block.get(U32, MAGIC_OFFSET);
    if (magic != MAGIC) {
      throw new CorruptStoreException(
          where
              + " is not an unblend store (no superblock magic; found 0x"
              + Integer.toHexString(magic)
              + ")");
    }
    short version = block.get(U16, VERSION_OFFSET);
    if (version != VERSION) {
      throw new CorruptStoreException(
          where + " has superblock version " + version + "; this unblend reads version " + VERSION);
    }
    if (block.get(U32, CRC_OFFSET) != Bytes.crc32c(block, 0, CRC_OFFSET)) {
      throw new CorruptStoreException(where + ": the superblock checksum does not match");
    }
    return new Superblock(
        block.get(U64, STORE_ID_OFFSET),
        block.get(U32, SEGMENT_BYTES_OFFSET),
        block.get(U32, SEGMENT_COUNT_OFFSET),
        block.get(U64, LOG_OFFSET_OFFSET),
        block.get(U64, SLOT_BYTES_OFFSET),
        block.get(U64, SLOT0_OFFSET),
        block.get(U64, SLOT1_OFFSET),
        block.get(U64, CREATED_OFFSET));
  }
}
