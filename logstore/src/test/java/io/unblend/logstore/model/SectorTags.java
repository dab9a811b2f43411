package io.unblend.logstore.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.LongToIntFunction;

/**
 * Sector contents that name themselves: every 32 bytes of a written sector hold (volume tag,
 * sector, generation, check word), so a sector read back can be told apart from zeros, from an
 * older or a newer write of the same sector, from another sector's or another volume's data, and
 * from garbage.
 */
final class SectorTags {
  static final int SECTOR_BYTES = 512;
  private static final int WORD_GROUP_BYTES = 32;

  /** What a sector read back holds when it is not a well-formed tag. */
  static final long NOT_A_TAG = -1;

  private SectorTags() {}

  /** Fills {@code data} with tagged sectors, the first being {@code firstSector}. */
  static void fill(MemorySegment data, int volumeTag, long firstSector, long generation) {
    long sectors = data.byteSize() / SECTOR_BYTES;
    for (long s = 0; s < sectors; s++) {
      long sector = firstSector + s;
      long base = s * SECTOR_BYTES;
      for (int word = 0; word < SECTOR_BYTES; word += WORD_GROUP_BYTES) {
        data.set(ValueLayout.JAVA_LONG_UNALIGNED, base + word, volumeTag);
        data.set(ValueLayout.JAVA_LONG_UNALIGNED, base + word + 8, sector);
        data.set(ValueLayout.JAVA_LONG_UNALIGNED, base + word + 16, generation);
        data.set(
            ValueLayout.JAVA_LONG_UNALIGNED,
            base + word + 24,
            check(volumeTag, sector, generation));
      }
    }
  }

  /**
   * The generation that {@code sectorData} holds for that sector, written with the tag {@code
   * writerTags} gives for it (a clone reads its origin's tags): 0 for zeros, {@link #NOT_A_TAG} for
   * anything else (a tag of another sector or another volume's write, or garbage).
   */
  static long generationOf(MemorySegment sectorData, long sector, LongToIntFunction writerTags) {
    long generation = sectorData.get(ValueLayout.JAVA_LONG_UNALIGNED, 16);
    int volumeTag = writerTags.applyAsInt(generation);
    for (int word = 0; word < SECTOR_BYTES; word += WORD_GROUP_BYTES) {
      if (sectorData.get(ValueLayout.JAVA_LONG_UNALIGNED, word) != volumeTag
          || sectorData.get(ValueLayout.JAVA_LONG_UNALIGNED, word + 8) != sector
          || sectorData.get(ValueLayout.JAVA_LONG_UNALIGNED, word + 16) != generation
          || sectorData.get(ValueLayout.JAVA_LONG_UNALIGNED, word + 24)
              != check(volumeTag, sector, generation)) {
        return isZeros(sectorData) ? 0 : NOT_A_TAG;
      }
    }
    return generation;
  }

  /** What a sector holds, in words, for failure messages. */
  static String describe(MemorySegment sectorData) {
    if (isZeros(sectorData)) {
      return "zeros";
    }
    long volume = sectorData.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    long sector = sectorData.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
    long generation = sectorData.get(ValueLayout.JAVA_LONG_UNALIGNED, 16);
    long check = sectorData.get(ValueLayout.JAVA_LONG_UNALIGNED, 24);
    boolean wellFormed = check == check(volume, sector, generation);
    for (int word = WORD_GROUP_BYTES; word < SECTOR_BYTES && wellFormed; word += 8) {
      wellFormed =
          sectorData.get(ValueLayout.JAVA_LONG_UNALIGNED, word)
              == sectorData.get(ValueLayout.JAVA_LONG_UNALIGNED, word % WORD_GROUP_BYTES);
    }
    return wellFormed
        ? "the tag of volume tag " + volume + ", sector " + sector + ", generation " + generation
        : String.format(
            "garbage starting %016x %016x %016x %016x", volume, sector, generation, check);
  }

  private static long check(long volumeTag, long sector, long generation) {
    return ~(volumeTag ^ sector ^ generation);
  }

  private static boolean isZeros(MemorySegment sectorData) {
    for (int word = 0; word < SECTOR_BYTES; word += 8) {
      if (sectorData.get(ValueLayout.JAVA_LONG_UNALIGNED, word) != 0) {
        return false;
      }
    }
    return true;
  }
}
