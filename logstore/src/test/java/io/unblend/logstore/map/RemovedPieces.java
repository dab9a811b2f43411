package io.unblend.logstore.map;

import java.util.ArrayList;
import java.util.List;

/** Records what a map reports as removed, in order. */
final class RemovedPieces implements ExtentConsumer {
  record Removed(long address, long sectorCount) {}

  final List<Removed> pieces = new ArrayList<>();

  @Override
  public void accept(long address, long sectorCount) {
    pieces.add(new Removed(address, sectorCount));
  }
}
