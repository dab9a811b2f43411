package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Records what a map reports as removed, in order. */
final class RemovedPieces implements ExtentConsumer {
  record Removed(long address, long sectorCount) {}

  final List<Removed> pieces = new ArrayList<>();

  @Override
  public void accept(long address, long sectorCount) {
    pieces.add(new Removed(address, sectorCount));
  }

  /**
   * How many removed sectors each address had, allocated zeroes under {@link ExtentMap#ZERO}: what
   * {@link SectorModel#put} returns for the same change.
   */
  Map<Long, Long> sectorsByAddress() {
    Map<Long, Long> sectorsByAddress = new TreeMap<>();
    for (Removed piece : pieces) {
      assertThat(piece.sectorCount()).isPositive();
      if (piece.address() == ExtentMap.ZERO) {
        sectorsByAddress.merge(ExtentMap.ZERO, piece.sectorCount(), Long::sum);
      } else {
        for (long offset = 0; offset < piece.sectorCount(); offset++) {
          sectorsByAddress.merge(piece.address() + offset, 1L, Long::sum);
        }
      }
    }
    return sectorsByAddress;
  }
}
