package io.unblend.logstore.core;

import io.unblend.logstore.ChangedRun;
import io.unblend.logstore.layout.Bytes;
import io.unblend.logstore.map.ExtentMap;
import java.util.ArrayList;
import java.util.List;

/**
 * The runs where a volume's map differs from an older snapshot's. Because every write goes to a new
 * log address, a sector is unchanged exactly when both maps send it to the same address (or both to
 * a hole, or both to allocated zeros), so the comparison needs no data. It costs O(log n + k) for k
 * extents in the range, however large the volume.
 */
final class ChangedBlocks {
  private ChangedBlocks() {}

  /**
   * @param baseEndSector the base's size: sectors from there on did not exist in it and count as
   *     changed
   */
  static List<ChangedRun> between(
      ExtentMap base, long baseEndSector, ExtentMap current, long startSector, long sectorCount) {
    long end = startSector + sectorCount;
    long comparedEnd = Math.max(startSector, Math.min(end, baseEndSector));
    Pieces before = Pieces.of(base, startSector, comparedEnd - startSector);
    Pieces after = Pieces.of(current, startSector, comparedEnd - startSector);
    List<ChangedRun> runs = new ArrayList<>();
    long position = startSector;
    int b = 0;
    int a = 0;
    while (position < comparedEnd) {
      while (before.end(b) <= position) {
        b++;
      }
      while (after.end(a) <= position) {
        a++;
      }
      long pieceEnd = Math.min(before.end(b), after.end(a));
      boolean changed = before.addressAt(b, position) != after.addressAt(a, position);
      add(runs, (pieceEnd - position) * Bytes.SECTOR_BYTES, changed);
      position = pieceEnd;
    }
    if (comparedEnd < end) {
      add(runs, (end - comparedEnd) * Bytes.SECTOR_BYTES, true);
    }
    return runs;
  }

  private static void add(List<ChangedRun> runs, long bytes, boolean changed) {
    int last = runs.size() - 1;
    if (last >= 0 && runs.get(last).changed() == changed) {
      runs.set(last, new ChangedRun(runs.get(last).lengthBytes() + bytes, changed));
    } else {
      runs.add(new ChangedRun(bytes, changed));
    }
  }

  /** A map's pieces over a range, as {@link ExtentMap#forEach} reports them. */
  private record Pieces(long[] starts, long[] counts, long[] addresses) {
    static Pieces of(ExtentMap map, long startSector, long sectorCount) {
      List<long[]> pieces = new ArrayList<>();
      map.forEach(startSector, sectorCount, (s, c, addr) -> pieces.add(new long[] {s, c, addr}));
      long[] starts = new long[pieces.size()];
      long[] counts = new long[pieces.size()];
      long[] addresses = new long[pieces.size()];
      for (int i = 0; i < pieces.size(); i++) {
        starts[i] = pieces.get(i)[0];
        counts[i] = pieces.get(i)[1];
        addresses[i] = pieces.get(i)[2];
      }
      return new Pieces(starts, counts, addresses);
    }

    long end(int index) {
      return starts[index] + counts[index];
    }

    /** The piece's address for {@code sector}: data addresses advance, HOLE and ZERO do not. */
    long addressAt(int index, long sector) {
      long address = addresses[index];
      return address < 0 ? address : address + (sector - starts[index]);
    }
  }
}
