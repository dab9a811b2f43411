package io.unblend.logstore.map;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Maps of thousands of extents, a tree of three levels, under random writes, zeroes and trims that
 * span from one sector to thousands of extents, with snapshots taken on the way: after every step
 * each map's tree must be well formed (balanced, keys exact, shared nodes untouched), hold what a
 * model of one address per sector holds, and have reported exactly the sectors the model lost.
 * {@link ExtentMapMatchesModelTest} covers the corner cases of merging and windows on small maps;
 * this one drives leaves through splitting, borrowing and merging, and snapshots through copying
 * paths of several levels.
 */
class MapsOfManyLeavesMatchTheirModelTest {
  private static final int RANGE_SECTORS = 16_384;
  private static final ExtentConsumer IGNORED = (address, sectorCount) -> {};

  @Property(tries = 12)
  void largeMapsAndTheirSnapshotsMatchTheirModels(
      @ForAll long seed, @ForAll boolean prefillAscending, @ForAll boolean acrossAWindow) {
    SplittableRandom random = new SplittableRandom(seed);
    // Across a window boundary, extents must be cut where it lies, in whatever leaf that falls.
    long baseSector = acrossAWindow ? ExtentWindows.WINDOW_SECTORS - RANGE_SECTORS / 2 : 0;
    ExtentMap map = new ExtentMap();
    SectorModel model = new SectorModel(baseSector, RANGE_SECTORS);
    prefill(map, model, random, prefillAscending);
    map.checkInvariants();
    assertThat(map.extentCount()).isEqualTo(RANGE_SECTORS);
    List<ExtentMap> snapshots = new ArrayList<>();
    List<SectorModel> snapshotModels = new ArrayList<>();
    for (int step = 0; step < 300; step++) {
      int offsetSectors = random.nextInt(RANGE_SECTORS);
      long startSector = baseSector + offsetSectors;
      int sectorCount = 1 + random.nextInt(sizeLimit(random, RANGE_SECTORS - offsetSectors));
      switch (random.nextInt(8)) {
        case 0, 1, 2 -> {
          long address = random.nextLong(1L << 40);
          RemovedPieces removed = new RemovedPieces();
          map.put(startSector, sectorCount, address, removed);
          assertThat(removed.sectorsByAddress())
              .isEqualTo(model.put(startSector, sectorCount, address));
        }
        case 3 -> {
          RemovedPieces removed = new RemovedPieces();
          map.put(startSector, sectorCount, ExtentMap.ZERO, removed);
          assertThat(removed.sectorsByAddress())
              .isEqualTo(model.put(startSector, sectorCount, ExtentMap.ZERO));
        }
        case 4, 5 -> {
          RemovedPieces removed = new RemovedPieces();
          map.remove(startSector, sectorCount, removed);
          assertThat(removed.sectorsByAddress()).isEqualTo(model.remove(startSector, sectorCount));
        }
        case 6 -> scatter(map, model, random, startSector, sectorCount);
        default -> {
          snapshots.add(map.snapshot());
          snapshotModels.add(model.copy());
        }
      }
      checkMatches(map, model);
    }
    for (int index = 0; index < snapshots.size(); index++) {
      checkMatches(snapshots.get(index), snapshotModels.get(index));
    }
  }

  /** Mostly small runs, sometimes thousands of sectors. */
  private static int sizeLimit(SplittableRandom random, int room) {
    int limit = random.nextInt(4) == 0 ? 4096 : 16;
    return Math.min(limit, room);
  }

  /** One extent per sector, written in ascending or in random order. */
  private static void prefill(
      ExtentMap map, SectorModel model, SplittableRandom random, boolean ascending) {
    int[] order = new int[RANGE_SECTORS];
    for (int sector = 0; sector < RANGE_SECTORS; sector++) {
      order[sector] = sector;
    }
    if (!ascending) {
      for (int index = RANGE_SECTORS - 1; index > 0; index--) {
        int other = random.nextInt(index + 1);
        int swapped = order[index];
        order[index] = order[other];
        order[other] = swapped;
      }
    }
    for (int offset : order) {
      long sector = model.baseSector + offset;
      map.put(sector, 1, 2L * sector, IGNORED);
      model.put(sector, 1, 2L * sector);
    }
  }

  /** Single sectors that do not continue each other, so that a range gains many extents. */
  private static void scatter(
      ExtentMap map, SectorModel model, SplittableRandom random, long startSector, int count) {
    long address = random.nextLong(1L << 40);
    for (long sector = startSector; sector < startSector + count; sector++) {
      map.put(sector, 1, address + 2L * sector, IGNORED);
      model.put(sector, 1, address + 2L * sector);
    }
  }

  private static void checkMatches(ExtentMap map, SectorModel model) {
    map.checkInvariants();
    assertThat(map.extentCount()).isEqualTo(model.extentCount());
    assertThat(map.mappedSectors()).isEqualTo(model.mappedSectors());
    long baseSector = model.baseSector;
    assertThat(
            SectorModel.expand(
                Piece.visited(map, baseSector, RANGE_SECTORS), baseSector, RANGE_SECTORS))
        .isEqualTo(model.addresses(baseSector, RANGE_SECTORS));
  }
}
