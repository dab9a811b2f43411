package io.unblend.logstore.map;

import java.util.ArrayList;
import java.util.List;

/** One piece a map reported, as tests compare them. */
record Piece(long startSector, long sectorCount, long address) {
  /** What {@link ExtentMap#forEach} reports for the range. */
  static List<Piece> visited(ExtentMap map, long startSector, long sectorCount) {
    List<Piece> pieces = new ArrayList<>();
    map.forEach(
        startSector,
        sectorCount,
        (start, count, address) -> pieces.add(new Piece(start, count, address)));
    return pieces;
  }

  /** What {@link ExtentMap#forEachExtent} reports. */
  static List<Piece> extents(ExtentMap map) {
    List<Piece> pieces = new ArrayList<>();
    map.forEachExtent((start, count, address) -> pieces.add(new Piece(start, count, address)));
    return pieces;
  }
}
