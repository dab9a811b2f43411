package io.unblend.logstore.map;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The obviously correct map: one address per sector over {@code [baseSector, baseSector +
 * sectorCount)}, everything else a hole.
 */
final class SectorModel {
  final long baseSector;
  private final long[] addresses;

  SectorModel(long baseSector, int sectorCount) {
    this.baseSector = baseSector;
    this.addresses = new long[sectorCount];
    Arrays.fill(addresses, ExtentMap.HOLE);
  }

  private SectorModel(SectorModel original) {
    this.baseSector = original.baseSector;
    this.addresses = original.addresses.clone();
  }

  SectorModel copy() {
    return new SectorModel(this);
  }

  int sectorCount() {
    return addresses.length;
  }

  long addressOf(long sector) {
    long index = sector - baseSector;
    return index < 0 || index >= addresses.length ? ExtentMap.HOLE : addresses[(int) index];
  }

  /** Maps the sectors and returns how many removed sectors each address had, ZERO included. */
  Map<Long, Long> put(long startSector, long sectorCount, long address) {
    Map<Long, Long> removed = new TreeMap<>();
    for (long offset = 0; offset < sectorCount; offset++) {
      int index = (int) (startSector + offset - baseSector);
      count(removed, addresses[index]);
      addresses[index] = advance(address, offset);
    }
    return removed;
  }

  Map<Long, Long> remove(long startSector, long sectorCount) {
    return put(startSector, sectorCount, ExtentMap.HOLE);
  }

  /** Like {@link ExtentAddresses#advance}, but a hole stays a hole too. */
  private static long advance(long address, long offsetSectors) {
    return address < 0 ? address : address + offsetSectors;
  }

  private static void count(Map<Long, Long> removed, long address) {
    if (address != ExtentMap.HOLE) {
      removed.merge(address, 1L, Long::sum);
    }
  }

  long mappedSectors() {
    return Arrays.stream(addresses).filter(address -> address != ExtentMap.HOLE).count();
  }

  /**
   * How many extents a canonical map holds: a mapped sector starts one unless it continues the
   * sector before it inside one window.
   */
  long extentCount() {
    long extents = 0;
    for (int index = 0; index < addresses.length; index++) {
      long address = addresses[index];
      if (address == ExtentMap.HOLE) {
        continue;
      }
      boolean continues =
          index > 0
              && addresses[index - 1] != ExtentMap.HOLE
              && ExtentWindows.mergeable(
                  baseSector + index, 1, addresses[index - 1], baseSector + index, address);
      if (!continues) {
        extents++;
      }
    }
    return extents;
  }

  /** The address of every sector the pieces cover, as a model of the same range would hold. */
  static long[] expand(Iterable<Piece> pieces, long startSector, int sectorCount) {
    long[] expanded = new long[sectorCount];
    Arrays.fill(expanded, Long.MIN_VALUE);
    for (Piece piece : pieces) {
      for (long offset = 0; offset < piece.sectorCount(); offset++) {
        long sector = piece.startSector() + offset;
        expanded[(int) (sector - startSector)] = advance(piece.address(), offset);
      }
    }
    return expanded;
  }

  /** The model's addresses for {@code [startSector, startSector + sectorCount)}. */
  long[] addresses(long startSector, int sectorCount) {
    long[] expected = new long[sectorCount];
    for (int offset = 0; offset < sectorCount; offset++) {
      expected[offset] = addressOf(startSector + offset);
    }
    return expected;
  }
}
