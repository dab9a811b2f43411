package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SequentialWritesStayOneExtentTest {
  private static final ExtentConsumer IGNORED = (address, sectorCount) -> {};

  @Test
  void ascendingWritesToContiguousLogAddressesAreOneExtent() {
    ExtentMap map = new ExtentMap();
    for (int block = 0; block < 1000; block++) {
      map.put(block * 8L, 8, 5000 + block * 8L, IGNORED);
    }
    assertThat(map.extentCount()).isEqualTo(1);
    assertThat(map.mappedSectors()).isEqualTo(8000);
    assertThat(Piece.extents(map)).containsExactly(new Piece(0, 8000, 5000));
  }

  @Test
  void descendingWritesToContiguousLogAddressesAreOneExtent() {
    ExtentMap map = new ExtentMap();
    for (int block = 999; block >= 0; block--) {
      map.put(block * 8L, 8, 5000 + block * 8L, IGNORED);
    }
    assertThat(Piece.extents(map)).containsExactly(new Piece(0, 8000, 5000));
  }

  @Test
  void sequentialZeroWritesAreOneExtent() {
    ExtentMap map = new ExtentMap();
    for (int block = 0; block < 1000; block++) {
      map.put(block * 8L, 8, ExtentMap.ZERO, IGNORED);
    }
    assertThat(Piece.extents(map)).containsExactly(new Piece(0, 8000, ExtentMap.ZERO));
  }

  @Test
  void aWriteThatFillsAGapJoinsBothNeighbours() {
    ExtentMap map = new ExtentMap();
    map.put(0, 8, 100, IGNORED);
    map.put(16, 8, 116, IGNORED);
    map.put(8, 8, 108, IGNORED);
    assertThat(Piece.extents(map)).containsExactly(new Piece(0, 24, 100));
  }

  @Test
  void rewritingTheTailOfAnExtentInPlaceKeepsOneExtent() {
    ExtentMap map = new ExtentMap();
    map.put(0, 64, 100, IGNORED);
    map.put(32, 32, 132, IGNORED);
    assertThat(Piece.extents(map)).containsExactly(new Piece(0, 64, 100));
  }

  @Test
  void writesToScatteredLogAddressesStaySeparate() {
    ExtentMap map = new ExtentMap();
    map.put(0, 8, 100, IGNORED);
    map.put(8, 8, 300, IGNORED);
    map.put(16, 8, 116, IGNORED);
    assertThat(map.extentCount()).isEqualTo(3);
  }

  @Test
  void allocatedZeroesNeverMergeWithData() {
    ExtentMap map = new ExtentMap();
    // ZERO is -1, so one sector of it "continues" at address 0 if the sign is not checked.
    map.put(0, 1, ExtentMap.ZERO, IGNORED);
    map.put(1, 8, 0, IGNORED);
    map.put(9, 8, ExtentMap.ZERO, IGNORED);
    assertThat(Piece.extents(map))
        .containsExactly(
            new Piece(0, 1, ExtentMap.ZERO), new Piece(1, 8, 0), new Piece(9, 8, ExtentMap.ZERO));
  }
}
