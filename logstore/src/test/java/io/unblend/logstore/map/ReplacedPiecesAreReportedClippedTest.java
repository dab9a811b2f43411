package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.map.RemovedPieces.Removed;
import org.junit.jupiter.api.Test;

class ReplacedPiecesAreReportedClippedTest {
  private static final ExtentConsumer IGNORED = (address, sectorCount) -> {};

  @Test
  void overwritingTheMiddleOfAnExtentReportsOnlyTheMiddle() {
    ExtentMap map = new ExtentMap();
    map.put(0, 100, 1000, IGNORED);
    RemovedPieces removed = new RemovedPieces();
    map.put(40, 10, 5000, removed);
    assertThat(removed.pieces).containsExactly(new Removed(1040, 10));
    assertThat(Piece.extents(map))
        .containsExactly(new Piece(0, 40, 1000), new Piece(40, 10, 5000), new Piece(50, 50, 1050));
    assertThat(map.mappedSectors()).isEqualTo(100);
  }

  @Test
  void overwritingSeveralExtentsReportsEachInSectorOrder() {
    ExtentMap map = new ExtentMap();
    map.put(0, 16, 1000, IGNORED);
    map.put(16, 16, ExtentMap.ZERO, IGNORED);
    map.put(40, 16, 3000, IGNORED);
    RemovedPieces removed = new RemovedPieces();
    map.put(8, 40, 9000, removed);
    assertThat(removed.pieces)
        .containsExactly(
            new Removed(1008, 8), new Removed(ExtentMap.ZERO, 16), new Removed(3000, 8));
    assertThat(Piece.extents(map))
        .containsExactly(new Piece(0, 8, 1000), new Piece(8, 40, 9000), new Piece(48, 8, 3008));
  }

  @Test
  void trimmingLeavesAHoleAndReportsWhatWasThere() {
    ExtentMap map = new ExtentMap();
    map.put(0, 64, 1000, IGNORED);
    RemovedPieces removed = new RemovedPieces();
    map.remove(8, 100, removed);
    assertThat(removed.pieces).containsExactly(new Removed(1008, 56));
    assertThat(Piece.visited(map, 0, 16))
        .containsExactly(new Piece(0, 8, 1000), new Piece(8, 8, ExtentMap.HOLE));
    assertThat(map.mappedSectors()).isEqualTo(8);
  }

  @Test
  void trimmingAHoleReportsNothing() {
    ExtentMap map = new ExtentMap();
    map.put(100, 8, 1000, IGNORED);
    RemovedPieces removed = new RemovedPieces();
    map.remove(0, 100, removed);
    map.remove(108, 100, removed);
    assertThat(removed.pieces).isEmpty();
    assertThat(map.extentCount()).isEqualTo(1);
  }

  @Test
  void zeroingOverDataReportsTheData() {
    ExtentMap map = new ExtentMap();
    map.put(0, 8, 1000, IGNORED);
    RemovedPieces removed = new RemovedPieces();
    map.put(0, 8, ExtentMap.ZERO, removed);
    assertThat(removed.pieces).containsExactly(new Removed(1000, 8));
    assertThat(Piece.extents(map)).containsExactly(new Piece(0, 8, ExtentMap.ZERO));
  }
}
