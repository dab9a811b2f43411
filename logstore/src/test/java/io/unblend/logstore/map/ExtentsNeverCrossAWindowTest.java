package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Extents are cut at every multiple of 2^30 sectors, so their lengths fit in an int. */
class ExtentsNeverCrossAWindowTest {
  private static final long WINDOW = ExtentWindows.WINDOW_SECTORS;

  @Test
  void aWriteOverThreeWindowsIsThreeExtents() {
    ExtentMap map = new ExtentMap();
    RemovedPieces removed = new RemovedPieces();
    map.put(WINDOW - 8, 2 * WINDOW + 16, 1000, removed);
    assertThat(removed.pieces).isEmpty();
    assertThat(Piece.extents(map))
        .containsExactly(
            new Piece(WINDOW - 8, 8, 1000),
            new Piece(WINDOW, WINDOW, 1008),
            new Piece(2 * WINDOW, WINDOW, 1008 + WINDOW),
            new Piece(3 * WINDOW, 8, 1008 + 2 * WINDOW));
    assertThat(map.mappedSectors()).isEqualTo(2 * WINDOW + 16);
  }

  @Test
  void sequentialWritesAcrossABoundaryAreTwoExtents() {
    ExtentMap map = new ExtentMap();
    for (long sector = WINDOW - 64; sector < WINDOW + 64; sector += 8) {
      map.put(sector, 8, sector + 7, (address, sectorCount) -> {});
    }
    assertThat(Piece.extents(map))
        .containsExactly(
            new Piece(WINDOW - 64, 64, WINDOW - 57), new Piece(WINDOW, 64, WINDOW + 7));
  }

  @Test
  void overwritingAWholeWindowReportsItAsOnePiece() {
    ExtentMap map = new ExtentMap();
    map.put(0, 2 * WINDOW, ExtentMap.ZERO, (address, sectorCount) -> {});
    RemovedPieces removed = new RemovedPieces();
    map.put(0, WINDOW, 7, removed);
    assertThat(removed.pieces).containsExactly(new RemovedPieces.Removed(ExtentMap.ZERO, WINDOW));
    assertThat(map.extentCount()).isEqualTo(2);
  }

  @Test
  void theLastSectorBelowTheLimitCanBeMapped() {
    ExtentMap map = new ExtentMap();
    long lastSector = ExtentMap.SECTOR_LIMIT - 1;
    map.put(lastSector, 1, ExtentMap.SECTOR_LIMIT - 1, (address, sectorCount) -> {});
    assertThat(Piece.visited(map, lastSector - 1, 2))
        .containsExactly(
            new Piece(lastSector - 1, 1, ExtentMap.HOLE),
            new Piece(lastSector, 1, ExtentMap.SECTOR_LIMIT - 1));
  }
}
