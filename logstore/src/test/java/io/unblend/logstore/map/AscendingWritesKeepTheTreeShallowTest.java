package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Writes in ascending order would make an unbalanced search tree a list, and its recursive
 * operations would overflow the stack long before a million extents.
 */
class AscendingWritesKeepTheTreeShallowTest {
  @Test
  void aMillionAscendingWritesThatDoNotMergeStayFast() {
    ExtentMap map = new ExtentMap();
    for (long block = 0; block < 1_000_000; block++) {
      map.put(block * 8, 8, block * 16, (address, sectorCount) -> {});
    }
    assertThat(map.extentCount()).isEqualTo(1_000_000);
    ExtentMap snapshot = map.snapshot();
    for (long block = 999_999; block >= 0; block -= 2) {
      map.remove(block * 8, 8, (address, sectorCount) -> {});
    }
    assertThat(map.extentCount()).isEqualTo(500_000);
    assertThat(snapshot.extentCount()).isEqualTo(1_000_000);
    map.checkInvariants();
  }
}
