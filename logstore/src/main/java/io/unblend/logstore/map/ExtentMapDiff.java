package io.unblend.logstore.map;

import java.util.ArrayList;
import java.util.List;

/**
 * Where one map differs from another. Every write goes to a new log address, so a sector is the
 * same in both exactly when both send it to the same address (or both leave it a hole, or both make
 * it allocated zeros): the comparison needs no data. Changed blocks and checkpoints of snapshots
 * (written as differences from the map before them) both come from here.
 */
public final class ExtentMapDiff {
  private ExtentMapDiff() {}

  /**
   * Visits, in ascending order, the pieces of {@code [startSector, startSector + sectorCount)}
   * where {@code target} differs from {@code base}, with {@code target}'s address for them: a log
   * sector, {@link ExtentMap#ZERO} or {@link ExtentMap#HOLE}. Costs O(log n + k) for k extents in
   * the range of either map.
   */
  public static void differences(
      ExtentMap base, ExtentMap target, long startSector, long sectorCount, ExtentVisitor out) {
    Pieces before = Pieces.of(base, startSector, sectorCount);
    Pieces after = Pieces.of(target, startSector, sectorCount);
    long end = startSector + sectorCount;
    long position = startSector;
    int b = 0;
    int a = 0;
    while (position < end) {
      while (before.end(b) <= position) {
        b++;
      }
      while (after.end(a) <= position) {
        a++;
      }
      long pieceEnd = Math.min(before.end(b), after.end(a));
      long address = after.addressAt(a, position);
      if (before.addressAt(b, position) != address) {
        out.visit(position, pieceEnd - position, address);
      }
      position = pieceEnd;
    }
  }

  /** A map's pieces over a range, holes included, as {@link ExtentMap#forEach} reports them. */
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
