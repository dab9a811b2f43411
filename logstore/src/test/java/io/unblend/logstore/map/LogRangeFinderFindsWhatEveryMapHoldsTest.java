package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * The cleaner's view of a segment: for every map, the pieces whose log addresses lie in a range.
 * Maps that share nodes (a volume and its snapshots, written between them) must each get exactly
 * what a walk of their own extents finds, although the finder reads a shared node only once.
 */
class LogRangeFinderFindsWhatEveryMapHoldsTest {
  private static final ExtentConsumer IGNORED = (address, sectorCount) -> {};
  private static final long ADDRESS_SPACE = 1 << 16;

  @Property(tries = 30)
  void eachMapGetsThePiecesOfItsOwnExtentsInTheRange(@ForAll long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    ExtentMap volume = new ExtentMap();
    List<ExtentMap> maps = new ArrayList<>();
    for (int step = 0; step < 20_000; step++) {
      long startSector = random.nextLong(1 << 15);
      long sectorCount = 1 + random.nextLong(16);
      int kind = random.nextInt(20);
      if (kind == 0) {
        volume.put(startSector, sectorCount, ExtentMap.ZERO, IGNORED);
      } else if (kind == 1) {
        volume.remove(startSector, sectorCount, IGNORED);
      } else {
        volume.put(startSector, sectorCount, random.nextLong(ADDRESS_SPACE), IGNORED);
      }
      if (random.nextInt(2_000) == 0) {
        maps.add(volume.snapshot());
      }
    }
    maps.add(volume);
    for (int range = 0; range < 5; range++) {
      long first = random.nextLong(ADDRESS_SPACE);
      long end = first + 1 + random.nextLong(ADDRESS_SPACE / 8);
      LogRangeFinder finder = new LogRangeFinder(first, end);
      for (ExtentMap map : maps) {
        List<Piece> found = new ArrayList<>();
        finder.find(map, (start, count, address) -> found.add(new Piece(start, count, address)));
        assertThat(found).isEqualTo(walk(map, first, end));
      }
    }
  }

  /** The pieces found by looking at every extent of the map, the obvious way. */
  private static List<Piece> walk(ExtentMap map, long first, long end) {
    List<Piece> pieces = new ArrayList<>();
    for (Piece extent : Piece.extents(map)) {
      long address = extent.address();
      long count = extent.sectorCount();
      if (address == ExtentMap.ZERO || address + count <= first || address >= end) {
        continue;
      }
      long from = Math.max(address, first);
      long to = Math.min(address + count, end);
      pieces.add(new Piece(extent.startSector() + (from - address), to - from, from));
    }
    return pieces;
  }
}
