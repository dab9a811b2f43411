package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class InvalidRangesAreRejectedTest {
  private static final ExtentConsumer IGNORED = (address, sectorCount) -> {};

  @Test
  void aNegativeStartOrCountIsRejected() {
    ExtentMap map = new ExtentMap();
    assertThatThrownBy(() -> map.put(-1, 8, 0, IGNORED))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> map.remove(0, -8, IGNORED))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> map.forEach(-8, 8, (start, count, address) -> {}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRangePastTheSectorLimitIsRejectedWithoutOverflow() {
    ExtentMap map = new ExtentMap();
    assertThatThrownBy(() -> map.put(ExtentMap.SECTOR_LIMIT, 1, 0, IGNORED))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> map.put(8, Long.MAX_VALUE, 0, IGNORED))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anAddressRangePastTheLimitOrAHoleIsRejected() {
    ExtentMap map = new ExtentMap();
    assertThatThrownBy(() -> map.put(0, 8, ExtentMap.SECTOR_LIMIT - 4, IGNORED))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> map.put(0, 8, ExtentMap.HOLE, IGNORED))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRejectedChangeLeavesTheMapAsItWas() {
    ExtentMap map = new ExtentMap();
    map.put(0, 8, 100, IGNORED);
    assertThatThrownBy(() -> map.put(4, 8, ExtentMap.HOLE, IGNORED))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Piece.extents(map)).containsExactly(new Piece(0, 8, 100));
  }
}
