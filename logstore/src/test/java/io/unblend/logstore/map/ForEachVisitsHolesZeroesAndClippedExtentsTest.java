package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ForEachVisitsHolesZeroesAndClippedExtentsTest {
  private static final ExtentConsumer IGNORED = (address, sectorCount) -> {};

  @Test
  void anEmptyMapIsOneHole() {
    assertThat(Piece.visited(new ExtentMap(), 10, 20))
        .containsExactly(new Piece(10, 20, ExtentMap.HOLE));
  }

  @Test
  void piecesAreClippedToTheRangeWithTheirAddressesOffset() {
    ExtentMap map = new ExtentMap();
    map.put(0, 16, 1000, IGNORED);
    map.put(24, 8, ExtentMap.ZERO, IGNORED);
    map.put(40, 16, 2000, IGNORED);
    assertThat(Piece.visited(map, 4, 44))
        .containsExactly(
            new Piece(4, 12, 1004),
            new Piece(16, 8, ExtentMap.HOLE),
            new Piece(24, 8, ExtentMap.ZERO),
            new Piece(32, 8, ExtentMap.HOLE),
            new Piece(40, 8, 2000));
  }

  @Test
  void aRangeInsideOneExtentIsOnePiece() {
    ExtentMap map = new ExtentMap();
    map.put(0, 1 << 20, 1000, IGNORED);
    assertThat(Piece.visited(map, 4096, 8)).containsExactly(new Piece(4096, 8, 5096));
  }

  @Test
  void anEmptyRangeVisitsNothing() {
    ExtentMap map = new ExtentMap();
    map.put(0, 8, 1000, IGNORED);
    assertThat(Piece.visited(map, 4, 0)).isEmpty();
  }
}
