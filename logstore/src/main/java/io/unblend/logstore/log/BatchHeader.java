package io.unblend.logstore.log;

import static io.unblend.logstore.layout.Bytes.U16;
import static io.unblend.logstore.layout.Bytes.U32;
import static io.unblend.logstore.layout.Bytes.U64;

import io.unblend.logstore.layout.Bytes;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The header of a batch: the first 1 to {@link #MAX_BLOCKS} 4 KiB blocks of every batch in the log,
 * followed directly by the batch's data area (its 512-byte sectors, padded to a block).
 *
 * <pre>
 *   0 u32 magic "UBBT" (0x54424255)
 *   4 u16 version (1)
 *   6 u16 header blocks (1..16)
 *   8 u64 sequence: one more than the batch before it in the log
 *  16 u64 epoch: the store's open count when written; never decreases along the log
 *  24 u32 entry count
 *  28 u32 data sectors (512-byte units in the data area that entries use)
 *  32 u32 CRC32C of the data sectors
 *  36 u32 CRC32C of the header blocks, this field counted as zero
 *  40 u64 store id (the superblock's): a reused log file or device never replays another store
 *  48 u8  head: 0 the client head, 1 the cold head, where the cleaner appends the data it moves
 *         (stores written before the cold head have 0 here)
 *  49 ... reserved, zero, up to 64
 *  64 entries, 32 bytes each:
 *       0 u32 volume id
 *       4 u8  entry type ({@link EntryType})
 *       5 u8  reserved, zero
 *       6 u16 name bytes (CREATE_VOLUME, SNAPSHOT, CLONE)
 *       8 u64 first: start sector (WRITE, TRIM, ZERO, RELOCATE), size in bytes (CREATE, RESIZE),
 *                    or the source's id (SNAPSHOT: a volume, CLONE: a snapshot)
 *      16 u64 second: sector count (WRITE, TRIM, ZERO) or old log address (RELOCATE)
 *      24 u32 data sector: where in the data area the entry's bytes start
 *                    (WRITE, CREATE, SNAPSHOT, CLONE, RELOCATE)
 *      28 u32 sector count (RELOCATE), else zero
 * </pre>
 */
public final class BatchHeader {
  public static final int MAGIC = 0x54424255;
  public static final short VERSION = 1;
  public static final int MAX_BLOCKS = 16;
  public static final int ENTRIES_OFFSET = 64;
  public static final int ENTRY_BYTES = 32;
  public static final int MAX_ENTRIES =
      (MAX_BLOCKS * Bytes.BLOCK_BYTES - ENTRIES_OFFSET) / ENTRY_BYTES;

  private static final int MAGIC_OFFSET = 0;
  private static final int VERSION_OFFSET = 4;
  private static final int BLOCKS_OFFSET = 6;
  private static final int SEQUENCE_OFFSET = 8;
  private static final int EPOCH_OFFSET = 16;
  private static final int COUNT_OFFSET = 24;
  private static final int DATA_SECTORS_OFFSET = 28;
  private static final int DATA_CRC_OFFSET = 32;
  private static final int HEADER_CRC_OFFSET = 36;
  private static final int STORE_ID_OFFSET = 40;
  private static final int HEAD_OFFSET = 48;
  private static final byte COLD_HEAD = 1;

  private static final int ENTRY_VOLUME = 0;
  private static final int ENTRY_TYPE = 4;
  private static final int ENTRY_NAME_BYTES = 6;
  private static final int ENTRY_FIRST = 8;
  private static final int ENTRY_SECOND = 16;
  private static final int ENTRY_DATA_SECTOR = 24;

  private BatchHeader() {}

  /** Header blocks needed for {@code entries} entries. */
  public static int blocksFor(int entries) {
    return (ENTRIES_OFFSET + entries * ENTRY_BYTES + Bytes.BLOCK_BYTES - 1) / Bytes.BLOCK_BYTES;
  }

  public static void putEntry(
      MemorySegment header,
      int index,
      int volumeId,
      EntryType type,
      int nameBytes,
      long first,
      long second,
      int dataSector) {
    long base = ENTRIES_OFFSET + (long) index * ENTRY_BYTES;
    header.set(U32, base + ENTRY_VOLUME, volumeId);
    header.set(ValueLayout.JAVA_BYTE, base + ENTRY_TYPE, type.code());
    header.set(ValueLayout.JAVA_BYTE, base + ENTRY_TYPE + 1, (byte) 0);
    header.set(U16, base + ENTRY_NAME_BYTES, (short) nameBytes);
    header.set(U64, base + ENTRY_FIRST, first);
    header.set(U64, base + ENTRY_SECOND, second);
    header.set(U32, base + ENTRY_DATA_SECTOR, dataSector);
    header.set(U32, base + ENTRY_DATA_SECTOR + 4, 0);
  }

  /** A RELOCATE entry: {@code sectorCount} sectors of a map moved from {@code oldAddress}. */
  public static void putRelocate(
      MemorySegment header,
      int index,
      int mapId,
      long startSector,
      int sectorCount,
      long oldAddress,
      int dataSector) {
    putEntry(header, index, mapId, EntryType.RELOCATE, 0, startSector, oldAddress, dataSector);
    header.set(U32, entryBase(index) + ENTRY_DATA_SECTOR + 4, sectorCount);
  }

  /**
   * Fills the fixed fields and both checksums, once every entry is in and the data area is
   * complete. The header's unused bytes must be zero.
   *
   * @param cold whether the batch goes to the cold head (the cleaner's moves only)
   */
  public static void seal(
      MemorySegment header,
      long storeId,
      int blocks,
      long sequence,
      long epoch,
      int entries,
      MemorySegment data,
      int dataSectors,
      boolean cold) {
    header.set(U32, MAGIC_OFFSET, MAGIC);
    header.set(ValueLayout.JAVA_BYTE, HEAD_OFFSET, cold ? COLD_HEAD : 0);
    header.set(U16, VERSION_OFFSET, VERSION);
    header.set(U16, BLOCKS_OFFSET, (short) blocks);
    header.set(U64, SEQUENCE_OFFSET, sequence);
    header.set(U64, EPOCH_OFFSET, epoch);
    header.set(U32, COUNT_OFFSET, entries);
    header.set(U32, DATA_SECTORS_OFFSET, dataSectors);
    header.set(U64, STORE_ID_OFFSET, storeId);
    header.set(
        U32, DATA_CRC_OFFSET, Bytes.crc32c(data, 0, (long) dataSectors * Bytes.SECTOR_BYTES));
    header.set(
        U32,
        HEADER_CRC_OFFSET,
        Bytes.crc32cSkipping(header, (long) blocks * Bytes.BLOCK_BYTES, HEADER_CRC_OFFSET));
  }

  /** Whether a block starts with the batch magic: anything else is simply not a batch. */
  public static boolean hasMagic(MemorySegment block) {
    return block.get(U32, MAGIC_OFFSET) == MAGIC;
  }

  /**
   * Checks the fields needed to read the rest of a header that has the magic: version, block count
   * and entry count. Returns null when they are plausible (the header checksum decides the rest),
   * or the reason.
   */
  public static String checkShape(MemorySegment block) {
    if (block.get(U16, VERSION_OFFSET) != VERSION) {
      return "batch version " + block.get(U16, VERSION_OFFSET) + " is not " + VERSION;
    }
    int blocks = blocks(block);
    if (blocks < 1 || blocks > MAX_BLOCKS) {
      return "batch header claims " + blocks + " blocks";
    }
    long entries = Integer.toUnsignedLong(block.get(U32, COUNT_OFFSET));
    if (blocksFor((int) Math.min(entries, MAX_ENTRIES + 1)) > blocks) {
      return "batch header claims " + entries + " entries in " + blocks + " blocks";
    }
    return null;
  }

  public static long storeId(MemorySegment header) {
    return header.get(U64, STORE_ID_OFFSET);
  }

  /** Checks the header checksum over all its blocks; returns null or the reason. */
  public static String checkWhole(MemorySegment header) {
    int blocks = blocks(header);
    int expected = header.get(U32, HEADER_CRC_OFFSET);
    int actual = Bytes.crc32cSkipping(header, (long) blocks * Bytes.BLOCK_BYTES, HEADER_CRC_OFFSET);
    return expected == actual ? null : "batch header checksum mismatch";
  }

  /** Checks the data area's checksum; returns null or the reason. */
  public static String checkData(MemorySegment header, MemorySegment data) {
    int expected = header.get(U32, DATA_CRC_OFFSET);
    int actual = Bytes.crc32c(data, 0, (long) dataSectors(header) * Bytes.SECTOR_BYTES);
    return expected == actual ? null : "batch data checksum mismatch";
  }

  public static int blocks(MemorySegment header) {
    return Short.toUnsignedInt(header.get(U16, BLOCKS_OFFSET));
  }

  public static long sequence(MemorySegment header) {
    return header.get(U64, SEQUENCE_OFFSET);
  }

  public static long epoch(MemorySegment header) {
    return header.get(U64, EPOCH_OFFSET);
  }

  /** Whether the batch was written at the cold head rather than the client head. */
  public static boolean isCold(MemorySegment header) {
    return header.get(ValueLayout.JAVA_BYTE, HEAD_OFFSET) == COLD_HEAD;
  }

  public static int entryCount(MemorySegment header) {
    return header.get(U32, COUNT_OFFSET);
  }

  public static int dataSectors(MemorySegment header) {
    return header.get(U32, DATA_SECTORS_OFFSET);
  }

  /** Total bytes of the batch in the log: header blocks and data padded to a block. */
  public static long totalBytes(MemorySegment header) {
    return (long) blocks(header) * Bytes.BLOCK_BYTES
        + Bytes.roundUpToBlock((long) dataSectors(header) * Bytes.SECTOR_BYTES);
  }

  public static int entryVolume(MemorySegment header, int index) {
    return header.get(U32, entryBase(index) + ENTRY_VOLUME);
  }

  public static EntryType entryType(MemorySegment header, int index) {
    return EntryType.of(header.get(ValueLayout.JAVA_BYTE, entryBase(index) + ENTRY_TYPE));
  }

  public static int entryNameBytes(MemorySegment header, int index) {
    return Short.toUnsignedInt(header.get(U16, entryBase(index) + ENTRY_NAME_BYTES));
  }

  public static long entryFirst(MemorySegment header, int index) {
    return header.get(U64, entryBase(index) + ENTRY_FIRST);
  }

  public static long entrySecond(MemorySegment header, int index) {
    return header.get(U64, entryBase(index) + ENTRY_SECOND);
  }

  public static int entryDataSector(MemorySegment header, int index) {
    return header.get(U32, entryBase(index) + ENTRY_DATA_SECTOR);
  }

  /** The sector count of a RELOCATE entry. */
  public static int entryRelocatedSectors(MemorySegment header, int index) {
    return header.get(U32, entryBase(index) + ENTRY_DATA_SECTOR + 4);
  }

  private static long entryBase(int index) {
    return ENTRIES_OFFSET + (long) index * ENTRY_BYTES;
  }
}
